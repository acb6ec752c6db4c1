"""The ticket pages' link to the store: a TicketService acting as the person logged in.

The service does every rule (lifecycle, audit, versions, time limits,
confidential complaints); this module only gives it the person's role and
name, the panel's clock, the settings' zone and time-limit policies, and
reads what the forms offer (the catalogue's ticket types, the roster's teams).
The policies, catalogue and roster are read once per app; a file that cannot
be read is logged and its choice left out (the time limits are then computed
by the watcher), never a failed page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app

from panel.auth import current_user
from panel.context import panel_context
from store.tickets.service import TicketService

log = logging.getLogger(__name__)

_CACHE = "switchflow.desk"


@dataclass(frozen=True)
class TicketType:
    name: str
    severity: int
    doc: str
    fields: tuple[str, ...]
    required: tuple[str, ...]


@dataclass(frozen=True)
class DeskData:
    """What the ticket forms offer, read from the settings' files once."""

    policies: Any                       # engine.sla.policy.PolicySet, None when unreadable
    types: tuple[TicketType, ...]
    teams: tuple[str, ...]


def desk_data() -> DeskData:
    cached = current_app.extensions.get(_CACHE)
    if cached is None:
        settings = panel_context().settings
        cached = DeskData(_policies(settings), _types(settings), _teams(settings))
        current_app.extensions[_CACHE] = cached
    return cached


def _policies(settings: Any) -> Any:
    from store.tickets.sla import PolicyProblem, load_ticket_policies
    try:
        return load_ticket_policies(settings)
    except (PolicyProblem, OSError) as e:
        log.warning("ticket time limits left to the watcher: %s", e)
        return None


def _types(settings: Any) -> tuple[TicketType, ...]:
    from engine.catalog import CatalogError, load_catalog
    try:
        catalog = load_catalog(settings.paths.catalog, None, settings.engine.default_lang)
    except (CatalogError, OSError) as e:
        log.warning("ticket types unknown (catalogue %s): %s", settings.paths.catalog, e)
        return ()
    return tuple(TicketType(t.name, t.default_severity, " ".join((t.doc or "").split()),
                            tuple(f.name for f in t.fields),
                            tuple(f.name for f in t.fields if f.required))
                 for t in sorted((catalog.tickets or {}).values(), key=lambda t: t.name))


def _teams(settings: Any) -> tuple[str, ...]:
    from engine.dispatch.roster import RosterError, load_roster
    try:
        roster = load_roster(settings.dispatch.crew, settings.engine.timezone)
    except RosterError as e:
        log.warning("no crew teams to offer: %s", e)
        return ()
    return tuple(sorted(roster.teams))


def zone() -> str:
    return panel_context().settings.engine.timezone


def role() -> str:
    """The person's role as the store's visibility table names it."""
    return str(current_user().role)


def who() -> str:
    return current_user().username


def service() -> TicketService:
    """A TicketService acting with the person's role, on the panel's clock."""
    ctx = panel_context()
    return TicketService(ctx.now, policies=desk_data().policies, zone=zone(), role=role())


def ticket_type(name: str) -> TicketType | None:
    return next((t for t in desk_data().types if t.name == name), None)


def publish(verb: str, number: str, status: str, confidential: bool) -> None:
    """Tell the `tickets` topic a ticket changed; a confidential one without its number
    (agents' pages listen too)."""
    data = {"verb": verb, "status": status, "confidential": confidential}
    if not confidential:
        data["number"] = number
    panel_context().bus.publish("tickets", "changed", data)
