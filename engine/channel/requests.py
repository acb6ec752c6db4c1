"""What the engine asks of the line about keys, and what comes back.

Kept as plain frozen dataclasses so fsmod and the simulator return the same
thing. The rules they follow are FreeSWITCH's (docs/engine.md, "Keys").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from engine.channel.media import Media

PHONE_KEYS = "0123456789*#"
"""Every key of a phone: the terminators of a prompt that can be interrupted."""


@dataclass(frozen=True)
class PlayResult:
    """How a `play` ended: `terminator` is the key that stopped it, or None
    when it played to its end (every other key pressed during it is lost)."""

    terminator: str | None = None


@dataclass(frozen=True)
class DigitRequest:
    """One try of play_and_get_digits.

    The first key stops the prompt and counts as the first digit.
    `timeout_ms` is the wait for the first key after the prompt,
    `interdigit_ms` the wait after each key. `terminators` "" means no
    terminator at all (fsmod sends it as `none`, never empty: FreeSWITCH
    turns an empty terminator into `#`).
    """

    prompt: Media | None
    min_digits: int
    max_digits: int
    timeout_ms: int
    interdigit_ms: int
    terminators: str = "#"


DigitStatus = Literal["success", "timeout", "failure"]


@dataclass(frozen=True)
class DigitResult:
    """What one try collected (FreeSWITCH's `read_result` and digits).

    `success`: the terminator or the maximum ended the entry. `timeout`: the
    wait ran out after enough digits, which are kept. `failure`: too few
    digits (`digits` holds what there was). `terminator` is the key that
    ended the entry, or None.
    """

    digits: str
    status: DigitStatus
    terminator: str | None = None
