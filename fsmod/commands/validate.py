"""Checks every value must pass before it is written into an ESL command.

Values come from callers (digits), data (names, account numbers), settings
and the web panel. On the wire a line break ends a header and a blank line
ends the command, so `\\n` in any value is command injection; FreeSWITCH
then expands `${…}` (and `$${…}`) in application arguments, reads `{…}` and
`[…]` as channel variables in dial strings, splits `file_string://` on `!`,
`speak` on `|`, originate's variable block on `,` and most arguments on
spaces. Rather than escape by rules that differ per application, the
builders accept only what each place can carry safely and refuse the rest
with a CommandValueError naming the field: an error an operator can act on,
never a surprise in the switch.
"""

from __future__ import annotations

import re

MAX_VALUE = 1024
"""Longest value of a channel variable or argument token we send."""

MAX_ARG = 8192
"""Longest whole application argument (a long file_string list)."""


class CommandValueError(ValueError):
    """A value that cannot go into an ESL command as it is; says which and why."""

    def __init__(self, field: str, value: str, why: str) -> None:
        shown = value if len(value) <= 40 else value[:37] + "..."
        super().__init__(f"{field}: {why} (got {shown!r})")
        self.field = field
        self.why = why


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_APP = re.compile(r"[a-z_][a-z0-9_]{0,63}")
_PATH = re.compile(r"/?[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*")
_ENDPOINT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:@/+-]{0,255}")
_PLAIN = re.compile(r"[^\s${}\[\],'\"\\!|&;^`<>]+")


def single_line(field: str, value: str, limit: int = MAX_VALUE) -> str:
    """Refuse control characters (CR, LF, NUL, tab …) and over-long text."""
    if not isinstance(value, str):
        raise CommandValueError(field, repr(value), "must be text")
    if _CONTROL.search(value):
        raise CommandValueError(field, value, "control characters (a line break) are not allowed")
    if len(value) > limit:
        raise CommandValueError(field, value, f"longer than {limit} characters")
    return value


def no_expansion(field: str, value: str, limit: int = MAX_VALUE) -> str:
    """A single-line value FreeSWITCH will not expand: no `$` at all (covers
    `${api(…)}` and `$${global}`), no braces."""
    single_line(field, value, limit)
    for bad in ("$", "{", "}"):
        if bad in value:
            raise CommandValueError(field, value, f"{bad!r} would be expanded by FreeSWITCH")
    return value


def plain_token(field: str, value: str, limit: int = MAX_VALUE) -> str:
    """One argument token: not empty, no whitespace, and none of the characters
    FreeSWITCH gives a meaning in some argument (`$ { } [ ] , ' " \\ ! | & ; ^`)."""
    single_line(field, value, limit)
    if not value:
        raise CommandValueError(field, value, "must not be empty")
    if not _PLAIN.fullmatch(value):
        raise CommandValueError(
            field, value, "no spaces, and none of $ { } [ ] , ' \" \\ ! | & ; ^ ` < >")
    return value


def uuid(field: str, value: str) -> str:
    """A channel or job UUID as FreeSWITCH writes them."""
    single_line(field, value, 64)
    if not _UUID.fullmatch(value):
        raise CommandValueError(field, value, "not a UUID")
    return value


def variable_name(field: str, value: str) -> str:
    """A channel variable name: letters, digits, `_`, not starting with a digit."""
    single_line(field, value, 64)
    if not _NAME.fullmatch(value):
        raise CommandValueError(field, value, "a variable name is letters, digits and _")
    return value


def app_name(value: str) -> str:
    single_line("application", value, 64)
    if not _APP.fullmatch(value):
        raise CommandValueError("application", value, "an application name is [a-z0-9_]")
    return value


def file_path(field: str, value: str) -> str:
    """A sound or document file: path segments of letters, digits and `_ . + -`,
    no `..` (so no way out of the prompts folder), no `!` `|` `$` or spaces."""
    single_line(field, value, 512)
    if not _PATH.fullmatch(value) or ".." in value.split("/"):
        raise CommandValueError(
            field, value, "a file path is /-separated names of letters, digits and _ . + -")
    return value


def endpoint(field: str, value: str) -> str:
    """A dial endpoint (`loopback/7000`, `sofia/gateway/trunk/138…`, `user/1001@default`)."""
    single_line(field, value, 256)
    if not _ENDPOINT.fullmatch(value):
        raise CommandValueError(
            field, value, "an endpoint is letters, digits and _ . : @ / + - only")
    return value


def digits(field: str, value: str, allowed: str = "0123456789*#") -> str:
    single_line(field, value, 128)
    if not value or any(ch not in allowed for ch in value):
        raise CommandValueError(field, value, f"only the keys {allowed} are allowed")
    return value


def bounded(field: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CommandValueError(field, repr(value), f"must be a whole number {low}..{high}")
    return value
