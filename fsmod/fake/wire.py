"""The frames the fake FreeSWITCH writes, byte for byte in 1.10.12's layout.

Every constant text and header order here is copied from the captures
(../shared/esl-captures): `command/reply` with `Reply-Text`, `api/response`
with `Content-Length`, events with `Content-Length` *before* `Content-Type`,
the goodbye of 67 bytes, the shutdown notice of 31, the linger notice with
`Content-Length: 0` last.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from fsmod.esl.frame import Frame, encode_frame
from fsmod.esl.urlcode import fs_encode

GOODBYE = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
SHUTDOWN_TEXT = "The system is being shut down.\n"
RUDE = "Access Denied, go away.\n"

Headers = list[tuple[str, str]]


def auth_request() -> bytes:
    return encode_frame(Frame((("Content-Type", "auth/request"),)))


def reply(text: str, extra: Iterable[tuple[str, str]] = ()) -> bytes:
    return encode_frame(Frame((("Content-Type", "command/reply"), ("Reply-Text", text), *extra)))


def api_response(body: str) -> bytes:
    data = body.encode("utf-8")
    return encode_frame(Frame(
        (("Content-Type", "api/response"), ("Content-Length", str(len(data)))), data))


def _notice(headers: Headers, text: str) -> bytes:
    data = text.encode("utf-8")
    return encode_frame(Frame(
        (("Content-Type", "text/disconnect-notice"), *headers,
         ("Content-Length", str(len(data)))), data))


def goodbye(session_uuid: str = "", text: str = GOODBYE) -> bytes:
    """The final notice: on an outbound session it names the call and says
    `Content-Disposition: disconnect`; on an inbound one it has neither."""
    headers: Headers = []
    if session_uuid:
        headers = [("Controlled-Session-UUID", session_uuid),
                   ("Content-Disposition", "disconnect")]
    return _notice(headers, text)


def linger_notice(session_uuid: str, channel_name: str, linger_time: int) -> bytes:
    return _notice([
        ("Controlled-Session-UUID", session_uuid), ("Content-Disposition", "linger"),
        ("Channel-Name", channel_name), ("Linger-Time", str(linger_time)),
    ], "")


def rude_rejection() -> bytes:
    data = RUDE.encode()
    return encode_frame(Frame(
        (("Content-Type", "text/rude-rejection"), ("Content-Length", str(len(data)))), data))


def plain_body(headers: Headers, body: str = "") -> bytes:
    """An event as `text/event-plain` carries it: encoded values, and a body
    after its own Content-Length."""
    lines = "".join(f"{k}: {fs_encode(v)}\n" for k, v in headers)
    if body:
        data = body.encode("utf-8")
        return (lines + f"Content-Length: {len(data)}\n\n").encode("utf-8") + data
    return (lines + "\n").encode("utf-8")


def json_body(headers: Headers, body: str = "") -> bytes:
    data = dict(headers)
    if body:
        data["Content-Length"] = str(len(body.encode("utf-8")))
        data["_body"] = body
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event(headers: Headers, body: str = "", fmt: str = "plain") -> bytes:
    """The whole event frame in `fmt` (plain or json)."""
    if fmt == "json":
        payload, kind = json_body(headers, body), "text/event-json"
    else:
        payload, kind = plain_body(headers, body), "text/event-plain"
    return encode_frame(Frame(
        (("Content-Length", str(len(payload))), ("Content-Type", kind)), payload))


def connect_reply(headers: Headers) -> bytes:
    """The reply to an outbound `connect`: the CHANNEL_DATA headers, encoded,
    as the reply's own headers, then the reply's."""
    encoded = [(k, fs_encode(v)) for k, v in headers]
    return encode_frame(Frame((*encoded, ("Content-Type", "command/reply"),
                               ("Reply-Text", "%2BOK%0A"), ("Socket-Mode", "async"),
                               ("Control", "full"))))
