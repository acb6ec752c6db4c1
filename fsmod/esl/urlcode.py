"""FreeSWITCH's URL encoding of event header values (switch_url_encode).

Plain events and the `connect` reply carry every header value encoded:
control characters, bytes past `~`, and ``\\r\\n #%&+:;<=>?@[\\]^`{|}"`` become
`%XX` (upper-case hex); `/ , ' ( ) ~ ! * $` stay as they are (capture
inbound-control: `fd00%3A%3A2`, `Sat,%2021`, `tone_stream%3A//%25(100,0,600)`).
Decoding is plain percent-decoding (a `+` stays a `+`).
"""

from __future__ import annotations

from urllib.parse import unquote

_UNSAFE = frozenset(b"\r\n #%&+:;<=>?@[\\]^`{|}\"")


_ASCII_TABLE = {
    byte: f"%{byte:02X}" for byte in range(128) if byte < 0x20 or byte > 0x7E or byte in _UNSAFE
}


def fs_encode(value: str) -> str:
    """A header value as FreeSWITCH writes it in a plain event."""
    if value.isascii():
        return value.translate(_ASCII_TABLE)      # the common case, at C speed
    out: list[str] = []
    for byte in value.encode("utf-8"):
        if byte < 0x20 or byte > 0x7E or byte in _UNSAFE:
            out.append(f"%{byte:02X}")
        else:
            out.append(chr(byte))
    return "".join(out)


def fs_decode(value: str) -> str:
    """A header value as it was before FreeSWITCH encoded it; never raises
    (a stray `%` stays, bytes that are not UTF-8 become U+FFFD)."""
    return unquote(value, errors="replace")
