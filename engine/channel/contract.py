"""The Channel interface: everything the engine may ask of a phone call.

Designed from what FreeSWITCH offers so that its implementation (fsmod) is
a thin mapping: answer, playback/speak, play_and_get_digits (one try per
call: the engine counts tries itself so it can run nomatch/noinput
branches in between), record, record_session, sched_hangup, mod_callcenter
queues, bridge, txfax and hangup. The simulator (engine/sim/) implements the
same interface in-process.

Every method raises CallGone as soon as the line is gone, including while
it is waiting, so a session stops at once rather than at its next command.
Results FreeSWITCH delivers with or after the hangup (a recording's length,
how a queue wait ended, a fax result) are returned instead; the next call
raises. A hangup while the session is busy elsewhere (a lookup) reaches it
through `subscribe`: the session is interrupted with the same CallGone.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from engine.calendars.clock import Clock

from engine.channel.media import Media
from engine.channel.requests import (
    BridgeResult,
    DigitRequest,
    DigitResult,
    PlayResult,
    QueueRequest,
    QueueResult,
)


class CallGone(BaseException):
    """The line is gone (the caller hung up, the switch ended the call); the
    session must end now. `cause` is FreeSWITCH's hangup cause.

    A BaseException, like GreenletExit: it cancels, so the `except Exception`
    of a lookup, a function or a sink must not swallow it.
    """

    def __init__(self, cause: str = "NORMAL_CLEARING"):
        super().__init__(cause)
        self.cause = cause


@dataclass(frozen=True)
class RecordRequest:
    name: str
    max_ms: int
    silence_ms: int
    beep: bool = False
    terminators: str = "#"


@dataclass(frozen=True)
class RecordResult:
    path: str | None          # None when the caller said nothing
    duration_ms: int = 0


@dataclass(frozen=True)
class FaxResult:
    """What txfax set: fax_success, fax_result_code, fax_result_text and
    fax_document_transferred_pages (e.g. False, 49, "The call dropped prematurely", 0)."""

    success: bool
    code: int = 0
    text: str = "OK"
    pages: int = 0


@dataclass(frozen=True)
class ChannelEvent:
    """Something the line tells us on its own: a key pressed, the caller gone, or
    ("machine", "beep"|"fax") a detector heard a voicemail beep or a fax tone (only
    on a line started with detection: a campaign call whose campaign has `on
    machine`). A channel that publishes "machine" while one of its methods runs
    stops that method's application, so the method returns early."""

    kind: Literal["dtmf", "hangup", "machine"]
    value: str = ""


Listener = Callable[[ChannelEvent], None]


class Channel(ABC):
    """One line: a socket session on FreeSWITCH, a SimChannel in the simulator.

    `clock` is the call's clock (the wall clock on FreeSWITCH, the call's own
    VirtualClock in the simulator): everything a call reads or waits on goes
    through it. `variables` is the channel data at connect, read-only: the
    origination variables (sf_call_id and sf_flow on a line handed back to a
    flow, sf_campaign on an originated call).
    """

    uuid: str
    caller: str
    called: str
    clock: Clock
    variables: Mapping[str, str]

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self.machine: ChannelEvent | None = None
        """The detector's event, once heard: a session that starts listening after
        it (a fax tone at the answer) still goes to its `on machine` node."""

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Hear DTMF, hangup and machine events as they happen; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def publish(self, event: ChannelEvent) -> None:
        if event.kind == "machine" and self.machine is None:
            self.machine = event
        for listener in list(self._listeners):
            listener(event)

    @abstractmethod
    def answer(self) -> None: ...

    @abstractmethod
    def play(self, media: Media, terminators: str = "") -> PlayResult:
        """Play to the end, or until the caller presses one of `terminators`
        (FreeSWITCH: `playback` with `playback_terminators`, sent as `none`
        when empty). Any other key pressed meanwhile is lost."""

    @abstractmethod
    def collect(self, request: DigitRequest) -> DigitResult:
        """One try of play_and_get_digits: the first key stops the prompt and
        counts; digits are returned without the terminator, and kept when the
        entry ends by a timeout."""

    @abstractmethod
    def record(self, request: RecordRequest) -> RecordResult:
        """Record the caller; a hangup during it still returns what was recorded."""

    @abstractmethod
    def queue(self, request: QueueRequest) -> QueueResult:
        """`set cc_export_vars`, then `callcenter QUEUE`. 'answered': an agent took
        the call; the flow's part ends there (the socket session is over)."""

    @abstractmethod
    def bridge(self, dial: str, timeout_ms: int) -> BridgeResult:
        """`bridge DIAL` with hangup_after_bridge: an answered bridge returns when
        the conversation is over; a failed one with FreeSWITCH's cause."""

    @abstractmethod
    def start_recording(self, path: str, stereo: bool = False) -> None:
        """`record_session PATH` (relative to the switch's recordings folder):
        the whole call from now until it ends, whoever ends it. `stereo`: the
        caller on one channel, what the caller hears on the other (RECORD_STEREO)."""

    @abstractmethod
    def schedule_hangup(self, after_ms: int, cause: str = "ALLOTTED_TIMEOUT") -> None:
        """`sched_hangup`: the switch ends the call after `after_ms`, even while it
        is bridged to an agent; replaces an earlier schedule of this line."""

    @abstractmethod
    def send_fax(self, path: str) -> FaxResult:
        """Send the file down this line (txfax) and return its result.

        The result is returned even when the far end hung up during or at the
        end of the fax (FreeSWITCH delivers it after CHANNEL_HANGUP); the next
        command then raises CallGone. Raises CallGone only if the line was
        already gone when called."""

    @abstractmethod
    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        """End the call from our side; never raises CallGone."""

    @property
    @abstractmethod
    def gone(self) -> bool:
        """True once the caller has hung up or we have."""
