"""The fake FreeSWITCH: an event socket server, calls that reach an outbound
server, heartbeats, shutdown and kill (its api commands: api.py).

It is a real TCP server on an ephemeral port (tests and the demo connect to
it as they would to FreeSWITCH), records what it was sent (`commands_for`)
and what it fired (`fired`), and can be told to misbehave: stall every reply
(`stalled`), cut sockets (`drop`), die (`kill`), or write raw bytes
(`inject`: a malformed or oversized frame). `scale`
multiplies every duration (prompts, timeouts, scripted moments, heartbeat,
the 11 s shutdown delay), so a 20 s capture replays in a second.
"""

from __future__ import annotations

import collections
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
from fsmod.fake.api import ApiCommands, uptime
from fsmod.fake.call import FakeCall
from fsmod.fake.conference import Conferences
from fsmod.fake.control import CallcenterControl
from fsmod.fake.events import Identity
from fsmod.fake.fax import FaxLine
from fsmod.fake.legs import LoopbackLegs
from fsmod.fake.script import CallScript
from fsmod.fake.sessions import InboundSession, Listener, OutboundSession
from fsmod.vocab import EventName, HangupCause

log = logging.getLogger(__name__)

DEFAULT_EXTENSION = (("answer", ""), ("park", ""))
"""What an extension not in `extensions` runs when a transfer or an agent contact
reaches it (an originate's b-leg is then just answered and parked)."""

SHUTDOWN_DELAY = 11.0
"""Seconds between `fsctl shutdown` and the final notice (captures: about 11 s)."""

@dataclass
class Fired:
    """An event the fake fired, for tests to look at."""

    name: str
    unique_id: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""


class FakeFreeSWITCH(CallcenterControl, Conferences, LoopbackLegs, ApiCommands):
    """A FreeSWITCH 1.10.12 as far as the event socket shows it."""

    def __init__(self, *, password: str = "ClueCon", scale: float = 1.0,
                 heartbeat: float | None = 20.0, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        """`port` 0: an ephemeral one (a test restarting a switch gives the old one)."""
        self.password = password
        self.scale = scale
        self.heartbeat = heartbeat
        self.host = host
        self.listen_port = port
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
        self.extensions: dict[str, list[tuple[str, str]]] = {}
        """Extension to the applications (name, argument) its loopback b-leg runs
        when no socket takes it (`7100`: [("bridge", "loopback/7101")])."""
        self.originate_outcomes: dict[str, str] = {}
        """Endpoint to hangup cause for `originate` (`loopback/7017`: USER_BUSY)."""
        self.on_originate: Callable[[str, dict[str, str]], CallScript] | None = None
        self.fax_lines: dict[str, FaxLine | list[FaxLine]] = {}
        """Endpoint to what answers a `&txfax` / `&rxfax` originate (fake/fax.py)."""
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
        self._server = StreamServer((self.host, self.listen_port), self._accept)
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

    def extension(self, number: str) -> list[tuple[str, str]]:
        """The applications extension `number` runs (see `extensions`)."""
        return list(self.extensions.get(number, DEFAULT_EXTENSION))

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
            ("Event-Info", "System Ready"), ("Up-Time", uptime(up)),
            ("FreeSWITCH-Version", "1.10.12-release~64bit"), ("Uptime-msec", str(up)),
            ("Session-Count", str(len(self.calls))), ("Max-Sessions", "1000"),
            ("Session-Per-Sec", "30"), ("Session-Per-Sec-Last", "0"),
            ("Session-Per-Sec-Max", "0"), ("Session-Per-Sec-FiveMin", "0"),
            ("Session-Since-Startup", str(self._sessions_since_start)),
            ("Session-Peak-Max", "0"), ("Session-Peak-FiveMin", "0"),
            ("Idle-CPU", "99.000000"),
        ]))

    # ---- api ----------------------------------------------------------------------------------

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
