"""The simulator phone: a Channel in-process, deterministic, on a virtual clock.

A `Caller` decides what the person on the line does each time the flow
waits (press keys, stay silent, hang up) and which keys they press while a
prompt plays; the channel records everything the caller would have heard or
caused as `SimEvent`s. Timeouts advance the virtual clock instead of
waiting, so a test of a 30-second queue timeout takes microseconds.

Keys follow FreeSWITCH's rules on the call's clock (docs/engine.md, "Keys"):
every key is pressed at a moment; a prompt takes time; a collect's prompt
stops at the first key, which counts; a plain play stops only on its
terminators and loses every other key; keys pressed while no application
runs are lost. Lost keys show as a `lost` event.

It also keeps FreeSWITCH's rules for how a line ends (esl-captures): an agent
answering a queue ends the flow's part (the line is the agent's until the
call ends, see engine.sim.switch); an answered bridge returns after the
conversation with the line gone; `schedule_hangup` ends the call on its
clock (ALLOTTED_TIMEOUT) wherever it is; a recording, a fax or a queue wait
cut by a hangup still returns its result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid as _uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Protocol

import gevent

from engine.calendars.clock import VirtualClock
from engine.channel.contract import (
    CallGone,
    Channel,
    ChannelEvent,
    DigitRequest,
    DigitResult,
    FaxResult,
    Media,
    PlayResult,
    RecordRequest,
    RecordResult,
)
from engine.channel.requests import (
    PHONE_KEYS,
    BridgeResult,
    QueueOutcome,
    QueueRequest,
    QueueResult,
)
from engine.channel.switch import CallEnd, HangupBy
from engine.evaluation.secrets import SecretText
from engine.sim.keypad import Keypad, Pressed

Input = tuple[Literal["press", "silence", "hangup"], str | None]

MS_PER_CHAR = 150  # how long the simulator pretends a prompt takes to play
REACTION_MS = 400  # from the end of a prompt to the first key of a caller who answers it
_MS = dt.timedelta(milliseconds=1)


@dataclass(frozen=True)
class PressDuring:
    """A caller who presses `keys` while `prompt` plays (from its middle on).

    `prompt` is a prompt key, or "say" for the next `say` sentence.
    """

    keys: str
    prompt: str

    def hears(self, media: Media) -> bool:
        return media.key == self.prompt or (self.prompt == "say" and media.kind == "say")


Script = Input | PressDuring
SPOKEN_BEFORE_HANGUP_MS = 5000  # a caller who hangs up while recorded said this much


@dataclass(frozen=True)
class SimEvent:
    kind: str      # answer play say input record queue bridge talk fax hangup caller_hangup …
    value: Any
    at_ms: int


class Caller(Protocol):
    """The person on the line."""

    def next_input(self, request: DigitRequest) -> Input | None:
        """What the caller does when the flow listens after its prompt; None:
        nothing now (the caller stays silent and this is not a scripted step)."""

    def during(self, media: Media) -> str | None:
        """Keys the caller presses while `media` plays, or None."""

    def at_recording(self, request: RecordRequest) -> Input | None:
        """What the caller does when recorded: None to speak, or silence / hangup."""

    def at_fax(self) -> Input | None:
        """What the caller's fax machine does: None to take the fax, or hangup mid-fax."""


class ScriptedCaller:
    """Plays a fixed list of inputs in order; hangs up when it runs out.

    A plain input answers the flow's next wait for keys, after its prompt.
    A `PressDuring` waits for its prompt and presses while it plays; until
    then the caller stays silent. Recording consumes a `silence` input (the
    caller says nothing) or a `hangup` (the caller speaks, then hangs up) and
    otherwise consumes nothing (the caller speaks). A fax consumes a `hangup`
    input (the machine drops mid-fax) and otherwise nothing.
    """

    def __init__(self, inputs: Iterable[Script]):
        self.inputs = list(inputs)
        self.used = 0
        self.ran_out = False

    def _next(self) -> Script | None:
        return self.inputs[self.used] if self.used < len(self.inputs) else None

    def next_input(self, request: DigitRequest) -> Input | None:
        item = self._next()
        if item is None:
            self.ran_out = True
            return ("hangup", None)
        if isinstance(item, PressDuring):
            return None
        self.used += 1
        return item

    def during(self, media: Media) -> str | None:
        item = self._next()
        if isinstance(item, PressDuring) and item.hears(media):
            self.used += 1
            return item.keys
        return None

    def at_recording(self, request: RecordRequest) -> Input | None:
        item = self._next()
        if isinstance(item, tuple) and item[0] in ("silence", "hangup"):
            self.used += 1
            return item
        return None

    def at_fax(self) -> Input | None:
        item = self._next()
        if isinstance(item, tuple) and item[0] == "hangup":
            self.used += 1
            return item
        return None


@dataclass
class Outcomes:
    """How the world answers: queues, agents, far ends, faxes (tests set these with `given`).

    `fax_fails`: the far end never answers the fax tones (txfax ends after 60 s
    with code 2 and the line stays up).
    `queues` by the flow's queue name (answered when not listed); an agent
    answers after `answer_after_ms` and talks `talk_ms`, then `hangs_up`
    ends the call ("caller" or "agent"; for a transfer, "agent" means the
    far end), unless `hand_back` names a flow the agent hands the caller
    back to (the post-call question).
    """

    queues: dict[str, QueueOutcome] = field(default_factory=dict)
    transfer_fails: bool = False
    transfer_cause: str = "NO_ANSWER"
    fax_fails: bool = False
    agent: str = "1001@default"
    answer_after_ms: int = 20_000
    talk_ms: int = 180_000
    hangs_up: Literal["caller", "agent"] = "caller"
    hand_back: str | None = None


class SimChannel(Channel):
    def __init__(self, caller: Caller, clock: VirtualClock, *, caller_number: str = "13800000000",
                 called: str = "95158", outcomes: Outcomes | None = None,
                 hangup_after: int | None = None,
                 listener: Callable[[SimEvent], None] | None = None, uuid: str | None = None,
                 variables: Mapping[str, str] | None = None, cooperative: bool = False):
        super().__init__()
        self.person = caller
        self.clock = clock
        self.caller = caller_number
        self.called = called
        self.uuid = uuid or str(_uuid.uuid4())
        self.variables = MappingProxyType(dict(variables or {}))
        self.outcomes = outcomes or Outcomes()
        self.hangup_after = hangup_after   # fault injection: the caller leaves at this operation
        self.listener = listener
        self.events: list[SimEvent] = []
        self.operations = 0
        self.started = clock.now()
        self.cooperative = cooperative  # yield to other calls at each wait, as a real line does
        self.keypad = Keypad()
        self.deadline: dt.datetime | None = None     # sched_hangup
        self.deadline_cause = "ALLOTTED_TIMEOUT"
        self.recording: str | None = None            # record_session
        self.recording_stereo = False                # ... with RECORD_STEREO=true
        self.export: dict[str, str] = {}             # the last queue's cc_export_vars
        self.agent: str | None = None                # who answered the queue
        self.with_agent = False                      # bridged to the agent: the flow's part is over
        self.talk_ms = 0
        self.hangup_cause = ""
        self.hangup_by: HangupBy | None = None
        self.ended_at: dt.datetime | None = None
        self._gone = False
        self.machines: list[tuple[int, str]] = []   # detector hits to come: (ms, "beep"|"fax")

    # ------------------------------------------------------------ bookkeeping

    def emit(self, kind: str, value: Any = None, at_ms: int | None = None) -> None:
        event = SimEvent(kind, value, self._ms() if at_ms is None else at_ms)
        self.events.append(event)
        if self.listener:
            self.listener(event)

    def _operation(self) -> None:
        """Every command checks the line first, like a real channel would;
        keys pressed since the last command, while no application ran, are lost."""
        if self._gone:
            raise CallGone(self.hangup_cause)
        if self.with_agent:
            raise CallGone("NORMAL_CLEARING")   # the socket session ended at the agent's answer
        if self.deadline is not None and self.clock.now() >= self.deadline:
            self._switch_hangs_up()
        self.operations += 1
        if self.hangup_after is not None and self.operations > self.hangup_after:
            self._caller_hangs_up()
        if self.keypad:
            self._lose([self._take(p).key for p in self.keypad.take_before(self._ms())])
        self._detect_until(self._ms())

    def _detect_until(self, at_ms: int) -> bool:
        """Publish the detector hits due by `at_ms`; True when there was one."""
        due = [m for m in self.machines if m[0] <= at_ms]
        for hit in due:
            self.machines.remove(hit)
            self.emit("machine", hit[1], at_ms=hit[0])
            self.publish(ChannelEvent("machine", hit[1]))
        return bool(due)

    def _end(self, by: HangupBy, cause: str, event: str) -> None:
        self._gone = True
        self.hangup_by, self.hangup_cause, self.ended_at = by, cause, self.clock.now()
        self.emit(event, cause)
        self.publish(ChannelEvent("hangup", cause))

    def _caller_hangs_up(self) -> None:
        self._line_drops()
        raise CallGone("NORMAL_CLEARING")

    def _line_drops(self) -> None:
        """The caller's end hangs up; a command that is running still returns its result."""
        self._end("caller", "NORMAL_CLEARING", "caller_hangup")

    def _switch_hangs_up(self) -> None:
        self._end("switch", self.deadline_cause, "switch_hangup")
        raise CallGone(self.deadline_cause)

    def _wait(self, seconds: float) -> bool:
        """Let time pass on the call's clock; False when sched_hangup ended the call first."""
        if self.deadline is not None and self.clock.now() + dt.timedelta(seconds=seconds) \
                >= self.deadline:
            self.clock.advance(max(0.0, (self.deadline - self.clock.now()).total_seconds()))
            self._end("switch", self.deadline_cause, "switch_hangup")
            return False
        self.clock.advance(seconds)
        return True

    def _wait_or_gone(self, seconds: float) -> None:
        if not self._wait(seconds):
            raise CallGone(self.deadline_cause)

    def _ms(self) -> int:
        """Now, in ms since the call started."""
        return (self.clock.now() - self.started) // _MS

    def _advance_to(self, at_ms: int) -> None:
        """Let the call's clock reach this moment; CallGone if sched_hangup comes first."""
        now = self._ms()
        if at_ms > now:
            self._wait_or_gone((at_ms - now) / 1000)

    def _take(self, pressed: Pressed) -> Pressed:
        """A key taken off the line: the moment it is heard (DTMF event)."""
        self.publish(ChannelEvent("dtmf", pressed.key))
        return pressed

    def _lose(self, keys: list[str]) -> None:
        """Keys taken off the line that nothing used."""
        if keys:
            self.emit("lost", "".join(keys))

    def machine_at(self, at_ms: int, tone: str = "beep") -> None:
        """The line's detector hears a voicemail beep (or "fax": a fax tone) at this
        moment of the call: a prompt playing then is cut there (uuid_break)."""
        self.machines.append((at_ms, tone))
        self.machines.sort()

    def press_at(self, at_ms: int, keys: str) -> None:
        """The caller presses `keys` at this moment of the call (ms after it
        started), one key every KEY_GAP_MS."""
        self.keypad.press(keys, at_ms)

    def _play(self, media: Media, terminators: str = "") -> Pressed | None:
        """Play `media` until one of `terminators` is pressed (returned, with
        its moment); every other key pressed meanwhile is lost."""
        if media.key is not None:
            self.emit("play", media)
        else:
            self.emit("say", media)
        start = self._ms()
        end = start + len(media.spoken) * MS_PER_CHAR
        keys = self.person.during(media)
        if keys:
            self.keypad.press(keys, start + (end - start) // 2)
            self.emit("input", ("press", keys), at_ms=start + (end - start) // 2)
        if self.machines and self.machines[0][0] < end:
            end = max(start, self.machines[0][0])   # the detector breaks the prompt there
        lost: list[str] = []
        stop = None
        while stop is None and (pressed := self.keypad.take_next(end)) is not None:
            self._take(pressed)
            if pressed.key in terminators:
                stop = pressed
            else:
                lost.append(pressed.key)
        self._advance_to(stop.at_ms if stop else end)
        self._lose(lost)
        if stop is None:
            self._detect_until(end)
        return stop

    def _ms_since(self, began: dt.datetime) -> int:
        return int((self.clock.now() - began).total_seconds() * 1000)

    # ------------------------------------------------------------ the world outside the flow

    def drop(self, cause: str = "NORMAL_CLEARING") -> None:
        """The caller hangs up now, whatever the flow is doing (as an ESL event would tell)."""
        if not self._gone:
            self._end("caller", cause, "caller_hangup")

    def converse(self, talk_ms: int) -> bool:
        """Caller and agent (or far end) talk; False when sched_hangup cut them off."""
        began = self.clock.now()
        completed = self._wait(talk_ms / 1000)
        self.talk_ms += self._ms_since(began)
        self.emit("talk", self._ms_since(began))
        return completed

    def end_conversation(self, by: HangupBy) -> None:
        """One side of the conversation hangs up; FreeSWITCH then ends the caller's leg."""
        if not self._gone:
            self._end(by, "NORMAL_CLEARING", f"{by}_hangup")

    def handed_back(self, flow: str, call_id: str) -> SimChannel:
        """The agent hands the caller back to `flow`: a new socket session on the same
        channel, carrying the call's id (from the screen-pop) and the flow."""
        line = SimChannel(self.person, self.clock, caller_number=self.caller, called=self.called,
                          outcomes=dataclasses.replace(self.outcomes, hand_back=None),
                          listener=self.listener, uuid=self.uuid,
                          variables={"sf_call_id": call_id, "sf_flow": flow},
                          cooperative=self.cooperative)
        line.started, line.events = self.started, self.events
        line.deadline, line.deadline_cause = self.deadline, self.deadline_cause
        line.recording, line.agent, line.talk_ms = self.recording, self.agent, self.talk_ms
        line.recording_stereo = self.recording_stereo
        line.emit("hand_back", flow)
        return line

    def call_end(self) -> CallEnd:
        """How this call ended, as the switch reports it."""
        return CallEnd(self.ended_at or self.clock.now(), self.hangup_cause or "NORMAL_CLEARING",
                       self.hangup_by or "switch", self.agent, self.talk_ms)

    # ------------------------------------------------------------ Channel

    @property
    def gone(self) -> bool:
        return self._gone

    def answer(self) -> None:
        self._operation()
        self.emit("answer")

    def play(self, media: Media, terminators: str = "") -> PlayResult:
        self._operation()
        stop = self._play(media, terminators)
        return PlayResult(stop.key if stop else None)

    def collect(self, request: DigitRequest) -> DigitResult:
        self._operation()
        first = self._play(request.prompt, PHONE_KEYS) if request.prompt is not None else None
        if self.cooperative:
            gevent.sleep(0)
        if self._gone:                      # dropped while other calls ran
            raise CallGone(self.hangup_cause)
        if first is None:
            coming = self.keypad.next_at()
            if coming is None or coming > self._ms() + request.timeout_ms:
                self._listen(request)
        return self._read(request, first)

    def _listen(self, request: DigitRequest) -> None:
        """The flow listens after its prompt: what does the caller do now?"""
        action = self.person.next_input(request)
        if action is None:
            return
        kind, value = action
        shown = SecretText(str(value)) if request.secret and value else value
        self.emit("input", (kind, shown))      # a PIN's keys carry their mask to any screen
        if kind == "hangup":
            self._caller_hangs_up()
        if kind == "press" and value:
            self.keypad.press(str(value), self._ms() + REACTION_MS)

    def _read(self, request: DigitRequest, first: Pressed | None) -> DigitResult:
        """Digits until a terminator, the maximum or a timeout (FreeSWITCH's read)."""
        digits, terminator, timed_out = "", None, False
        last, pressed = self._ms(), first
        while True:
            if pressed is None:
                wait = request.interdigit_ms if digits else request.timeout_ms
                pressed = self.keypad.take_next(last + wait + 1)
                if pressed is None:
                    self._advance_to(last + wait)
                    timed_out = True
                    break
                self._advance_to(pressed.at_ms)
                self._take(pressed)
            last = pressed.at_ms
            if pressed.key in request.terminators:
                terminator = pressed.key
                break
            digits += pressed.key
            pressed = None
            if len(digits) >= request.max_digits:
                break
        enough = len(digits) >= request.min_digits
        if timed_out:
            return DigitResult(digits, "timeout" if enough else "failure")
        return DigitResult(digits, "success" if enough else "failure", terminator)

    def record(self, request: RecordRequest) -> RecordResult:
        self._operation()
        if request.beep:
            self.emit("beep")
        self.emit("record", request.name)
        path = f"recordings/{request.name}.wav"
        began = self.clock.now()
        given = self.person.at_recording(request)
        if given is not None:
            self.emit("input", given)
            if given[0] == "silence":
                self._wait_or_gone(request.silence_ms / 1000)
                return RecordResult(None, 0)
            # spoke, then hung up: the recording and its length are still returned
            if self._wait(min(SPOKEN_BEFORE_HANGUP_MS, request.max_ms) / 1000):
                self._end("caller", "NORMAL_CLEARING", "caller_hangup")
        else:
            self._wait(min(10_000, request.max_ms) / 1000)  # sched_hangup may cut it short
        spoken = self._ms_since(began)
        return RecordResult(path, spoken) if spoken else RecordResult(None, 0)

    def queue(self, request: QueueRequest) -> QueueResult:
        self._operation()
        self.emit("queue", request.name or request.queue)
        self.export = dict(request.export)
        began = self.clock.now()
        if request.announce is not None:
            self._play(request.announce)
        outcome = self.outcomes.queues.get(request.name or request.queue, "answered")
        if outcome == "abandoned":    # the caller gives up after a while
            self._wait(min(request.timeout_ms or 60_000, 30_000) / 1000)
            self.drop()
            return QueueResult("abandoned", wait_ms=self._ms_since(began))
        wait = {"timeout": request.timeout_ms or 60_000, "noagent": 0,
                "answered": self.outcomes.answer_after_ms}[outcome]
        # the announcement plays while the caller waits: it is part of the wait
        if not self._wait(max(0, wait - self._ms_since(began)) / 1000):
            return QueueResult("abandoned", wait_ms=self._ms_since(began))
        if outcome == "answered":
            self.agent, self.with_agent = self.outcomes.agent, True
            self.emit("agent", self.agent)
            return QueueResult("answered", self.agent, self._ms_since(began), self.clock.now())
        return QueueResult(outcome, wait_ms=self._ms_since(began))

    def bridge(self, dial: str, timeout_ms: int) -> BridgeResult:
        self._operation()
        self.emit("bridge", dial)
        if self.outcomes.transfer_fails:
            self._wait_or_gone(timeout_ms / 1000)
            return BridgeResult(False, self.outcomes.transfer_cause)
        talked = self.talk_ms
        if self.converse(self.outcomes.talk_ms):
            self.end_conversation("caller" if self.outcomes.hangs_up == "caller" else "far_end")
        return BridgeResult(True, "NORMAL_CLEARING", self.talk_ms - talked)

    def send_fax(self, path: str) -> FaxResult:
        """As the captures outbound-txfax*: a sent fax ends with the far end hanging up
        (the result comes after the hangup); a machine that drops mid-fax gives code 49
        on a line already gone; a silent far end gives code 2 after 60 s, line still up."""
        self._operation()
        self.emit("fax", path)
        if self.outcomes.fax_fails:
            self._wait_or_gone(60)
            return FaxResult(False, 2, "Timed out waiting for initial communication", 0)
        drop = self.person.at_fax()
        if drop is not None:
            self.emit("input", drop)
            self._wait_or_gone(6)
            self._line_drops()
            return FaxResult(False, 49, "The call dropped prematurely", 0)
        self._wait_or_gone(16)
        self._line_drops()
        return FaxResult(True, 0, "OK", 1)

    def start_recording(self, path: str, stereo: bool = False) -> None:
        self._operation()
        self.recording = path
        self.recording_stereo = stereo
        self.emit("record_session", path)

    def schedule_hangup(self, after_ms: int, cause: str = "ALLOTTED_TIMEOUT") -> None:
        self._operation()
        self.deadline = self.clock.now() + dt.timedelta(milliseconds=after_ms)
        self.deadline_cause = cause

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        if not self._gone:
            self._end("engine", cause, "hangup")
