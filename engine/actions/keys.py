"""What menus and collects share: reading one entry (type-ahead first) and
finding a menu's branch for it.

Type-ahead is the key that stopped a `bargein` prompt; the session keeps it
for the next menu or collect, which takes it as the first key of its entry
and does not play its prompt (the caller has already chosen).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from engine.channel.contract import DigitRequest, Media
from engine.channel.requests import PHONE_KEYS, DigitResult
from ivrlang.keypattern import Positions, is_pattern, matches, parse_key

if TYPE_CHECKING:
    from engine.session import CallSession


def play_prompt(call: CallSession, media: Media, bargein: bool) -> str | None:
    """Play a `play` or `say`; with `bargein`, any key stops it and is kept
    as type-ahead, and while type-ahead waits the prompt is skipped.

    Returns what the trace shows: "skipped", "interrupted" or None (not
    the key: it may be the first digit of a PIN).
    """
    if not bargein:
        call.channel.play(media)
        return None
    if call.typeahead:
        return "skipped"
    stop = call.channel.play(media, PHONE_KEYS).terminator
    if stop is None:
        return None
    call.typeahead = stop
    return "interrupted"


def read_entry(call: CallSession, prompt: Media | None, lo: int, hi: int, timeout_ms: int,
               interdigit_ms: int, terminators: str, secret: bool = False) -> DigitResult:
    """One try: play_and_get_digits, or the rest of an entry begun by type-ahead."""
    ahead, call.typeahead = call.typeahead, ""
    if not ahead:
        return call.channel.collect(DigitRequest(prompt, lo, hi, timeout_ms, interdigit_ms,
                                                 terminators, secret))
    if ahead in terminators:          # the key that stopped the prompt ends the entry at once
        return DigitResult("", "success" if lo == 0 else "failure", ahead)
    if hi <= 1:
        return DigitResult(ahead, "success")
    # FreeSWITCH waits the inter-digit time once a key has been pressed
    rest = call.channel.collect(DigitRequest(None, max(0, lo - 1), hi - 1, interdigit_ms,
                                             interdigit_ms, terminators, secret))
    digits = ahead + rest.digits
    if rest.terminator is None and len(digits) < hi:
        return DigitResult(digits, "timeout" if len(digits) >= lo else "failure")
    return DigitResult(digits, "success" if len(digits) >= lo else "failure", rest.terminator)


class MenuKeys:
    """A menu's keys: exact keys first, then the (non-overlapping) patterns."""

    def __init__(self, keys: Iterable[str]):
        self.exact: set[str] = set()
        self.patterns: list[tuple[str, Positions]] = []
        for key in keys:
            if is_pattern(key):
                self.patterns.append((key, parse_key(key)))
            else:
                self.exact.add(key)

    def branch(self, entry: str) -> str | None:
        """The key whose branch this entry takes, or None (a nomatch)."""
        if entry in self.exact:
            return entry
        return next((key for key, positions in self.patterns if matches(positions, entry)), None)


@lru_cache(maxsize=256)
def menu_keys(keys: tuple[str, ...]) -> MenuKeys:
    """Parsed once per menu, not once per call."""
    return MenuKeys(keys)
