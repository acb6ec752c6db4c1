"""The api commands the fake FreeSWITCH answers (`api` and `bgapi`), as 1.10.12 does.

`status`, `originate` (loopback legs, the outbound socket, extensions,
scripted failures), `uuid_kill`, `uuid_break`, `uuid_getvar`, `uuid_setvar`,
`uuid_send_dtmf`, `show channels as json`, `fsctl shutdown` (more in
control.py and conference.py); any other answers
`-ERR NAME Command not found!` (capture inbound-control). A mixin of
FakeFreeSWITCH, kept apart so the switch's own module stays about sockets,
calls and events.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import gevent

from fsmod.fake.call import FRAME, MIN_FRAME, FakeCall
from fsmod.fake.fax import FaxLine, inline_app
from fsmod.fake.script import CallScript
from fsmod.vocab import UNDEFINED, EventName

if TYPE_CHECKING:
    from fsmod.fake.events import Identity

ORIGINATE_USAGE = ("-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] "
                   "[<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n")


class ApiCommands:
    """`api_<name>(args) -> body` per command; `api(line)` dispatches."""

    calls: dict[str, FakeCall]
    identity: Identity
    scale: float
    started: float
    dialplan: dict[str, tuple[str, int]]
    originate_outcomes: dict[str, str]
    fax_lines: dict[str, FaxLine | list[FaxLine]]
    on_originate: Callable[[str, dict[str, str]], CallScript] | None
    _sessions_since_start: int

    def fire(self, name: str, headers: list[tuple[str, str]], body: str = "",
             unique_id: str = "") -> None:
        raise NotImplementedError

    def shutdown(self) -> None:
        raise NotImplementedError

    def _leg(self, script: CallScript, target: tuple[str, int] | None, direction: str,
             leg: str) -> FakeCall:
        raise NotImplementedError

    def _connect(self, call: FakeCall, host: str, port: int) -> None:
        raise NotImplementedError

    def failed_legs(self, endpoint: str, variables: dict[str, str], cause: str, *,
                    originator: FakeCall | None = None, ring: float | None = None,
                    background: bool = True) -> FakeCall:
        raise NotImplementedError

    def new_uuid(self) -> str:
        raise NotImplementedError

    def extension(self, number: str) -> list[tuple[str, str]]:
        raise NotImplementedError

    def background_job(self, job: str, line: str) -> None:
        command, _, args = line.partition(" ")
        if command == "originate":
            output = self.api_originate(args.strip(), background=True)
        else:
            output = self.api(line)
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
        return (f"UP {uptime(up)}\n"
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
        """A channel hanging up is still there until it is destroyed (a queued
        member whose mod_callcenter thread still holds it): `+OK` (capture
        inbound-callcenter-control)."""
        uuid, _, cause = args.partition(" ")
        call = self.calls.get(uuid)
        if call is None or call.ended.is_set():
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

    def api_uuid_break(self, args: str) -> str:
        """`uuid_break UUID [all]`: stop what the call's application waits on (its
        playback; a callcenter member breaks out of the queue: BREAK_OUT)."""
        call = self._call(args.split(" ")[0])
        if call is None:
            return "-ERR No such channel!\n"
        call.interrupt()
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

    def api_originate(self, args: str, background: bool = False) -> str:
        """`originate {vars}ENDPOINT &socket(HOST:PORT async full)` or `&park()`.

        A scripted failure (`originate_outcomes`) answers `-ERR CAUSE`. A
        `loopback/EXT` endpoint makes two legs as mod_loopback does: the a-leg
        (outbound) runs the application, the b-leg (inbound) is routed by
        `dialplan` (EXT to an outbound socket), or runs `extensions[EXT]`, or
        else is answered and parked;
        both answer together, keys sent to the a-leg come out on the b-leg,
        and a hangup of either ends both. The answer is `+OK <a-leg uuid>`
        once the call is answered. A failure's legs end before a background
        job's event, after an `api` response (capture inbound-originate-outcomes).
        """
        if not args:
            return ORIGINATE_USAGE
        variables, endpoint, then = _parse_originate(args)
        if endpoint in self.originate_outcomes:
            cause = self.originate_outcomes[endpoint]
            if endpoint.startswith("loopback/"):
                self.failed_legs(endpoint, variables, cause, background=background)
            return f"-ERR {cause}\n"
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
            call.flipped = True
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
        elif destination in self.extensions:
            b_leg.run_extension(self.extension(destination))
        else:
            b_leg.start()                   # answered and parked (no events of either app)
            b_leg.answer()
        app = _application(then)
        if target:
            self._connect(a_leg, *target)
        elif app is not None:
            a_leg.socket_done = a_leg.dialplan_leg = True
            a_leg.start()
        else:
            a_leg.start()
            inline_app(a_leg, then, endpoint)      # &txfax / &rxfax (fake/fax.py)
        if not b_leg.answered.wait(60 * self.scale) or b_leg.gone:
            a_leg.hangup("NO_ANSWER")
            return "-ERR NO_ANSWER\n"
        # the originate thread returns a couple of frames after the answer (captures:
        # 20-40 ms), by which time the b-leg has started its next application (park,
        # conference, a socket session's first app): on a scaled clock, wait for that
        # start rather than for time the client's round trips do not scale with
        # (counted from the answer, so a late wake-up here cannot miss it)
        started, deadline = b_leg.apps_at_answer, time.monotonic() + max(
            2 * FRAME * self.scale, 2 * MIN_FRAME)
        while b_leg.apps_started == started and not b_leg.gone:
            event = b_leg.app_started
            left = deadline - time.monotonic()
            if left <= 0:
                break
            event.wait(left)
        a_leg.flipped = True
        if app is not None and not target and not a_leg.gone:
            a_leg.enqueue(app[0], app[1], self.new_uuid())   # runs once the job is out
        return f"+OK {a_leg.uuid}\n"

    def api_show(self, args: str) -> str:
        """`show channels as json`: the columns 1.10.12 prints; `show registrations as
        json` once the fake was given a `registrations` table (phone user -> its row,
        as 1.10.12 prints it; the whole-service demo's desk phones), else refused as
        before (a fake that knows no phones says so rather than "none registered")."""
        registrations = self.__dict__.get("registrations")
        if args == "registrations as json" and registrations is not None:
            rows = list(registrations.values())
            return json.dumps({"row_count": len(rows), **({"rows": rows} if rows else {})},
                              separators=(",", ":"))
        if args != "channels as json":
            return "-ERR the fake shows only `channels as json`\n"
        rows = [_channel_row(c) for c in self.calls.values() if not c.gone]
        return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"))


A_LEG_APPS = frozenset({"park", "eavesdrop", "conference"})
"""Applications an originated a-leg runs after the job (capture inbound-call-control)."""


def _application(then: str) -> tuple[str, str] | None:
    """`&park()` -> ("park", ""), `&eavesdrop(UUID)` -> ("eavesdrop", UUID); None
    for any other (the a-leg is then parked as before: txfax and the like are
    left to their own tests)."""
    if not (then.startswith("&") and then.endswith(")") and "(" in then):
        return None
    name, _, arg = then[1:-1].partition("(")
    return (name, arg) if name in A_LEG_APPS else None


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


def uptime(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return (f"0 years, {days} days, {hours} hours, {minutes} minutes, {seconds} seconds, "
            f"{millis} milliseconds, 0 microseconds")

