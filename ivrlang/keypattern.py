"""Menu keys that stand for many entries: `"10[0-1][0-9]"`.

A key is a row of positions. Each position is one phone key (`0`-`9`, `*`,
`#`) or a class of digits in brackets: single digits and ranges, as in
`[0-1]`, `[13579]`, `[2-57]`. Nothing else (no repetition, no
alternatives), so every key has a fixed length, matching is a check of one
position after the other, and the checker can tell exactly which keys
overlap. Pure: the checker and the engine both use it.
"""

from __future__ import annotations

Positions = tuple[frozenset[str], ...]

PHONE_KEYS = frozenset("0123456789*#")
DIGITS = "0123456789"


class KeyPatternError(ValueError):
    """A key that is neither phone keys nor a valid pattern; the message says why."""


def is_pattern(key: str) -> bool:
    return "[" in key or "]" in key


def parse_key(key: str) -> Positions:
    """The positions of a key: one set of keys per press."""
    out: list[frozenset[str]] = []
    i = 0
    while i < len(key):
        ch = key[i]
        if ch == "[":
            end = key.find("]", i + 1)
            if end < 0:
                raise KeyPatternError(f"`[` at position {i + 1} is never closed")
            out.append(_digit_class(key[i + 1:end]))
            i = end + 1
        elif ch in PHONE_KEYS:
            out.append(frozenset(ch))
            i += 1
        elif ch == "]":
            raise KeyPatternError(f"`]` at position {i + 1} closes nothing")
        else:
            raise KeyPatternError(f"`{ch}` cannot be pressed")
    if not out:
        raise KeyPatternError("the key is empty")
    return tuple(out)


def _digit_class(body: str) -> frozenset[str]:
    """`0-1`, `13579`, `2-57`: digits and ascending ranges of digits."""
    if not body:
        raise KeyPatternError("`[]` holds no digit")
    keys: set[str] = set()
    i = 0
    while i < len(body):
        lo = body[i]
        if lo not in DIGITS:
            raise KeyPatternError(f"`{lo}` in `[{body}]`: a class holds only digits and ranges")
        if i + 2 < len(body) and body[i + 1] == "-":
            hi = body[i + 2]
            if hi not in DIGITS or hi < lo:
                raise KeyPatternError(f"`{lo}-{hi}` in `[{body}]` is not a range of digits")
            keys.update(DIGITS[DIGITS.index(lo):DIGITS.index(hi) + 1])
            i += 3
        elif i + 1 < len(body) and body[i + 1] == "-":
            raise KeyPatternError(f"`[{body}]` ends with `-`")
        else:
            keys.add(lo)
            i += 1
    return frozenset(keys)


def matches(positions: Positions, entry: str) -> bool:
    return len(entry) == len(positions) and all(
        ch in p for ch, p in zip(entry, positions, strict=True))


def shared_entry(a: Positions, b: Positions) -> str | None:
    """An entry both keys match (same length, every position shares a key), or None."""
    if len(a) != len(b):
        return None
    return _common(a, b)


def shared_prefix(short: Positions, long: Positions) -> str | None:
    """An entry of `short` that begins an entry of `long`, or None."""
    if len(short) >= len(long):
        return None
    return _common(short, long[:len(short)])


def _common(a: Positions, b: Positions) -> str | None:
    out = []
    for x, y in zip(a, b, strict=True):
        both = x & y
        if not both:
            return None
        out.append(min(both))
    return "".join(out)
