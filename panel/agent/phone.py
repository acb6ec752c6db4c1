"""Is the agent's phone registered? Asked of FreeSWITCH, never assumed.

`show registrations as json` lists the core's registration table (sofia
adds every SIP registration to it): `{"row_count":N,"rows":[{"reg_user":…,
"realm":…,"url":…,"expires":…,"network_ip":…},…]}`, or just
`{"row_count":0}`. A switch that does not answer it (the fake FreeSWITCH
knows only `show channels as json`), a lost control connection or an
answer we cannot read all give "unknown" with the reason: the panel does not
show an agent as reachable on a guess.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from fsmod.commands.api import ApiCommand

log = logging.getLogger(__name__)

SHOW_REGISTRATIONS = ApiCommand("show registrations as json")


@dataclass(frozen=True)
class Registration:
    state: str              # registered, not registered, unknown
    detail: str = ""        # where from (network address) or why unknown


def phone_user(extension: str) -> str:
    """`user/1001` or `user/1001@default` or `sofia/internal/1001@host` -> `1001`."""
    last = extension.rsplit("/", 1)[-1]
    return last.split("@", 1)[0]


def registration(control: object | None, extension: str) -> Registration:
    """The registration of the phone FreeSWITCH dials as `extension`."""
    if not extension:
        return Registration("unknown", "no phone is set for this user")
    if control is None:
        return Registration("unknown", "the panel has no FreeSWITCH connection")
    try:
        text = control.api(SHOW_REGISTRATIONS)      # type: ignore[attr-defined]
    except Exception as exc:                         # link lost, timeout: say so
        return Registration("unknown", f"FreeSWITCH did not answer: {exc}")
    text = text.strip()
    if text.startswith("-ERR") or not text.startswith("{"):
        return Registration("unknown", "FreeSWITCH did not list registrations: "
                            f"{text.splitlines()[0][:120] if text else 'no answer'}")
    try:
        rows = json.loads(text).get("rows") or []
    except (ValueError, AttributeError):
        return Registration("unknown", "FreeSWITCH's registration list could not be read")
    user = phone_user(extension)
    for row in rows:
        if isinstance(row, dict) and row.get("reg_user") == user:
            where = row.get("network_ip", "")
            port = row.get("network_port", "")
            return Registration("registered", f"{where}:{port}" if where and port else where)
    return Registration("not registered", f"no registration of {user}")
