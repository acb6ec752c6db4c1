"""The simulated caller's keypad: every key pressed at a moment of the call.

Moments are milliseconds since the call started, on its virtual clock. The
channel takes keys off in time order as FreeSWITCH would take them off the
line; which application (if any) was running at that moment decides what
the key does.
"""

from __future__ import annotations

import bisect
from typing import NamedTuple

KEY_GAP_MS = 300  # between the keys of one press ("123#")


class Pressed(NamedTuple):
    at_ms: int
    key: str


class Keypad:
    """Keys pressed and not yet taken off the line, in time order."""

    def __init__(self) -> None:
        self._keys: list[Pressed] = []

    def __bool__(self) -> bool:
        return bool(self._keys)

    def press(self, keys: str, at_ms: int, gap_ms: int = KEY_GAP_MS) -> None:
        """Press `keys` one after the other, the first at `at_ms`."""
        for i, key in enumerate(keys):
            bisect.insort(self._keys, Pressed(at_ms + i * gap_ms, key))

    def next_at(self) -> int | None:
        """When the next key comes, or None."""
        return self._keys[0].at_ms if self._keys else None

    def take_next(self, before_ms: int) -> Pressed | None:
        """The next key if it was pressed before `before_ms`."""
        if self._keys and self._keys[0].at_ms < before_ms:
            return self._keys.pop(0)
        return None

    def take_before(self, before_ms: int) -> list[Pressed]:
        """Every key pressed before `before_ms`."""
        cut = bisect.bisect_left(self._keys, Pressed(before_ms, ""))
        taken, self._keys = self._keys[:cut], self._keys[cut:]
        return taken
