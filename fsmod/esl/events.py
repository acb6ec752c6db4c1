"""FreeSWITCH events as typed values, from either of the two formats we read.

`text/event-plain`: `Name: <url-encoded value>` lines, a blank line, and when
the event has a body, `Content-Length: N` among the headers and N bytes after
the blank line (a BACKGROUND_JOB's output). `text/event-json`: a flat object
of header to raw string, the body under `_body`. The `connect` reply of an
outbound session is the call's CHANNEL_DATA event written as the reply's own
headers (URL-encoded too). All three become the same `Event`, decoded, so
nothing above this module ever sees `%3A` or the format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from fsmod.esl.frame import Frame, FrameError
from fsmod.esl.headers import HeaderBlock, Variables
from fsmod.esl.parser import MAX_HEADER_BYTES
from fsmod.vocab import EventName

VARIABLE_PREFIX = "variable_"


def _frozen(pairs: Iterable[tuple[str, str]]) -> Mapping[str, str]:
    return MappingProxyType(dict(pairs))


@dataclass(frozen=True)
class Event:
    """One event: its decoded headers in wire order, and its body (may be empty)."""

    headers: Mapping[str, str] = field(default_factory=lambda: _frozen(()))
    body: str = ""

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    @property
    def name(self) -> str:
        """`Event-Name` as sent (CHANNEL_EXECUTE_COMPLETE, CUSTOM, …)."""
        return self.headers.get("Event-Name", "")

    @property
    def kind(self) -> EventName | None:
        """The event name as our vocabulary knows it; None for one it does not."""
        try:
            return EventName(self.name)
        except ValueError:
            return None

    @property
    def subclass(self) -> str:
        """`Event-Subclass` of a CUSTOM event (`callcenter::info`), else empty."""
        return self.headers.get("Event-Subclass", "")

    @property
    def unique_id(self) -> str:
        return self.headers.get("Unique-ID", "")

    @property
    def application_uuid(self) -> str:
        """The `Event-UUID` our sendmsg gave the application (CHANNEL_EXECUTE and
        CHANNEL_EXECUTE_COMPLETE): what a completion is matched on."""
        return self.headers.get("Application-UUID", "")

    @property
    def job_uuid(self) -> str:
        return self.headers.get("Job-UUID", "")

    @property
    def variables(self) -> Mapping[str, str]:
        """Channel variables (`variable_NAME` headers) by NAME, read through."""
        return Variables(self.headers)


def event_from_pairs(pairs: Iterable[tuple[str, str]], body: str = "") -> Event:
    """An event from encoded header pairs as they stood on the wire (the `connect`
    reply's CHANNEL_DATA); values are decoded as they are read."""
    return Event(HeaderBlock.from_pairs(pairs), body)


def parse_plain(body: bytes, max_body_bytes: int | None = None) -> Event:
    """The event carried in a `text/event-plain` frame's body: a header block,
    a blank line, and exactly `Content-Length` more bytes (none without one).

    The block is checked whole here (a malformed line is a FrameError now, not
    when it is read) but split and decoded lazily (HeaderBlock)."""
    limit = max_body_bytes or len(body)
    end = body.find(b"\n\n")
    if end < 0:
        raise FrameError("a text/event-plain body must hold exactly one event")
    if end > MAX_HEADER_BYTES:
        raise FrameError(f"header block of {end} bytes, over {MAX_HEADER_BYTES}")
    try:
        text = body[:end].decode("utf-8")
    except UnicodeDecodeError as error:
        raise FrameError(f"header block is not UTF-8 (byte {error.start})") from None
    headers = HeaderBlock.parse(text)
    length = _content_length(text)
    rest = len(body) - end - 2
    if length > limit or rest != length:
        raise FrameError("a text/event-plain body must hold exactly one event")
    event = Event(headers, body[end + 2:].decode("utf-8", errors="replace") if length else "")
    if not event.name:
        raise FrameError("event without Event-Name")
    return event


def _content_length(text: str) -> int:
    """The inner Content-Length, its name in any case (as FrameParser reads it)."""
    if "\ncontent-length:" not in "\n" + text.lower():
        return 0                          # most events: no body
    values = [value for name, _, value in (line.partition(":") for line in text.split("\n"))
              if name.lower() == "content-length"]
    if len(values) > 1:
        raise FrameError("more than one Content-Length header")
    value = values[0].strip() if values else ""
    if not value.isdigit() or not value.isascii():
        raise FrameError(f"Content-Length {value[:40]!r} is not a byte count")
    return int(value)


def parse_json(body: bytes) -> Event:
    """The event carried in a `text/event-json` frame's body."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise FrameError(f"text/event-json body is not JSON: {error}") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise FrameError("text/event-json body must be a flat object of strings")
    event_body = data.pop("_body", "")
    if not data.get("Event-Name"):
        raise FrameError("event without Event-Name")
    return Event(_frozen(data.items()), event_body)


def event_of(frame: Frame) -> Event:
    """The event a frame carries: a plain or JSON event, or the CHANNEL_DATA of
    a `connect` reply. Raises FrameError for anything else."""
    kind = frame.content_type
    if kind == "text/event-plain":
        return parse_plain(frame.body)
    if kind == "text/event-json":
        return parse_json(frame.body)
    if kind == "command/reply" and frame.get("Event-Name"):
        return event_from_pairs(frame.headers)
    raise FrameError(f"no event in a {kind or 'untyped'} frame")
