"""The outbound socket server: one greenlet per call, a bounded number at once.

FreeSWITCH's dialplan runs `socket HOST:PORT async full` and connects here
for each call. The server sends `connect` (the call's data: uuid, caller,
dialled number, direction, origination variables such as sf_call_id,
sf_flow, sf_campaign), `myevents` and `linger N`, wraps the session as an
ESLChannel and hands it to the line handler (`engine.lifecycle.Calls.handle`,
which routes by dialled number). When the handler returns, a line the flow
left up is hung up (never left parked in the switch) and the session is left
with `exit`.

Beyond `max_calls` a call is refused cleanly: connected and hung up with
NORMAL_CIRCUIT_CONGESTION, so it never stays parked (greenswitch answered
`connect` then `exit`, and half of such calls stayed stuck). Each call runs
in its own greenlet and everything it raises is caught and logged there:
one call's failure never reaches another.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gevent import socket as gsocket
from gevent.server import StreamServer

from fsmod.channel.channel import ESLChannel, Limits, WireListener
from fsmod.channel.session import SessionLost, SocketSession, Timeouts
from fsmod.channel.sound import Voice
from fsmod.esl.connection import ConnectionClosed, FrameConnection, FrameTimeout
from fsmod.esl.frame import FrameError
from fsmod.vocab import HangupCause

log = logging.getLogger(__name__)

LineHandler = Callable[[ESLChannel], Any]


@dataclass
class ServerStats:
    """What the server did since it started."""

    accepted: int = 0
    refused: int = 0
    failed: int = 0       # sessions that could not start, or whose handler raised
    active: int = 0
    peak: int = 0


class OutboundServer:
    """Accepts FreeSWITCH's outbound socket connections and runs each call."""

    def __init__(self, handler: LineHandler, *, host: str = "127.0.0.1", port: int = 8084,
                 max_calls: int = 500, timeouts: Timeouts | None = None,
                 voice: Voice | None = None, limits: Limits | None = None,
                 recordings: str = "",
                 listener_for: Callable[[str], WireListener | None] | None = None) -> None:
        if max_calls < 1:
            raise ValueError("max_calls must be at least 1")
        self.handler = handler
        self.max_calls = max_calls
        self.timeouts = timeouts or Timeouts()
        self.voice = voice or Voice()
        self.limits = limits or Limits()
        self.recordings = recordings
        self.listener_for = listener_for
        self.stats = ServerStats()
        self._server = StreamServer((host, port), self._accept)

    @property
    def port(self) -> int:
        return self._server.server_port

    def start(self) -> OutboundServer:
        self._server.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting; calls in progress get `timeout` seconds to finish."""
        self._server.stop(timeout=timeout)

    def _accept(self, sock: gsocket.socket, address: object) -> None:
        conn = FrameConnection(sock)
        session = SocketSession(conn, self.timeouts)
        if self.stats.active >= self.max_calls:
            self._refuse(session)
            return
        self.stats.accepted += 1
        self.stats.active += 1
        self.stats.peak = max(self.stats.peak, self.stats.active)
        channel: ESLChannel | None = None
        try:
            try:
                session.start()
            except (SessionLost, ConnectionClosed, FrameTimeout, FrameError) as error:
                self.stats.failed += 1
                log.warning("outbound session from %s could not start: %s", address, error)
                return
            listener = self.listener_for(session.uuid) if self.listener_for else None
            channel = ESLChannel(session, voice=self.voice, limits=self.limits,
                                 recordings=self.recordings, listener=listener)
            channel.detect()
            self.handler(channel)
        except Exception:
            self.stats.failed += 1
            log.exception("call=%s the call's handler failed", session.uuid or "?")
        finally:
            self.stats.active -= 1
            if channel is not None and not channel.gone:
                with contextlib.suppress(Exception):
                    channel.hangup()
            session.close()

    def _refuse(self, session: SocketSession) -> None:
        self.stats.refused += 1
        try:
            session.start()
            log.warning("call=%s refused: %d calls in progress (max_calls)", session.uuid,
                        self.stats.active)
            session.hangup(HangupCause.NORMAL_CIRCUIT_CONGESTION.value)
        except (SessionLost, ConnectionClosed, FrameTimeout, FrameError) as error:
            log.warning("a refused call's session failed: %s", error)
        finally:
            session.close()
