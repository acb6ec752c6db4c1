"""One ESL message as it travels on the socket: ordered headers and a body.

Kept apart from what a message *means* (messages.py, events.py) so the same
reader and writer serve both sides: fsmod reading FreeSWITCH, and the fake
FreeSWITCH reading fsmod's commands. Headers stay raw (not URL-decoded) and
in wire order, because order and encoding are part of what the fake must
reproduce byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_SCAN = 8
"""Frames with more headers than this are looked up through an index."""


class FrameError(ValueError):
    """A frame that breaks the protocol: malformed, oversized or cut short.

    The connection it came from cannot be trusted any more: whoever reads it
    closes the socket; nothing waits or grows for it.
    """


@dataclass(frozen=True, slots=True)
class Frame:
    """A message: `command` is the first line of a client message (`api status`,
    `sendmsg`), empty for what FreeSWITCH sends; `headers` as written, in order."""

    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    command: str = ""
    _index: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)
    """Lower-cased name to the first value, built on the first `get` of a long
    frame (the `connect` reply carries the call's ~200 headers)."""

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first header called `name`, compared without case (FreeSWITCH
        itself reads `content-length` and `Content-Length` alike)."""
        if len(self.headers) > _SCAN:
            index = self._index
            if index is None:
                index = {}
                for key, value in self.headers:
                    index.setdefault(key.lower(), value)
                object.__setattr__(self, "_index", index)
            return index.get(name.lower(), default)
        lowered = name.lower()
        for key, value in self.headers:
            if key == name or key.lower() == lowered:    # as written: the usual case
                return value
        return default

    @property
    def content_type(self) -> str:
        return self.get("Content-Type") or ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.headers)

    @property
    def text(self) -> str:
        """The body as text; bytes that are not UTF-8 never raise."""
        return self.body.decode("utf-8", errors="replace")


def encode_frame(frame: Frame) -> bytes:
    """The frame as bytes: LF line ends only (FreeSWITCH never sends CR, and
    greenswitch finds the end of a header block by a bare LF).

    A body needs a Content-Length header with its exact length, placed where
    the caller wants it (events put it first, disconnect notices last); a
    wrong or missing one is refused rather than sent.
    """
    declared = frame.get("Content-Length")
    if (frame.body or declared is not None) and (
        declared is None or not declared.isdigit() or int(declared) != len(frame.body)
    ):
        raise FrameError(
            f"Content-Length {declared!r} does not match a body of {len(frame.body)} bytes"
        )
    lines = [frame.command] if frame.command else []
    for key, value in frame.headers:
        for part in (key, value):
            if "\n" in part or "\r" in part:
                raise FrameError(f"a line break in header {key!r} would end the frame")
        if ":" in key or not key:
            raise FrameError(f"bad header name {key!r}")
        lines.append(f"{key}: {value}")
    head = "".join(line + "\n" for line in lines) + "\n"
    return head.encode("utf-8") + frame.body
