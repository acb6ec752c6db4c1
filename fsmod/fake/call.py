"""One call in the fake switch: its channel state, variables, DTMF queue and
the loop that runs its applications one at a time.

The loop is FreeSWITCH's park loop as the captures show it: an application
sent with sendmsg starts at the next media frame (20 ms after the +OK); a
key that arrives while no application runs is taken off the queue one per
frame and lost (a DTMF event fires for it, nothing else); right after an
application ends, one waiting key is taken and lost at once. A hangup fires
CHANNEL_HANGUP at once, lets the running application complete, then sends
the end every socket session sees: CHANNEL_UNPARK, the `socket`
application's completion, CHANNEL_STATE twice, CHANNEL_HANGUP_COMPLETE.
"""

from __future__ import annotations

import collections
import logging
import time
import uuid as uuidlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gevent
import gevent.event

from fsmod.fake.script import CallScript
from fsmod.vocab import EventName, HangupCause

if TYPE_CHECKING:
    from fsmod.esl.frame import Frame
    from fsmod.fake.switch import FakeFreeSWITCH

log = logging.getLogger(__name__)

FRAME = 0.02
"""One media frame (20 ms): the pace at which FreeSWITCH takes keys off the queue."""

MIN_FRAME = 0.02
"""Real seconds an idle frame lasts at least, whatever the clock's scale."""

_PROFILE_TIMES = ("Profile-Created-Time", "Channel-Created-Time", "Channel-Answered-Time",
                  "Channel-Progress-Time", "Channel-Progress-Media-Time", "Channel-Hangup-Time",
                  "Channel-Transfer-Time", "Channel-Resurrect-Time", "Channel-Bridged-Time",
                  "Channel-Last-Hold", "Channel-Hold-Accum")


@dataclass
class PendingApp:
    app: str
    arg: str
    event_uuid: str


class FakeCall:
    """A channel as FreeSWITCH keeps it; the fake's applications act on it."""

    def __init__(self, switch: FakeFreeSWITCH, script: CallScript, socket_host: str = "",
                 socket_arg: str = "", *, direction: str = "inbound", leg: str = "b") -> None:
        """A leg: `inbound` (the b-leg the dialplan routes, e.g. to the outbound
        socket) or `outbound` (the a-leg an originate creates). With no socket
        the leg is parked (`park`), as `&park()` or the fake's default route."""
        self.switch = switch
        self.script = script
        self.direction = direction
        self.uuid = str(uuidlib.uuid4())
        self.socket_uuid = str(uuidlib.uuid4())
        self.base_app, self.base_arg = ("socket", socket_arg) if socket_host else ("park", "")
        self.peer: FakeCall | None = None
        self.other: list[tuple[str, str]] | None = None
        """The bridged party's profile (`Other-Leg-*`) once a bridge is set up."""
        self.other_type = "originatee"
        """`originator` on a leg a bridge dialled (its Other-Leg is the caller)."""
        self.call_uuid = self.uuid
        """`Channel-Call-UUID`: the call a leg belongs to (a dialled leg: its caller's)."""
        self.flipped = False
        """Set when the originate that made this a-leg returned with its answer."""
        self.socket_done = False
        self.transfer_source = ""
        """Set once the call was moved by uuid_bridge (`EPOCH:UUID:uuid_br:OTHER`)."""
        self.rdnis = ""
        """The number dialled before a transfer (`Caller-RDNIS`: uuid_transfer, or an
        originate into `… 7200 XML default`, fake/fax.py)."""
        self.cid_flipped = False
        """An a-leg running an originate's inline application (`&txfax(…)`) already
        reports the far end as its caller (fake/fax.py)."""
        self.handed_over: float | None = None
        """Set by an application that hands the call over (callcenter answered):
        the socket session ends and the call talks for that many seconds."""
        self._on_hangup: list[Callable[[], None]] = []
        self.dialplan_leg = False
        """Runs an extension's applications (`run_extension`): hung up after the last."""
        self.injected: collections.deque[PendingApp] = collections.deque()
        """Applications `uuid_broadcast` runs inside the one running now (park)."""
        self.moving = False
        """`move` was called: park ends even when a broadcast ran inside it."""
        self.parking = False
        """The park application runs: an application sent now runs inside it."""
        self.bridge_partner: FakeCall | None = None
        """The other leg of a `uuid_bridge`, while it lasts."""
        self.bridge_first = False
        """This leg is the bridge's A side (it fires CHANNEL_BRIDGE/UNBRIDGE)."""
        self.far_end_hangs_up: Callable[[], None] | None = None
        """After a hand-over's talk: the bridged party's side ends first (the agent's phone)."""
        self.answered = gevent.event.Event()
        self.name = f"loopback/{script.destination}-{leg}"
        self.created_us = int(time.time() * 1_000_000)
        self.answered_us = 0
        self.hangup_us = 0
        self.state = "CS_EXECUTE"
        self.state_number = 4
        self.call_state = "RINGING"
        self.answer_state = "ringing"
        self.hangup_cause = ""
        self.gone = False
        self.ended = gevent.event.Event()
        self.dtmf: collections.deque[str] = collections.deque()
        self.pending: collections.deque[PendingApp] = collections.deque()
        self.running: PendingApp | None = None
        self.last_response = "_none_"
        self.recording: str | None = None
        self.broken = False
        self.avmd_armed = False                           # avmd_start ran (fake/detect.py)
        self.fax_armed = False                            # spandsp_start_fax_detect ran
        self.scheduled: gevent.Greenlet | None = None     # sched_hangup
        self.commands: Sequence[Frame] = ()
        """What the call's socket session was sent, kept after the session closed."""
        """`uuid_break`: the running application's wait ends (playback stops, a queue
        member breaks out)."""
        self._signal = gevent.event.Event()
        self._hung_up = gevent.event.Event()
        self.apps_started = 0
        self.apps_at_answer = 0
        self.app_started = gevent.event.Event()
        """Set as each application starts (an originate returns after the next one)."""
        self._wake = gevent.event.Event()
        self._on_end: list[Callable[[], None]] = []
        self.on_execute: list[Callable[[PendingApp], None]] = []
        """Told of each application as it starts (a scripted caller that reacts to it)."""
        self.variables: dict[str, str] = {
            "direction": direction, "uuid": self.uuid,
            "session_id": str(switch.next_session_id()), "channel_name": self.name,
            "read_codec": "L16", "read_rate": "8000", "write_codec": "L16", "write_rate": "8000",
            "origination_caller_id_number": script.caller,
            **script.variables,
            "call_uuid": self.uuid,
        }
        if socket_host:
            self.variables.update({"current_application_data": socket_arg,
                                   "current_application": "socket", "socket_host": socket_host})
        self._runner: gevent.Greenlet | None = None

    # ---- the channel as events show it --------------------------------------------------

    def profile(self, prefix: str) -> list[tuple[str, str]]:
        """The caller profile block (`Caller-…`, or `Channel-…` in CHANNEL_DATA)."""
        s = self.script
        rows = [("Direction", self.direction), ("Logical-Direction", self.direction),
                ("Dialplan", "xml")]
        if self.direction == "outbound" and (
                self.flipped or (self.answered_us and self.cid_flipped)):
            # an originated a-leg shows the far end as its caller once the originate
            # has returned, or runs its inline application (switch_channel_flip_cid);
            # one that failed never does, nor one transferred to a new profile
            named = [("Orig-Caller-ID-Name", s.caller_name)] if s.caller_name else []
            callee = [("Callee-ID-Name", s.caller_name)] if s.caller_name else []
            rows += [("Caller-ID-Name", "Outbound Call"), ("Caller-ID-Number", s.destination),
                     *named, ("Orig-Caller-ID-Number", s.caller), *callee,
                     ("Callee-ID-Number", s.caller)]
        else:
            named = [("Caller-ID-Name", s.caller_name)] if s.caller_name else []
            orig = [("Orig-Caller-ID-Name", s.caller_name)] if s.caller_name else []
            rows += [*named, ("Caller-ID-Number", s.caller), *orig,
                     ("Orig-Caller-ID-Number", s.caller),
                     ("Callee-ID-Name", "Outbound Call"), ("Callee-ID-Number", s.destination)]
        rows += [("ANI", s.caller), ("Destination-Number", s.destination),
                 ("Unique-ID", self.uuid), ("Source", "mod_loopback")]
        if self.transfer_source:
            rows.append(("Transfer-Source", self.transfer_source))
        rows += [("Context", "default"), *([("RDNIS", self.rdnis)] if self.rdnis else []),
                 ("Channel-Name", self.name),
                 ("Profile-Index", "2" if self.transfer_source else "1")]
        times = {"Profile-Created-Time": self.created_us, "Channel-Created-Time": self.created_us,
                 "Channel-Answered-Time": self.answered_us,
                 "Channel-Hangup-Time": self.hangup_us}
        rows += [(t, str(times.get(t, 0))) for t in _PROFILE_TIMES]
        rows += [("Screen-Bit", "true"), ("Privacy-Hide-Name", "false"),
                 ("Privacy-Hide-Number", "false")]
        return [(prefix + k, v) for k, v in rows]

    def as_other_leg(self) -> list[tuple[str, str]]:
        """This channel as a leg it dialled shows it (`Other-Leg-*`, times 0)."""
        rows = []
        for name, value in self.profile("Other-Leg-"):
            if name in ("Other-Leg-Profile-Index", "Other-Leg-Transfer-Source"):
                continue
            rows.append((name, "0" if name.endswith("-Time") or name.endswith("-Hold")
                         or name.endswith("-Accum") else value))
        return rows

    def channel_headers(self, with_cause: bool = True) -> list[tuple[str, str]]:
        rows = [("Channel-State", self.state), ("Channel-Call-State", self.call_state),
                ("Channel-State-Number", str(self.state_number)), ("Channel-Name", self.name),
                ("Unique-ID", self.uuid), ("Call-Direction", self.direction),
                ("Presence-Call-Direction", self.direction),
                ("Channel-HIT-Dialplan", "true" if self.direction == "inbound" else "false"),
                ("Channel-Call-UUID", self.call_uuid), ("Answer-State", self.answer_state)]
        if with_cause and self.hangup_cause:
            rows.append(("Hangup-Cause", self.hangup_cause))
        rows += [("Channel-Read-Codec-Name", "L16"), ("Channel-Read-Codec-Rate", "8000"),
                 ("Channel-Read-Codec-Bit-Rate", "128000"), ("Channel-Write-Codec-Name", "L16"),
                 ("Channel-Write-Codec-Rate", "8000"), ("Channel-Write-Codec-Bit-Rate", "128000")]
        rows += self.profile("Caller-")
        if self.other is not None:
            rows += [("Other-Type", self.other_type), *self.other]
        return rows

    def channel_data(self) -> list[tuple[str, str]]:
        """CHANNEL_DATA as the `connect` reply carries it."""
        ident = self.switch.identity
        rows = ident.core(EventName.CHANNEL_DATA.value) + self.profile("Channel-")
        rows += self.channel_headers()
        return rows + [(f"variable_{k}", v) for k, v in self.variables.items()]

    def fire(self, name: EventName, tail: list[tuple[str, str]] | None = None) -> None:
        headers = self.switch.identity.channel_event(name, self, tail)
        self.switch.fire(name.value, headers, unique_id=self.uuid)

    # ---- time, keys and the loop ----------------------------------------------------------

    def sleep(self, seconds: float) -> None:
        gevent.sleep(seconds * self.switch.scale)

    def pause(self, seconds: float) -> None:
        """Like `sleep`, but a hangup ends it at once."""
        self._hung_up.wait(seconds * self.switch.scale)

    def wait(self, seconds: float | None, *, keys: bool = True) -> str:
        """Wait up to `seconds` (scaled); returns `key` when a key is queued (if
        `keys`), `hangup` when the call is gone, else `timeout`."""
        deadline = None if seconds is None else time.monotonic() + seconds * self.switch.scale
        while True:
            if self.gone:
                return "hangup"
            if self.broken:
                self.broken = False
                return "break"
            if keys and self.dtmf:
                return "key"
            if self.injected or (self.parking and self.pending):
                return "inject"
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return "timeout"
            self._signal.clear()
            self._signal.wait(left)

    def interrupt(self) -> None:
        """`uuid_break UUID all`: the application running now stops waiting."""
        if self.running is not None:
            self.broken = True
            self._signal.set()

    def take_key(self) -> str:
        """Dequeue one key: FreeSWITCH fires the DTMF event at this moment."""
        key = self.dtmf.popleft()
        self.fire(EventName.DTMF, [("DTMF-Digit", key), ("DTMF-Duration", "2000"),
                                   ("DTMF-Source", "UNKNOWN")])
        return key

    def press(self, keys: str) -> None:
        """Keys arrive on the line (a scripted caller, or `uuid_send_dtmf`)."""
        if self.gone:
            return
        self.dtmf.extend(keys)
        self._signal.set()
        self._wake.set()

    def enqueue(self, app: str, arg: str, event_uuid: str) -> None:
        self.pending.append(PendingApp(app, arg, event_uuid))
        self._wake.set()
        self._signal.set()

    def start(self) -> None:
        if self.base_app == "park":
            self.variables["current_application"] = "park"
        self._runner = gevent.spawn(self._run)
        for press in self.script.keys:
            gevent.spawn_later(press.at * self.switch.scale, self.press, press.keys)
        if self.script.hangup_at is not None:
            gevent.spawn_later(self.script.hangup_at * self.switch.scale, self.hangup,
                               self.script.hangup_cause)

    def run_extension(self, apps: Sequence[tuple[str, str]]) -> None:
        """Start the leg on an extension's applications (a loopback b-leg the
        dialplan does not send to a socket): no socket or park to complete at
        the end; the leg hangs up when the last application returns."""
        self.socket_done = True
        self.dialplan_leg = True
        self.start()
        for app, arg in apps:
            self.enqueue(app, arg, str(uuidlib.uuid4()))

    def transfer(self, apps: Sequence[tuple[str, str]], destination: str) -> None:
        """`uuid_transfer`: what runs now stops (a bridge ends, park returns) and
        the destination extension's applications run instead."""
        self.pending.clear()
        self.socket_done = True
        self.dialplan_leg = True
        # a new caller profile: the old destination as RDNIS, no other leg, not flipped
        self.rdnis, self.script.destination = self.script.destination, destination
        self.transfer_source = (f"{int(time.time())}:{uuidlib.uuid4()}:bl_xfer:"
                                f"{destination}/default/XML")
        self.other, self.flipped = None, False
        for app, arg in apps:
            self.enqueue(app, arg, str(uuidlib.uuid4()))
        partner = self.bridge_partner
        if partner is not None:
            partner.move()
        self.move()

    def move(self) -> None:
        """Stop what runs, park and what runs inside it included (a transfer, a
        uuid_bridge): the next application sent runs instead."""
        self.moving = True
        self.interrupt()

    def interrupt_bridge(self) -> None:
        """This leg hangs up: the other leg of its uuid_bridge stops bridging."""
        partner = self.bridge_partner
        if partner is not None and partner.bridge_partner is self:
            partner.move()

    def broadcast(self, app: str, arg: str) -> None:
        """`uuid_broadcast`: run `app` within the application running now."""
        self.injected.append(PendingApp(app, arg, str(uuidlib.uuid4())))
        self._signal.set()

    def on_end(self, callback: Callable[[], None]) -> None:
        self._on_end.append(callback)

    def on_hangup(self, callback: Callable[[], None]) -> None:
        self._on_hangup.append(callback)

    def _run(self) -> None:
        from fsmod.fake.media import run_app

        while not self.gone:
            if self.pending:
                # the park loop's next frame runs it (a hangup meanwhile ends the loop now)
                self.pause(FRAME)
                if self.gone:
                    break
                self.running = self.pending.popleft()
                self.moving = self.broken = False
                try:
                    run_app(self, self.running)
                finally:
                    self.running = None
                if self.handed_over is not None and not self.gone:
                    self._hand_over(self.handed_over)
                    break
                if self.dtmf and not self.gone:
                    self.take_key()                # the first pass of the park loop
                if self.dialplan_leg and not self.pending and not self.gone:
                    self.hangup("NORMAL_CLEARING")  # the extension has no more to run
                continue
            if self.dtmf:
                self._idle_frame()
                if self.dtmf and not self.pending and not self.gone:
                    self.take_key()                # nobody listens: the key is lost
                continue
            self._wake.clear()
            self._wake.wait()
        self._finish()

    def _idle_frame(self) -> None:
        """One frame of the park loop, ended early by a command to run. Never
        shorter than a real 20 ms, even on a scaled clock: it is the window in
        which a client's next sendmsg still catches a waiting key, and a client
        needs real time to send it."""
        deadline = time.monotonic() + max(FRAME * self.switch.scale, MIN_FRAME)
        while not self.pending and not self.gone:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._wake.clear()
            self._wake.wait(left)

    # ---- the end ----------------------------------------------------------------------------

    def answer(self) -> None:
        """Answer; a loopback leg's peer answers with it (the a-leg's event first)."""
        if self.answered_us or self.gone:
            return
        self.answered_us = int(time.time() * 1_000_000)
        self.apps_at_answer = self.apps_started
        if self.peer is not None and self.direction == "inbound":
            self.peer.answer()
        self.call_state, self.answer_state = "ACTIVE", "answered"
        self.variables["endpoint_disposition"] = "ANSWER"
        self.fire(EventName.CHANNEL_ANSWER)
        self.answered.set()
        if self.peer is not None and self.direction == "outbound":
            self.peer.answer()

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        """The line goes: CHANNEL_HANGUP now; the rest once the running
        application has completed (the loop's `_finish`)."""
        if self.gone:
            return
        cause = cause if HangupCause.parse(cause) else "NORMAL_CLEARING"
        self.hangup_cause = cause
        self.hangup_us = int(time.time() * 1_000_000)
        self.answer_state = "hangup"
        self.state_number = 10
        self.fire(EventName.CHANNEL_HANGUP)
        self.gone = True
        self._hung_up.set()
        for callback in self._on_hangup:
            callback()
        self._signal.set()
        self._wake.set()
        self.answered.set()
        if self.peer is not None:
            self.peer.hangup(cause)              # loopback: the other leg goes too
        if self._runner is None:
            self._finish()

    def _end_socket(self) -> None:
        """The socket (or park) application completes: the session's part is over."""
        self.socket_done = True
        self.fire(EventName.CHANNEL_UNPARK)
        self.fire(EventName.CHANNEL_EXECUTE_COMPLETE, [
            ("Application", self.base_app),
            *([("Application-Data", self.base_arg)] if self.base_arg else []),
            ("Application-Response", self.last_response),
            ("Application-UUID", self.socket_uuid),
        ])

    def _set_state(self, state: str, number: int) -> None:
        self.state, self.state_number = state, number
        self.fire(EventName.CHANNEL_STATE)

    def _hand_over(self, talk: float) -> None:
        """After `callcenter` answered (capture outbound-callcenter-agent-answers):
        the socket application ends, the channel runs uuid_bridge to the agent's
        leg, talks, and is hung up when the agent hangs up."""
        self._end_socket()
        self._set_state("CS_HIBERNATE", 8)
        self._set_state("CS_RESET", 9)
        self._set_state("CS_SOFT_EXECUTE", 3)
        other = self.variables.get("bridge_uuid", "")
        self.fire(EventName.CHANNEL_EXECUTE, [("Application", "uuid_bridge"),
                                              ("Application-Data", other)])
        bridge = [("Bridge-A-Unique-ID", self.uuid), ("Bridge-B-Unique-ID", other)]
        self.fire_bridge(EventName.CHANNEL_BRIDGE, bridge)
        self.wait(talk, keys=False)
        if not self.gone and self.far_end_hangs_up is not None:
            self.far_end_hangs_up()
        if not self.gone:
            self.variables.update({"last_bridge_to": other,
                                   "bridge_hangup_cause": "NORMAL_CLEARING",
                                   "last_bridge_hangup_cause": "NORMAL_CLEARING"})
            self.fire_bridge(EventName.CHANNEL_UNBRIDGE, bridge)
            self._set_state("CS_EXECUTE", 4)
            self.hangup("NORMAL_CLEARING")

    def fire_bridge(self, name: EventName, bridge: list[tuple[str, str]]) -> None:
        headers = self.switch.identity.channel_event(name, self)
        self.switch.fire(name.value, headers[:13] + bridge + headers[13:], unique_id=self.uuid)

    def _finish(self) -> None:
        if self.ended.is_set():
            return
        if self.scheduled is not None:
            self.scheduled.kill(block=False)
        if not self.socket_done:
            self._end_socket()
        self.state = "CS_HANGUP"
        self.fire(EventName.CHANNEL_STATE)
        if self.recording:
            self.fire(EventName.RECORD_STOP, [("Record-File-Path", self.recording),
                                              ("Record-Completion-Cause", "success-silence")])
            self.recording = None
        self.state, self.state_number, self.call_state = "CS_REPORTING", 11, "HANGUP"
        self.fire(EventName.CHANNEL_STATE)
        self.variables["hangup_cause"] = self.hangup_cause
        self.variables["hangup_cause_q850"] = str(HangupCause(self.hangup_cause).q850)
        self.variables["end_epoch"] = str(int(time.time()))
        self.fire(EventName.CHANNEL_HANGUP_COMPLETE)
        self.ended.set()
        self.switch.forget(self)
        for callback in self._on_end:
            try:
                callback()
            except Exception:              # a session's end must not stop the others'
                log.exception("fake call %s: end callback failed", self.uuid)
