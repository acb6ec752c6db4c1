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
"""

from __future__ import annotations

import datetime as dt
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
    DigitResult,
    FaxResult,
    Media,
    PlayResult,
    QueueRequest,
    QueueResult,
    RecordRequest,
    RecordResult,
)
from engine.channel.requests import PHONE_KEYS
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


@dataclass(frozen=True)
class SimEvent:
    kind: str      # answer play say input record queue transfer fax hangup caller_hangup …
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
    caller says nothing) and otherwise consumes nothing (the caller speaks).
    A fax consumes a `hangup` input (the machine drops mid-fax) and otherwise
    nothing.
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
        self.keypad = Keypad()
        self._gone = False

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
            raise CallGone("ORIGINATOR_CANCEL")
        self.operations += 1
        if self.hangup_after is not None and self.operations > self.hangup_after:
            self._caller_hangs_up()
        if self.keypad:
            self._lose([self._take(p).key for p in self.keypad.take_before(self._ms())])

    def _caller_hangs_up(self) -> None:
        self._line_drops()
        raise CallGone("NORMAL_CLEARING")

    def _line_drops(self) -> None:
        """The caller's end hangs up; a command that is running still returns its result."""
        self._gone = True
        self.emit("caller_hangup")
        self.publish(ChannelEvent("hangup", "NORMAL_CLEARING"))

    def _ms(self) -> int:
        """Now, in ms since the call started."""
        return (self.clock.now() - self.started) // _MS

    def _advance_to(self, at_ms: int) -> None:
        now = self._ms()
        if at_ms > now:
            self.clock.advance((at_ms - now) / 1000)

    def _take(self, pressed: Pressed) -> Pressed:
        """A key taken off the line: the moment it is heard (DTMF event)."""
        self.publish(ChannelEvent("dtmf", pressed.key))
        return pressed

    def _lose(self, keys: list[str]) -> None:
        """Keys taken off the line that nothing used."""
        if keys:
            self.emit("lost", "".join(keys))

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
        return stop

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
        self.emit("input", (kind, value))
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
