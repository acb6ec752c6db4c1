"""Who may see what: roles and confidential tickets (complaints marked confidential).

The table is the policy, in one place: an agent works tickets but never
reads a confidential complaint (it may name the agent); supervisors,
quality reviewers and administrators may. A role outside the table is an
error, not a silent "agent". Confidential tickets are left out of an agent's
lists, and showing or changing one as an agent is refused, saying which
roles may.
"""

from __future__ import annotations

from store.tickets.errors import BadTicketInput, NotVisible

# role -> may it see confidential tickets
ROLES: dict[str, bool] = {
    "agent": False,
    "supervisor": True,
    "quality": True,
    "admin": True,
}
DEFAULT_ROLE = "agent"


def check_role(role: str) -> str:
    """The role, if it is one of ROLES; BadTicketInput naming the known ones otherwise."""
    if role not in ROLES:
        raise BadTicketInput(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    return role


def sees_confidential(role: str) -> bool:
    return ROLES[check_role(role)]


def require_visible(role: str, number: str, confidential: bool) -> None:
    """Refuse a confidential ticket to a role that may not see it."""
    if confidential and not sees_confidential(role):
        allowed = ", ".join(r for r, ok in ROLES.items() if ok)
        raise NotVisible(f"ticket {number} is confidential: role {role} may not see it "
                         f"(roles that may: {allowed}; give --role)")
