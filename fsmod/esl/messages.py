"""What a frame from FreeSWITCH means: one typed message per Content-Type.

The connection code dispatches on these classes instead of on header
strings: a reply goes to the command waiting for it, an event to the
subscribers, a disconnect notice ends (or, with linger, announces the end
of) the session. A Content-Type FreeSWITCH 1.10 does not send becomes
`OtherMessage` and is logged by whoever reads it, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

from fsmod.esl.events import Event, event_of, parse_plain
from fsmod.esl.frame import Frame, FrameError
from fsmod.esl.urlcode import fs_decode
from fsmod.vocab import ContentType


@dataclass(frozen=True)
class AuthRequest:
    """`auth/request`: the inbound socket wants `auth <password>`."""


@dataclass(frozen=True)
class CommandReply:
    """`command/reply` to a command (not `api`). `channel_data` is the call's
    CHANNEL_DATA event when this is the reply to an outbound `connect`."""

    reply_text: str
    frame: Frame
    channel_data: Event | None = None

    @property
    def ok(self) -> bool:
        return self.reply_text.startswith("+OK")

    @property
    def job_uuid(self) -> str:
        return self.frame.get("Job-UUID") or ""


@dataclass(frozen=True)
class ApiResponse:
    """`api/response`: the command's whole output (`+OK …`, `-ERR …`, or data)."""

    body: str

    @property
    def ok(self) -> bool:
        return not self.body.startswith(("-ERR", "-USAGE"))


@dataclass(frozen=True)
class EventMessage:
    """An event (plain or JSON, already decoded)."""

    event: Event


@dataclass(frozen=True)
class DisconnectNotice:
    """`text/disconnect-notice`. `disposition` is `linger` (the call hung up,
    events still come, `linger_time` seconds or -1 for ever) or `disconnect`
    (the socket closes now; also missing on an inbound socket). `text` is the
    goodbye or `The system is being shut down.`"""

    disposition: str
    session_uuid: str
    channel_name: str
    linger_time: int | None
    text: str

    @property
    def shutdown(self) -> bool:
        """FreeSWITCH is shutting down (as opposed to an ordinary goodbye)."""
        return self.text.startswith("The system is being shut down")


@dataclass(frozen=True)
class RudeRejection:
    """`text/rude-rejection`: the inbound ACL refused us."""

    text: str


@dataclass(frozen=True)
class LogData:
    """`log/data` after `log LEVEL`: one log line and its headers."""

    level: int
    text: str
    frame: Frame


@dataclass(frozen=True)
class OtherMessage:
    """A Content-Type we do not read (text/event-xml is never subscribed)."""

    frame: Frame


Message = (
    AuthRequest | CommandReply | ApiResponse | EventMessage | DisconnectNotice
    | RudeRejection | LogData | OtherMessage
)


def classify(frame: Frame) -> Message:
    """The message a frame from FreeSWITCH carries; FrameError if its content
    contradicts its type (an event without Event-Name, bad JSON …)."""
    kind = frame.content_type
    if kind == ContentType.EVENT_PLAIN:                 # most frames, by far
        return EventMessage(parse_plain(frame.body))
    if kind == ContentType.AUTH_REQUEST:
        return AuthRequest()
    if kind == ContentType.COMMAND_REPLY:
        if frame.get("Event-Name"):
            return CommandReply(fs_decode(frame.get("Reply-Text") or ""), frame, event_of(frame))
        return CommandReply(frame.get("Reply-Text") or "", frame)
    if kind == ContentType.API_RESPONSE:
        return ApiResponse(frame.text)
    if kind == ContentType.EVENT_JSON:
        return EventMessage(event_of(frame))
    if kind == ContentType.DISCONNECT_NOTICE:
        return _notice(frame)
    if kind == ContentType.RUDE_REJECTION:
        return RudeRejection(frame.text)
    if kind == ContentType.LOG_DATA:
        level = frame.get("Log-Level") or "0"
        if not level.isdigit():
            raise FrameError(f"log/data with Log-Level {level[:20]!r}")
        return LogData(int(level), frame.text, frame)
    return OtherMessage(frame)


def _notice(frame: Frame) -> DisconnectNotice:
    linger = frame.get("Linger-Time")
    linger_time: int | None = None
    if linger is not None:
        try:
            linger_time = int(linger)
        except ValueError:
            raise FrameError(f"Linger-Time {linger[:20]!r} is not a number") from None
    return DisconnectNotice(
        disposition=frame.get("Content-Disposition") or "disconnect",
        session_uuid=frame.get("Controlled-Session-UUID") or "",
        channel_name=frame.get("Channel-Name") or "",
        linger_time=linger_time,
        text=frame.text,
    )
