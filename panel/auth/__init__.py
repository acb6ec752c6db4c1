"""Logging in and out, roles, and the role check every view carries."""

from panel.auth.roles import PanelUser, Role
from panel.auth.session import current_user, requires

__all__ = ["PanelUser", "Role", "current_user", "requires"]
