"""The simulator phone: a Channel in-process, deterministic, on a virtual clock.

A `Caller` decides what the person on the line does each time the flow
waits (press keys, stay silent, hang up); the channel records everything
the caller would have heard or caused as `SimEvent`s. Timeouts advance the
virtual clock instead of waiting, so a test of a 30-second queue timeout
takes microseconds.
"""

from __future__ import annotations

import uuid as _uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import gevent

from engine.calendars.clock import VirtualClock
from engine.channel.contract import (
    CallGone,
    Channel,
    ChannelEvent,
    DigitRequest,
    FaxResult,
    Media,
    QueueRequest,
    QueueResult,
    RecordRequest,
    RecordResult,
)

Input = tuple[Literal["press", "silence", "hangup"], str | None]

MS_PER_CHAR = 150  # how long the simulator pretends a prompt takes to play


@dataclass(frozen=True)
class SimEvent:
    kind: str      # answer play say input record queue transfer fax hangup caller_hangup …
    value: Any
    at_ms: int


class Caller(Protocol):
    """The person on the line."""

    def next_input(self, request: DigitRequest) -> Input:
        """What the caller does when asked for keys."""

    def at_recording(self, request: RecordRequest) -> Input | None:
        """What the caller does when recorded: None to speak, or silence / hangup."""

    def at_fax(self) -> Input | None:
        """What the caller's fax machine does: None to take the fax, or hangup mid-fax."""


class ScriptedCaller:
    """Plays a fixed list of inputs; hangs up when it runs out.

    Recording consumes a `silence` input (the caller says nothing) and
    otherwise consumes nothing (the caller speaks). A fax consumes a `hangup`
    input (the machine drops mid-fax) and otherwise nothing.
    """

    def __init__(self, inputs: Iterable[Input]):
        self.inputs = list(inputs)
        self.used = 0
        self.ran_out = False

    def next_input(self, request: DigitRequest) -> Input:
        if self.used >= len(self.inputs):
            self.ran_out = True
            return ("hangup", None)
        item = self.inputs[self.used]
        self.used += 1
        return item

    def at_recording(self, request: RecordRequest) -> Input | None:
        if self.used < len(self.inputs) and self.inputs[self.used][0] in ("silence", "hangup"):
            self.used += 1
            return self.inputs[self.used - 1]
        return None

    def at_fax(self) -> Input | None:
        if self.used < len(self.inputs) and self.inputs[self.used][0] == "hangup":
            self.used += 1
            return self.inputs[self.used - 1]
        return None


@dataclass
class Outcomes:
    """How the world answers: queues, transfers and faxes (tests set these with `given`).

    `fax_fails`: the far end never answers the fax tones (txfax ends after 60 s
    with code 2 and the line stays up)."""

    queues: dict[str, Literal["answered", "timeout", "noagent"]] = field(default_factory=dict)
    transfer_fails: bool = False
    fax_fails: bool = False


class SimChannel(Channel):
    def __init__(self, caller: Caller, clock: VirtualClock, *, caller_number: str = "13800000000",
                 called: str = "95158", outcomes: Outcomes | None = None,
                 hangup_after: int | None = None,
                 listener: Callable[[SimEvent], None] | None = None, call_id: str | None = None,
                 cooperative: bool = False):
        super().__init__()
        self.person = caller
        self.clock = clock
        self.caller = caller_number
        self.called = called
        self.uuid = call_id or str(_uuid.uuid4())
        self.outcomes = outcomes or Outcomes()
        self.hangup_after = hangup_after   # fault injection: the caller leaves at this operation
        self.listener = listener
        self.events: list[SimEvent] = []
        self.variables: dict[str, str] = {}
        self.operations = 0
        self.started = clock.now()
        self.cooperative = cooperative  # yield to other calls at each wait, as a real line does
        self._gone = False

    # ------------------------------------------------------------ bookkeeping

    def emit(self, kind: str, value: Any = None) -> None:
        event = SimEvent(kind, value, int((self.clock.now() - self.started).total_seconds() * 1000))
        self.events.append(event)
        if self.listener:
            self.listener(event)

    def _operation(self) -> None:
        """Every command checks the line first, like a real channel would."""
        if self._gone:
            raise CallGone("ORIGINATOR_CANCEL")
        self.operations += 1
        if self.hangup_after is not None and self.operations > self.hangup_after:
            self._caller_hangs_up()

    def _caller_hangs_up(self) -> None:
        self._line_drops()
        raise CallGone("NORMAL_CLEARING")

    def _line_drops(self) -> None:
        """The caller's end hangs up; a command that is running still returns its result."""
        self._gone = True
        self.emit("caller_hangup")
        self.publish(ChannelEvent("hangup", "NORMAL_CLEARING"))

    def _play(self, media: Media) -> None:
        if media.key is not None:
            self.emit("play", media)
        else:
            self.emit("say", media)
        self.clock.advance(len(media.spoken) * MS_PER_CHAR / 1000)

    # ------------------------------------------------------------ Channel

    @property
    def gone(self) -> bool:
        return self._gone

    def answer(self) -> None:
        self._operation()
        self.emit("answer")

    def play(self, media: Media) -> None:
        self._operation()
        self._play(media)

    def collect(self, request: DigitRequest) -> str:
        self._operation()
        if request.prompt is not None:
            self._play(request.prompt)
        if self.cooperative:
            gevent.sleep(0)
        kind, value = self.person.next_input(request)
        self.emit("input", (kind, value))
        if kind == "hangup":
            self._caller_hangs_up()
        if kind == "silence" or not value:
            self.clock.advance(request.timeout_ms / 1000)
            return ""
        keys = str(value)
        for key in keys:
            self.publish(ChannelEvent("dtmf", key))
        for i, key in enumerate(keys):
            if key in request.terminators:
                return keys[:i]
        self.clock.advance(0.3 * len(keys) + request.interdigit_ms / 1000)
        return keys[: request.max_digits]

    def record(self, request: RecordRequest) -> RecordResult:
        self._operation()
        if request.beep:
            self.emit("beep")
        self.emit("record", request.name)
        given = self.person.at_recording(request)
        if given is not None:
            self.emit("input", given)
            if given[0] == "hangup":
                self._caller_hangs_up()
            self.clock.advance(request.silence_ms / 1000)
            return RecordResult(None, 0)
        self.clock.advance(10)
        return RecordResult(f"recordings/{request.name}.wav", 10_000)

    def queue(self, request: QueueRequest) -> QueueResult:
        self._operation()
        self.emit("queue", request.queue)
        if request.announce is not None:
            self._play(request.announce)
        outcome = self.outcomes.queues.get(request.queue, "answered")
        if outcome == "timeout":
            self.clock.advance((request.timeout_ms or 60_000) / 1000)
        elif outcome == "answered":
            self.clock.advance(20)
        return QueueResult(outcome, "agent-1001" if outcome == "answered" else None)

    def transfer(self, destination: str, timeout_ms: int) -> bool:
        self._operation()
        self.emit("transfer", destination)
        if self.outcomes.transfer_fails:
            self.clock.advance(timeout_ms / 1000)
            return False
        return True

    def send_fax(self, path: str) -> FaxResult:
        """As the captures outbound-txfax*: a sent fax ends with the far end hanging up
        (the result comes after the hangup); a machine that drops mid-fax gives code 49
        on a line already gone; a silent far end gives code 2 after 60 s, line still up."""
        self._operation()
        self.emit("fax", path)
        if self.outcomes.fax_fails:
            self.clock.advance(60)
            return FaxResult(False, 2, "Timed out waiting for initial communication", 0)
        drop = self.person.at_fax()
        if drop is not None:
            self.emit("input", drop)
            self.clock.advance(6)
            self._line_drops()
            return FaxResult(False, 49, "The call dropped prematurely", 0)
        self.clock.advance(16)
        self._line_drops()
        return FaxResult(True, 0, "OK", 1)

    def set_var(self, name: str, value: str) -> None:
        self._operation()
        self.variables[name] = value

    def get_var(self, name: str) -> str | None:
        self._operation()
        return self.variables.get(name)

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        if not self._gone:
            self._gone = True
            self.emit("hangup", cause)
