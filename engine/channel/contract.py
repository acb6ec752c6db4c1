"""The Channel interface: everything the engine may ask of a phone call.

Designed from what FreeSWITCH offers so that its implementation (fsmod) is
a thin mapping: answer, playback/speak, play_and_get_digits (one try per
call: the engine counts tries itself so it can run nomatch/noinput
branches in between), record, mod_callcenter queues, bridge, txfax,
channel variables and hangup. The simulator (engine/sim.py) implements the
same interface in-process.

Every method raises CallGone as soon as the caller has hung up, including
while it is waiting, so a session stops at once rather than at its next
command.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from engine.channel.media import Media
from engine.channel.requests import DigitRequest, DigitResult, PlayResult


class CallGone(Exception):
    """The caller hung up (or the line dropped); the session must end now."""

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
class QueueRequest:
    queue: str
    priority: int = 0
    skill: str | None = None
    announce: Media | None = None
    timeout_ms: int | None = None     # None: wait until answered or the caller leaves


@dataclass(frozen=True)
class QueueResult:
    outcome: Literal["answered", "timeout", "noagent"]
    agent: str | None = None


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
    """Something the line tells us on its own: a key pressed, the caller gone."""

    kind: Literal["dtmf", "hangup"]
    value: str = ""


Listener = Callable[[ChannelEvent], None]


class Channel(ABC):
    """One call. Implementations: engine.sim.SimChannel, fsmod's ESL channel."""

    uuid: str
    caller: str
    called: str

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Hear DTMF and hangup events as they happen; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def publish(self, event: ChannelEvent) -> None:
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
    def record(self, request: RecordRequest) -> RecordResult: ...

    @abstractmethod
    def queue(self, request: QueueRequest) -> QueueResult:
        """Wait in a mod_callcenter queue; 'answered' means an agent took the call."""

    @abstractmethod
    def transfer(self, destination: str, timeout_ms: int) -> bool:
        """Bridge to a number; True when it answered (the call then belongs to it)."""

    @abstractmethod
    def send_fax(self, path: str) -> FaxResult:
        """Send the file down this line (txfax) and return its result.

        The result is returned even when the far end hung up during or at the
        end of the fax (FreeSWITCH delivers it after CHANNEL_HANGUP); the next
        command then raises CallGone. Raises CallGone only if the line was
        already gone when called."""

    @abstractmethod
    def set_var(self, name: str, value: str) -> None: ...

    @abstractmethod
    def get_var(self, name: str) -> str | None: ...

    @abstractmethod
    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        """End the call from our side; never raises CallGone."""

    @property
    @abstractmethod
    def gone(self) -> bool:
        """True once the caller has hung up or we have."""
