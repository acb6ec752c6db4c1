"""The event socket's own commands: auth, event subscriptions, filters, linger.

These configure the connection rather than a call. Their replies are
command/reply frames (`+OK event listener enabled plain`, `+OK will linger`,
`-ERR invalid`); the forms are those of inbound-control and outbound-call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fsmod.commands import validate
from fsmod.esl.frame import Frame
from fsmod.vocab import EventName

_SUBCLASS = re.compile(r"[A-Za-z0-9_]+::[A-Za-z0-9_]+")
_HEADER = re.compile(r"[A-Za-z0-9_-]{1,64}")


def auth(password: str) -> Frame:
    """`auth PASSWORD`: a password with spaces or line breaks cannot be sent as it
    would be read, so it is refused here (and in the settings that hold it)."""
    validate.single_line("esl password", password, 128)
    if not password or any(ch.isspace() for ch in password):
        raise validate.CommandValueError("esl password", "******", "empty or has spaces")
    return Frame(command=f"auth {password}")


def event(names: Iterable[EventName], subclasses: Iterable[str] = (),
          fmt: str = "plain") -> Frame:
    """`event plain|json NAME … [CUSTOM sub::class …]`."""
    if fmt not in ("plain", "json"):
        raise validate.CommandValueError("event format", fmt, "plain or json")
    words = [EventName(n).value for n in names]
    subs = [s for s in subclasses]
    for sub in subs:
        validate.single_line("event subclass", sub, 128)
        if not _SUBCLASS.fullmatch(sub):
            raise validate.CommandValueError("event subclass", sub, "a subclass is module::name")
    if subs:
        if EventName.CUSTOM.value not in words:
            words.append(EventName.CUSTOM.value)
        # subclasses follow the CUSTOM keyword
        words = [w for w in words if w != EventName.CUSTOM.value] + [EventName.CUSTOM.value, *subs]
    if not words:
        raise validate.CommandValueError("event", "", "no events named")
    return Frame(command=f"event {fmt} {' '.join(words)}")


def filter_add(header: str, value: str) -> Frame:
    """`filter HEADER VALUE` (a value starting with `/` is a regex to FreeSWITCH)."""
    _check_header(header)
    validate.plain_token("filter value", value, 256)
    return Frame(command=f"filter {header} {value}")


def filter_delete(header: str, value: str | None = None) -> Frame:
    _check_header(header)
    if value is None:
        return Frame(command=f"filter delete {header}")
    validate.plain_token("filter value", value, 256)
    return Frame(command=f"filter delete {header} {value}")


def linger(seconds: int | None = None) -> Frame:
    """`linger` (for ever) or `linger N`: after the hangup the session stays open
    so results delivered with or after it (fax, recording) are still read."""
    if seconds is None:
        return Frame(command="linger")
    return Frame(command=f"linger {validate.bounded('linger', seconds, 1, 3600)}")


def simple(word: str) -> Frame:
    """`connect`, `myevents`, `nolinger`, `noevents`, `exit`, `resume`."""
    if word not in ("connect", "myevents", "nolinger", "noevents", "exit", "resume", "nolog"):
        raise validate.CommandValueError("command", word, "not a known socket command")
    return Frame(command=word)


def _check_header(header: str) -> None:
    validate.single_line("filter header", header, 64)
    if not _HEADER.fullmatch(header):
        raise validate.CommandValueError("filter header", header, "a header name is [A-Za-z0-9_-]")
