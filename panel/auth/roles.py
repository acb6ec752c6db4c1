"""Who is logged in, and what their role lets them do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from store.users import User


class Role(StrEnum):
    """Ranked: a higher role may do whatever a lower one may."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, needed: Role) -> bool:
        """Whether this role may do what `needed` may."""
        return self.rank >= needed.rank


@dataclass(frozen=True)
class PanelUser:
    """The logged-in user, as views and templates see them."""

    id: int
    username: str
    display_name: str
    role: Role
    agent: str       # mod_callcenter agent name ("1001@default"), "" if none
    extension: str   # the endpoint FreeSWITCH dials for their phone ("user/1001"), "" if none

    @classmethod
    def of(cls, user: User) -> PanelUser:
        return cls(user.id, user.username, user.display_name, Role(user.role), user.agent,
                   user.extension)
