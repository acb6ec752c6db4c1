"""Incremental frame parser with hard limits.

Bytes go in as they arrive (`feed`), whole frames come out. A header block
ends at the first blank line; a `Content-Length` header makes the next that
many bytes the body. Every limit is checked before anything is buffered past
it, so a peer that never ends its headers, or announces a 2 GB body, costs
at most the limit and gets a FrameError, never a hang or unbounded memory.

Two readings, as FreeSWITCH has them (mod_event_socket.c `read_packet` and
esl.c): `from_client=True` reads commands the way FreeSWITCH does (first
line is the command, `\\r` ignored, leading blank lines skipped); the default
reads FreeSWITCH's own output, which is LF only: a CR there is malformed.
"""

from __future__ import annotations

from fsmod.esl.frame import Frame, FrameError

MAX_HEADER_BYTES = 1 << 20
"""A header block past 1 MiB is refused: the largest real one (CHANNEL_DATA of
a call with many variables) is a few KiB; FreeSWITCH's own cap is 10 MB."""

MAX_BODY_BYTES = 16 << 20
"""A body past 16 MiB is refused: `show channels as json` for 1,000 calls is
about 4 MiB."""


class FrameParser:
    """Turns a byte stream into frames; one parser per connection direction."""

    def __init__(
        self,
        *,
        from_client: bool = False,
        max_header_bytes: int = MAX_HEADER_BYTES,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.from_client = from_client
        self.max_header_bytes = max_header_bytes
        self.max_body_bytes = max_body_bytes
        self._buffer = bytearray()
        self._pending: tuple[tuple[tuple[str, str], ...], str, int] | None = None
        self._scanned = 0

    @property
    def buffered(self) -> int:
        """Bytes received and not yet part of a whole frame (0 between frames)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        """Add bytes; return every frame now complete. Raises FrameError on a
        malformed or oversized frame (the parser is then unusable)."""
        self._buffer += data
        frames: list[Frame] = []
        while True:
            frame = self._next()
            if frame is None:
                return frames
            frames.append(frame)

    def _next(self) -> Frame | None:
        if self._pending is None:
            if self.from_client:
                self._skip_leading_blank_lines()
            found = self._find_end_of_headers()
            if found is None:
                return None
            end, consumed = found
            block = bytes(self._buffer[:end])
            if self.from_client:
                block = block.replace(b"\r", b"")      # FreeSWITCH ignores CR in commands
            del self._buffer[:consumed]
            self._scanned = 0
            self._pending = self._parse_block(block)
        headers, command, length = self._pending
        if len(self._buffer) < length:
            return None
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        self._pending = None
        return Frame(headers=headers, body=body, command=command)

    def _skip_leading_blank_lines(self) -> None:
        skip = 0
        while skip < len(self._buffer) and self._buffer[skip] in (0x0A, 0x0D):
            skip += 1
        if skip:
            del self._buffer[:skip]

    def _find_end_of_headers(self) -> tuple[int, int] | None:
        """Where the header block ends and how many bytes it and its blank line
        take, or None if not yet here (searching only what is new, so a slow
        peer costs linear time). From a client, a line holding only CR is
        blank too; CRs in a body are left alone."""
        start = max(0, self._scanned - 1)
        if self.from_client:
            # resume at the last line end seen: a blank line may be "\n\r\n" split anywhere
            found = self._client_blank_line(max(0, self._buffer.rfind(b"\n", 0, start + 1)))
        else:
            end = self._buffer.find(b"\n\n", start)
            found = None if end < 0 else (end, end + 2)
        if found is None:
            self._scanned = len(self._buffer)
            if len(self._buffer) > self.max_header_bytes:
                raise FrameError(
                    f"header block longer than {self.max_header_bytes} bytes without an end"
                )
            return None
        if found[0] > self.max_header_bytes:
            raise FrameError(f"header block of {found[0]} bytes, over {self.max_header_bytes}")
        return found

    def _client_blank_line(self, start: int) -> tuple[int, int] | None:
        at = self._buffer.find(b"\n", start)
        while at >= 0:
            nxt = at + 1
            while nxt < len(self._buffer) and self._buffer[nxt] == 0x0D:
                nxt += 1
            if nxt < len(self._buffer) and self._buffer[nxt] == 0x0A:
                return at, nxt + 1
            if nxt >= len(self._buffer):
                return None
            at = self._buffer.find(b"\n", nxt)
        return None

    def _parse_block(self, block: bytes) -> tuple[tuple[tuple[str, str], ...], str, int]:
        """The block's headers in order, the command line (from a client) and the
        body's length. One pass: every frame from FreeSWITCH comes through here
        (an event's own ~200 headers are read by events.parse_plain)."""
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError as error:
            raise FrameError(f"header block is not UTF-8 (byte {error.start})") from None
        if not self.from_client and "\r" in text:
            raise FrameError("CR in a header block: FreeSWITCH sends LF only")
        lines = text.split("\n")
        command = lines.pop(0) if self.from_client else ""
        headers = []
        length = None
        for line in lines:
            name, sep, value = line.partition(":")
            if not sep or not name or name[0].isspace() or name[-1].isspace():
                raise FrameError(f"malformed header line {line[:80]!r}")
            if value[:1] == " ":
                value = value[1:]
            if len(name) == 14 and name.lower() == "content-length":
                if length is not None:
                    raise FrameError("more than one Content-Length header")
                length = value
            headers.append((name, value))
        return tuple(headers), command, 0 if length is None else self._body_length(length)

    def _body_length(self, value: str) -> int:
        value = value.strip()
        if not value.isdigit() or not value.isascii():
            raise FrameError(f"Content-Length {value[:40]!r} is not a byte count")
        length = int(value)
        if length > self.max_body_bytes:
            raise FrameError(f"body of {length} bytes announced, over {self.max_body_bytes}")
        return length
