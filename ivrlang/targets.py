"""What `transfer` may dial: a phone number, an extension or a SIP address.

The same rules serve the checker (a literal target is checked before the
flow runs) and the engine (a target computed at run time is checked before
it reaches FreeSWITCH, where `${…}` is expanded and `&`, `|` and `,` separate
dial strings and applications: a target that could carry them is refused).
"""

from __future__ import annotations

import re

TARGET_KINDS = ("number", "extension", "sip")

# what FreeSWITCH would read as something else: variable expansion, several
# dial strings (`,` `|`), an application (`&`), a second header or command
FORBIDDEN = ("\n", "\r", "${", "&", "|", ",", " ", "\t")

_SHAPES = {
    "number": (re.compile(r"\+?[0-9]{2,20}"), "digits only, optionally starting with +"),
    "extension": (re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,31}"),
                  "letters, digits, `_`, `.` or `-`, such as 1001"),
    "sip": (re.compile(r"(?:sip:)?[A-Za-z0-9_.!~*'()+-]{1,64}"
                       r"@[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?"),
            "user@host, such as sip:duty@pbx.example.com"),
}


def target_problem(kind: str, target: str) -> str | None:
    """Why `target` cannot be dialled as a `kind`, or None when it can."""
    if kind not in _SHAPES:
        return f"unknown transfer target kind `{kind}` (kinds: {', '.join(TARGET_KINDS)})"
    bad = next((f for f in FORBIDDEN if f in target), None)
    if bad is not None:
        shown = {" ": "a space", "\t": "a tab", "\n": "a line break", "\r": "a line break"}
        return f"{target!r} contains {shown.get(bad, f'`{bad}`')}"
    shape, expected = _SHAPES[kind]
    if not shape.fullmatch(target):
        article = "an" if kind == "extension" else "a"
        label = {"number": "phone number", "sip": "SIP address"}.get(kind, kind)
        return f"{target!r} is not {article} {label}: {expected}"
    return None


def normalise_target(kind: str, target: str) -> str:
    """The target as dial-string templates take it (a SIP address without `sip:`)."""
    if kind == "sip" and target.startswith("sip:"):
        return target[4:]
    return target
