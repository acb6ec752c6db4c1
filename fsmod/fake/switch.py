"""The fake FreeSWITCH: an event socket server, calls that reach an outbound
server, the api commands switchflow uses, heartbeats, shutdown and kill.

It is a real TCP server on an ephemeral port (tests and the demo connect to
it as they would to FreeSWITCH), records what it was sent
(`InboundSession.received`, `OutboundSession.received`), and can be told to
misbehave: stall every reply (`stalled`), drop every socket (`kill`), or
write raw bytes (`inject`: a malformed or oversized frame). `scale`
multiplies every duration (prompts, timeouts, scripted moments, heartbeat,
the 11 s shutdown delay), so a 20 s capture replays in a second.
"""

from __future__ import annotations

import collections
import json
import logging
import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field

import gevent
from gevent import socket as gsocket
from gevent.server import StreamServer

from fsmod.esl.frame import Frame
from fsmod.fake import wire
from fsmod.fake.call import FRAME, MIN_FRAME, FakeCall
from fsmod.fake.events import Identity
from fsmod.fake.script import CallScript
from fsmod.fake.sessions import InboundSession, Listener, OutboundSession
from fsmod.vocab import UNDEFINED, EventName, HangupCause

log = logging.getLogger(__name__)

SHUTDOWN_DELAY = 11.0
"""Seconds between `fsctl shutdown` and the final notice (captures: about 11 s)."""

ORIGINATE_USAGE = ("-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] "
                   "[<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n")


@dataclass
class Fired:
    """An event the fake fired, for tests to look at."""

    name: str
    unique_id: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""


class FakeFreeSWITCH:
    """A FreeSWITCH 1.10.12 as far as the event socket shows it."""

    def __init__(self, *, password: str = "ClueCon", scale: float = 1.0,
                 heartbeat: float | None = 20.0, host: str = "127.0.0.1") -> None:
        self.password = password
        self.scale = scale
        self.heartbeat = heartbeat
        self.host = host
        self.identity = Identity()
        self.calls: dict[str, FakeCall] = {}
        self.listeners: set[Listener] = set()
        self._open: set[Listener] = set()
        self._own: dict[str, set[Listener]] = {}
        self.fired: collections.deque[Fired] = collections.deque(maxlen=10000)
        """The latest events fired (bounded: the demo runs for days)."""
        self.stalled = False
        self.dialplan: dict[str, tuple[str, int]] = {}
        """Extension to outbound socket (host, port): a loopback b-leg goes there."""
        self.originate_outcomes: dict[str, str] = {}
        """Endpoint to hangup cause for `originate` (`loopback/7017`: USER_BUSY)."""
        self.on_originate: Callable[[str, dict[str, str]], CallScript] | None = None
        self._server: StreamServer | None = None
        self._heart: gevent.Greenlet | None = None
        self._session_ids = 0
        self._sessions_since_start = 0
        self.started = time.time()

    # ---- lifecycle ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return self._server.server_port

    def start(self) -> FakeFreeSWITCH:
        self._server = StreamServer((self.host, 0), self._accept)
        self._server.start()
        if self.heartbeat:
            self._heart = gevent.spawn(self._heartbeats)
        return self

    def stop(self) -> None:
        """End everything now (a test's teardown): calls, sockets, the server."""
        if self._heart:
            self._heart.kill(block=False)
        for call in list(self.calls.values()):
            call.hangup()
        for listener in list(self.listeners):
            listener.close(abrupt=True)
        if self._server:
            self._server.stop(timeout=1)

    def kill(self) -> None:
        """SIGKILL: every socket just closes, no event, no notice (capture *-kill9)."""
        if self._heart:
            self._heart.kill(block=False)
        for listener in list(self.listeners):
            listener.close(abrupt=True)
        for call in list(self.calls.values()):
            call.gone = True
            if call._runner is not None:
                call._runner.kill(block=False)
        self.calls.clear()
        if self._server:
            self._server.stop(timeout=1)

    def shutdown(self) -> None:
        """`fsctl shutdown`: SHUTDOWN, every call hung up with SYSTEM_SHUTDOWN, and
        about 11 s later the shutdown notice on every connection, then close."""
        self.fire(EventName.SHUTDOWN.value, self.identity.plain_event(
            EventName.SHUTDOWN, [("Event-Info", "System Shutting Down")]))
        for call in list(self.calls.values()):
            call.hangup(HangupCause.SYSTEM_SHUTDOWN.value)
        gevent.spawn_later(SHUTDOWN_DELAY * self.scale, self._shutdown_over)

    def _shutdown_over(self) -> None:
        if self._heart:
            self._heart.kill(block=False)
        for listener in list(self.listeners):
            session_uuid = listener.call.uuid if isinstance(listener, OutboundSession) else ""
            listener.send(wire.goodbye(session_uuid, wire.SHUTDOWN_TEXT))
            listener.close()
        if self._server:
            self._server.stop(timeout=1)

    def drop(self, uuid: str = "") -> None:
        """Cut sockets without a word, the switch staying up: the socket session of
        call `uuid`, or every control connection when no uuid is given (a network
        loss, as opposed to `kill`)."""
        for listener in list(self.listeners):
            mine = isinstance(listener, OutboundSession) and listener.call.uuid == uuid
            if mine or (not uuid and isinstance(listener, InboundSession)):
                listener.close(abrupt=True)

    def inject(self, data: bytes) -> None:
        """Write raw bytes to every connection (a malformed or oversized frame)."""
        for listener in list(self.listeners):
            listener.send(data)

    def _accept(self, sock: gsocket.socket, address: object) -> None:
        session = InboundSession(self, sock)
        self.attach(session)
        session.serve()

    def detach(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        self._open.discard(listener)
        if listener.own_uuid in self._own:
            self._own[listener.own_uuid].discard(listener)
            if not self._own[listener.own_uuid]:
                del self._own[listener.own_uuid]

    def attach(self, listener: Listener) -> None:
        self.listeners.add(listener)
        self._open.add(listener)

    def restrict(self, listener: Listener, uuid: str) -> None:
        """`myevents`: from now on `listener` hears only `uuid`'s channel events."""
        self._open.discard(listener)
        listener.own_uuid = uuid
        self._own.setdefault(uuid, set()).add(listener)

    # ---- calls -------------------------------------------------------------------------------

    def place_call(self, script: CallScript, host: str, port: int) -> FakeCall:
        """A call arrives and the dialplan runs `socket host:port async full`:
        the fake connects to that outbound server and serves the session."""
        call = FakeCall(self, script, host, f"{host}:{port} async full")
        self.calls[call.uuid] = call
        self._sessions_since_start += 1
        self._connect(call, host, port)
        return call

    def commands_for(self, uuid: str) -> list[Frame]:
        """What the call's socket session was sent (connect, sendmsg …), in order."""
        return [frame for listener in list(self.listeners)
                if isinstance(listener, OutboundSession) and listener.call.uuid == uuid
                for frame in listener.received]

    def forget(self, call: FakeCall) -> None:
        self.calls.pop(call.uuid, None)

    def next_session_id(self) -> int:
        self._session_ids += 1
        return self._session_ids

    def new_uuid(self) -> str:
        return str(uuidlib.uuid4())

    def fire(self, name: str, headers: list[tuple[str, str]], body: str = "",
             unique_id: str = "") -> None:
        self.fired.append(Fired(name, unique_id, headers, body))
        lookup = dict(headers)
        # a session restricted to its call (myevents) hears only that call's events
        # and those with no Unique-ID: index them, so a busy switch is not O(calls²)
        if unique_id:
            targets = [*self._open, *self._own.get(unique_id, ())]
        else:
            targets = list(self.listeners)
        for listener in targets:
            listener.offer(name, headers, lookup, body, unique_id)

    def _heartbeats(self) -> None:
        assert self.heartbeat
        while True:
            gevent.sleep(self.heartbeat * self.scale)
            self.beat()

    def beat(self) -> None:
        """Fire one HEARTBEAT now."""
        up = int((time.time() - self.started) * 1000)
        self.fire(EventName.HEARTBEAT.value, self.identity.plain_event(EventName.HEARTBEAT, [
            ("Event-Info", "System Ready"), ("Up-Time", _uptime(up)),
            ("FreeSWITCH-Version", "1.10.12-release~64bit"), ("Uptime-msec", str(up)),
            ("Session-Count", str(len(self.calls))), ("Max-Sessions", "1000"),
            ("Session-Per-Sec", "30"), ("Session-Per-Sec-Last", "0"),
            ("Session-Per-Sec-Max", "0"), ("Session-Per-Sec-FiveMin", "0"),
            ("Session-Since-Startup", str(self._sessions_since_start)),
            ("Session-Peak-Max", "0"), ("Session-Peak-FiveMin", "0"),
            ("Idle-CPU", "99.000000"),
        ]))

    # ---- api ----------------------------------------------------------------------------------

    def background_job(self, job: str, line: str) -> None:
        output = self.api(line)
        command, _, args = line.partition(" ")
        tail = [("Job-UUID", job), ("Job-Command", command)]
        if args:
            tail.append(("Job-Command-Arg", args))
        self.fire(EventName.BACKGROUND_JOB.value,
                  self.identity.plain_event(EventName.BACKGROUND_JOB, tail), output)

    def api(self, line: str) -> str:
        """What `api LINE` answers (the api/response body)."""
        command, _, args = line.strip().partition(" ")
        handler = getattr(self, "api_" + command, None)
        if handler is None:
            return f"-ERR {command} Command not found!\n"
        return handler(args.strip())

    def api_status(self, args: str) -> str:
        up = int((time.time() - self.started) * 1000)
        return (f"UP {_uptime(up)}\n"
                "FreeSWITCH (Version 1.10.12-release fake 64bit) is ready\n"
                f"{self._sessions_since_start} session(s) since startup\n"
                f"{len(self.calls)} session(s) - peak 0, last 5min 0 \n"
                "0 session(s) per Sec out of max 30, peak 0, last 5min 0 \n"
                "1000 session(s) max\nmin idle cpu 0.00/99.00\n"
                "Current Stack Size/Max 240K/8192K\n")

    def _call(self, uuid: str) -> FakeCall | None:
        call = self.calls.get(uuid)
        return None if call is None or call.gone else call

    def api_uuid_kill(self, args: str) -> str:
        uuid, _, cause = args.partition(" ")
        call = self._call(uuid)
        if call is None:
            return "-ERR No such channel!\n"
        call.hangup(cause.strip() or "NORMAL_CLEARING")
        return "+OK\n"

    def api_uuid_getvar(self, args: str) -> str:
        uuid, _, name = args.partition(" ")
        call = self._call(uuid)
        if call is None:
            return "-ERR No such channel!\n"
        return call.variables.get(name.strip(), UNDEFINED)

    def api_uuid_setvar(self, args: str) -> str:
        parts = args.split(" ", 2)
        call = self._call(parts[0])
        if call is None:
            return "-ERR No such channel!\n"
        if len(parts) > 2:
            call.variables[parts[1]] = parts[2]
        elif len(parts) == 2:
            call.variables.pop(parts[1], None)
        return "+OK\n"

    def api_uuid_send_dtmf(self, args: str) -> str:
        uuid, _, keys = args.partition(" ")
        call = self._call(uuid)
        if call is None:
            return "-ERR No such channel!\n"
        if call.peer is not None:
            # the keys go out of this leg: on loopback they come in on the other one
            # (capture inbound-dtmf-bargein-control); on a phone line, to the phone
            call.peer.press(keys.strip())
        return f"+OK {uuid} sent DTMF {keys.strip()}.\n"

    def api_fsctl(self, args: str) -> str:
        if args == "shutdown":
            gevent.spawn(self.shutdown)
            return "+OK\n"
        return "-ERR fake fsctl knows only shutdown\n"

    def api_originate(self, args: str) -> str:
        """`originate {vars}ENDPOINT &socket(HOST:PORT async full)` or `&park()`.

        A scripted failure (`originate_outcomes`) answers `-ERR CAUSE`. A
        `loopback/EXT` endpoint makes two legs as mod_loopback does: the a-leg
        (outbound) runs the application, the b-leg (inbound) is routed by
        `dialplan` (EXT to an outbound socket) or else answered and parked;
        both answer together, keys sent to the a-leg come out on the b-leg,
        and a hangup of either ends both. The answer is `+OK <a-leg uuid>`
        once the call is answered.
        """
        if not args:
            return ORIGINATE_USAGE
        variables, endpoint, then = _parse_originate(args)
        if endpoint in self.originate_outcomes:
            return f"-ERR {self.originate_outcomes[endpoint]}\n"
        destination = endpoint.rsplit("/", 1)[-1]
        if self.on_originate is not None:
            script = self.on_originate(endpoint, variables)
        else:
            script = CallScript(caller=variables.get("origination_caller_id_number", "0000000000"),
                                destination=destination)
        script.variables = {**variables, **script.variables}
        target = _socket_target(then)
        if not endpoint.startswith("loopback/"):
            call = self._leg(script, target, "outbound", "a")
            return f"+OK {call.uuid}\n"
        a_leg = FakeCall(self, script, direction="outbound", leg="a")
        b_script = CallScript(**{**script.__dict__, "variables": dict(script.variables)})
        route = self.dialplan.get(destination)
        b_leg = FakeCall(self, b_script, *((route[0], f"{route[0]}:{route[1]} async full")
                                           if route else ("", "")), leg="b")
        a_leg.peer, b_leg.peer = b_leg, a_leg
        for leg in (a_leg, b_leg):
            self.calls[leg.uuid] = leg
            leg.fire(EventName.CHANNEL_CREATE)
        self._sessions_since_start += 2
        if route:
            self._connect(b_leg, *route)
        else:
            b_leg.start()
            b_leg.answer()
        if target:
            self._connect(a_leg, *target)
        else:
            a_leg.start()
        if not b_leg.answered.wait(60 * self.scale) or b_leg.gone:
            a_leg.hangup("NO_ANSWER")
            return "-ERR NO_ANSWER\n"
        # the originate thread returns a couple of frames after the answer (captures:
        # 20-40 ms, by which time the socket session has started its first app)
        gevent.sleep(max(2 * FRAME * self.scale, 2 * MIN_FRAME))
        return f"+OK {a_leg.uuid}\n"

    def _leg(self, script: CallScript, target: tuple[str, int] | None, direction: str,
             leg: str) -> FakeCall:
        call = FakeCall(self, script, direction=direction, leg=leg)
        self.calls[call.uuid] = call
        self._sessions_since_start += 1
        if target:
            self._connect(call, *target)
        else:
            call.start()
            call.answer()
        return call

    def _connect(self, call: FakeCall, host: str, port: int) -> None:
        call.base_app, call.base_arg = "socket", f"{host}:{port} async full"
        call.variables.update({"current_application_data": call.base_arg,
                               "current_application": "socket", "socket_host": host})
        try:
            sock = gsocket.create_connection((host, port), timeout=5)
        except OSError:
            call.hangup(HangupCause.DESTINATION_OUT_OF_ORDER.value)
            return
        sock.settimeout(None)
        session = OutboundSession(self, sock, call)
        self.attach(session)
        gevent.spawn(session.serve)

    def api_show(self, args: str) -> str:
        """`show channels as json`: the columns 1.10.12 prints."""
        if args != "channels as json":
            return "-ERR the fake shows only `channels as json`\n"
        rows = [_channel_row(c) for c in self.calls.values() if not c.gone]
        return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"))


def _socket_target(then: str) -> tuple[str, int] | None:
    if not (then.startswith("&socket(") and then.endswith(")")):
        return None
    host, _, port = then[len("&socket("):-1].split(" ")[0].rpartition(":")
    return (host, int(port)) if port.isdigit() else None


def _channel_row(call: FakeCall) -> dict[str, str]:
    created = call.created_us // 1_000_000
    s = call.script
    running = call.running
    return {
        "uuid": call.uuid, "direction": call.direction,
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created)),
        "created_epoch": str(created), "name": call.name, "state": call.state,
        "cid_name": "", "cid_num": s.caller, "ip_addr": "", "dest": s.destination,
        "application": running.app if running else call.base_app,
        "application_data": running.arg if running else call.base_arg,
        "dialplan": "xml", "context": "default", "read_codec": "L16", "read_rate": "8000",
        "read_bit_rate": "128000", "write_codec": "L16", "write_rate": "8000",
        "write_bit_rate": "128000", "secure": "", "hostname": call.switch.identity.hostname,
        "presence_id": "", "presence_data": "", "accountcode": "", "callstate": call.call_state,
        "callee_name": "", "callee_num": "", "callee_direction": "", "call_uuid": call.uuid,
        "sent_callee_name": "", "sent_callee_num": "", "initial_cid_name": "",
        "initial_cid_num": s.caller, "initial_ip_addr": "", "initial_dest": s.destination,
        "initial_dialplan": "xml", "initial_context": "default",
    }


def _parse_originate(args: str) -> tuple[dict[str, str], str, str]:
    variables: dict[str, str] = {}
    rest = args
    if rest.startswith("{") and "}" in rest:
        block, rest = rest[1:].split("}", 1)
        for item in block.split(","):
            name, _, value = item.partition("=")
            if name:
                variables[name] = value
    endpoint, _, then = rest.partition(" ")
    then = then.strip()
    if then.startswith("'") and then.endswith("'"):
        then = then[1:-1]
    return variables, endpoint, then


def _uptime(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return (f"0 years, {days} days, {hours} hours, {minutes} minutes, {seconds} seconds, "
            f"{millis} milliseconds, 0 microseconds")

