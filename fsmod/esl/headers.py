"""An event's header block, checked whole when it arrives, read lazily.

A FreeSWITCH 1.10 event carries about 200 headers (every channel variable),
and a call's socket sees about fifty of them; the code that reads an event
looks at two to five headers (its name, Application-UUID, a variable or
two). So the block is checked line by line at once (a malformed line is a
FrameError when the frame is read, as before), but split into a dict only
when someone iterates it, and a value is URL-decoded only when it is read.
This is the ESL layer's hottest path: see docs/fsmod.md, measurements.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from fsmod.esl.frame import FrameError
from fsmod.esl.urlcode import fs_decode

_BAD_LINE = re.compile(r"\n(?![^:\s](?:[^:\n]*[^:\s])?:)")
"""A line (after its `\\n`) that is not `NAME:…` with a non-empty NAME that
neither starts nor ends with white space: what FrameParser refuses too."""


def check_block(text: str) -> str:
    """`text` (a header block without its blank line) as `\\n`-framed lines
    (`"\\nA: 1\\nB: 2\\n"`), ready for HeaderBlock; FrameError when a line is
    malformed or holds a CR (FreeSWITCH sends LF only)."""
    if "\r" in text:
        raise FrameError("CR in a header block: FreeSWITCH sends LF only")
    framed = "\n" + text + "\n"
    bad = _BAD_LINE.search(framed, 0, len(framed) - 1)
    if bad is not None:
        line = framed[bad.end():framed.find("\n", bad.end())]
        raise FrameError(f"malformed header line {line[:80]!r}")
    return framed


class HeaderBlock(Mapping[str, str]):
    """Header name to decoded value, over a block `check_block` accepted.

    Like a dict built from the lines in order: a name given twice has its
    last value. `get` and `[]` find one line without splitting the rest;
    iterating (or `len`) splits the block once.
    """

    __slots__ = ("_framed", "_raw")

    def __init__(self, framed: str) -> None:
        self._framed = framed
        self._raw: dict[str, str] | None = None

    @classmethod
    def parse(cls, text: str) -> HeaderBlock:
        return cls(check_block(text))

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> HeaderBlock:
        """Over (name, encoded value) pairs already split (a frame's own headers,
        as the `connect` reply carries the call's data)."""
        block = cls("\n")
        block._raw = dict(pairs)
        return block

    def raw(self, name: str) -> str | None:
        """The value as it stood on the wire (still URL-encoded), or None."""
        if self._raw is not None:
            return self._raw.get(name)
        if not name or "\n" in name or ":" in name:
            return None                  # no line can carry such a name
        framed = self._framed
        at = framed.rfind("\n" + name + ":")
        if at < 0:
            return None
        start = at + len(name) + 2
        if framed.startswith(" ", start):
            start += 1
        return framed[start:framed.find("\n", start)]

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        value = self.raw(name)
        if value is None:
            return default
        return fs_decode(value) if "%" in value else value

    def __getitem__(self, name: str) -> str:
        value = self.raw(name)
        if value is None:
            raise KeyError(name)
        return fs_decode(value) if "%" in value else value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.raw(name) is not None

    def _split(self) -> dict[str, str]:
        if self._raw is None:
            raw: dict[str, str] = {}
            for line in self._framed[1:-1].split("\n"):
                name, _, value = line.partition(":")
                raw[name] = value[1:] if value[:1] == " " else value
            self._raw = raw
        return self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._split())

    def __len__(self) -> int:
        return len(self._split())

    def __repr__(self) -> str:
        return f"HeaderBlock({dict(self.items())!r})"


class Variables(Mapping[str, str]):
    """The channel variables of a header mapping (`variable_NAME` by NAME),
    read through to it: nothing is copied or decoded until asked."""

    PREFIX = "variable_"

    __slots__ = ("_headers",)

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = headers

    def __getitem__(self, name: str) -> str:
        return self._headers[self.PREFIX + name]

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return self._headers.get(self.PREFIX + name, default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.PREFIX + name in self._headers

    def __iter__(self) -> Iterator[str]:
        n = len(self.PREFIX)
        return (key[n:] for key in self._headers if key.startswith(self.PREFIX))

    def __len__(self) -> int:
        return sum(1 for key in self._headers if key.startswith(self.PREFIX))

    def __repr__(self) -> str:
        return f"Variables({dict(self.items())!r})"
