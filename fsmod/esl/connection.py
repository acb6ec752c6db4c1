"""A socket that reads and writes whole frames, each with a deadline.

Both ends of fsmod use it: the client side (reading FreeSWITCH) and the fake
FreeSWITCH (reading commands). Every read and every write takes a timeout,
so a peer that stalls mid-frame or stops reading costs at most that long;
the parser's limits bound the memory. Closed, timed-out and broken
connections each raise one exception type the caller can act on.
"""

from __future__ import annotations

import contextlib
from collections import deque

import gevent
from gevent import socket as gsocket

from fsmod.esl.frame import Frame, FrameError, encode_frame
from fsmod.esl.parser import FrameParser

READ_CHUNK = 65536


class ConnectionClosed(ConnectionError):
    """The peer closed the socket (cleanly between frames, or `mid_frame`)."""

    def __init__(self, message: str, mid_frame: bool = False) -> None:
        super().__init__(message)
        self.mid_frame = mid_frame


class FrameTimeout(Exception):
    """No whole frame (or no room to write) within the deadline. Not an OSError,
    so socket-error handling never swallows it."""


class FrameConnection:
    """Frames over one socket; not safe for two readers (one reader greenlet)."""

    def __init__(self, sock: gsocket.socket, *, from_client: bool = False,
                 parser: FrameParser | None = None) -> None:
        self.sock = sock
        if sock.family in (gsocket.AF_INET, gsocket.AF_INET6):
            # small frames back to back (a reply, then events): without this, Nagle's
            # algorithm and delayed ACKs hold the second one for tens of milliseconds
            sock.setsockopt(gsocket.IPPROTO_TCP, gsocket.TCP_NODELAY, 1)
        self.parser = parser or FrameParser(from_client=from_client)
        self._ready: deque[Frame] = deque()
        self.closed = False

    def read(self, timeout: float | None) -> Frame:
        """The next frame; `timeout` None waits for ever (only for a fake's
        server loop, which a test ends by closing the socket)."""
        if self._ready:
            return self._ready.popleft()
        try:
            with gevent.Timeout(timeout, FrameTimeout(f"no frame within {timeout} s")):
                while not self._ready:
                    data = self._recv()
                    if not data:
                        self.closed = True
                        raise ConnectionClosed(
                            "connection closed" + (" mid-frame" if self.parser.buffered else ""),
                            mid_frame=bool(self.parser.buffered),
                        )
                    self._ready.extend(self.parser.feed(data))
        except FrameError:
            self.close()
            raise
        return self._ready.popleft()

    def _recv(self) -> bytes:
        try:
            return self.sock.recv(READ_CHUNK)
        except OSError as error:
            self.closed = True
            raise ConnectionClosed(f"connection broken: {error}") from None

    def send(self, frame: Frame | bytes, timeout: float = 10.0) -> None:
        """Write a frame (or bytes already encoded) within `timeout` seconds."""
        data = frame if isinstance(frame, bytes) else encode_frame(frame)
        if self.closed:
            raise ConnectionClosed("connection already closed")
        try:
            with gevent.Timeout(timeout, FrameTimeout(f"could not write within {timeout} s")):
                self.sock.sendall(data)
        except OSError as error:
            self.closed = True
            raise ConnectionClosed(f"connection broken: {error}") from None

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.close()
