"""Values written into FreeSWITCH's and Kamailio's configuration, checked first.

The templates XML-escape everything (jinja2 autoescape), so `<`, `&` and
quotes cannot break the XML. Escaping is not enough for FreeSWITCH, though:
it expands `$${name}` when it loads the XML and `${name}` when a call uses
the value, and its pre-processor acts on `<X-PRE-PROCESS` lines even inside
comments. A line break in a value ends up inside an attribute, where XML
turns it into a space. So a value with a control character or a `$` is
refused, naming the setting, rather than written out changed.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RenderError(Exception):
    """A setting that cannot be written into the configuration; says which and why."""


def literal(field: str, value: str, limit: int = 1024) -> str:
    """A value FreeSWITCH will read exactly as written: one line, no `$`."""
    if not isinstance(value, str):
        raise RenderError(f"{field}: must be text, not {type(value).__name__}")
    shown = value if len(value) <= 40 else value[:37] + "..."
    if _CONTROL.search(value):
        raise RenderError(f"{field} = {shown!r}: line breaks and control characters cannot "
                          "be written into the configuration; remove them")
    if "$" in value:
        raise RenderError(f"{field} = {shown!r}: FreeSWITCH would expand `$` (as $${{…}} or "
                          "${…}) in the configuration; choose a value without `$`")
    if len(value) > limit:
        raise RenderError(f"{field}: longer than {limit} characters")
    return value


def secret(field: str, value: str) -> str:
    """Like `literal`, but the value is never shown in a message."""
    try:
        return literal(field, value)
    except RenderError as exc:
        why = str(exc).split(": ", 1)[1] if ": " in str(exc) else str(exc)
        raise RenderError(f"{field} (hidden): {why}") from None


_NUMBER = re.compile(r"\+?[0-9]{1,20}")


def dialled_number(flow: str, number: str) -> str:
    """A flow's number as the dialplan matches it: digits, optionally a leading +."""
    if not isinstance(number, str) or not _NUMBER.fullmatch(number):
        raise RenderError(f"flow `{flow}`: number {number!r} cannot be routed: a dialled "
                          "number is 1 to 20 digits, optionally after a +")
    return number


def number_pattern(numbers: list[str]) -> str:
    """An anchored regular expression matching exactly these (checked) numbers; a
    leading + is written `[+]`, which reads the same in FreeSWITCH's and Kamailio's
    regular expressions and needs no backslash in either file."""
    return "^(" + "|".join(n.replace("+", "[+]") for n in numbers) + ")$"
