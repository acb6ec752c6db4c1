"""The demo's panel logins, made by `switchflow serve --demo` and printed on start.

Only the demo makes them (cli/servedemo.py): two agents mapped to the fake
FreeSWITCH's mod_callcenter agents (fsmod/fake/traffic.py DEMO_AGENTS), a
supervisor and an admin, with passwords everyone reading README knows. A login
of that name already in the store is left as it is (its password may have been
changed: the printout says so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    display_name: str
    agent: str = ""        # the mod_callcenter agent the user answers as
    extension: str = ""    # the phone FreeSWITCH dials for them


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("agent1", "agent1-demo", "agent", "王丽", "1001@default", "user/1001"),
    DemoLogin("agent2", "agent2-demo", "agent", "陈刚", "1002@default", "user/1002"),
    DemoLogin("supervisor", "supervisor-demo", "supervisor", "刘主管"),
    DemoLogin("admin", "admin-demo", "admin", "Admin"),
)


@dataclass(frozen=True)
class Seeded:
    login: DemoLogin
    made: bool             # False: a user of that name was there already


def seed_demo_logins(now: dt.datetime,
                     logins: Sequence[DemoLogin] = DEMO_LOGINS) -> list[Seeded]:
    """Each demo login made unless a user of that name exists (the store is bound)."""
    from store.users import add_user, find_user

    out = []
    for login in logins:
        if find_user(login.username) is not None:
            out.append(Seeded(login, False))
            continue
        add_user(login.username, login.display_name, login.role, login.password, now,
                 agent=login.agent, extension=login.extension)
        out.append(Seeded(login, True))
    return out


def logins_text(url: str, seeded: Sequence[Seeded]) -> str:
    """What the demo prints on start: where to log in, and as whom."""
    lines = [f"panel: {url}/login", "demo logins (demo mode only):"]
    for s in seeded:
        login = s.login
        what = login.role + (f", answers as mod_callcenter agent {login.agent}"
                             if login.agent else "")
        password = login.password if s.made else f"{login.password} (unless changed since)"
        lines.append(f"  {login.username:<11} {password:<28} {what}")
    return "\n".join(lines)
