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

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app

from panel.auth import current_user
from panel.context import panel_context
from store.tickets.service import TicketService

log = logging.getLogger(__name__)

_CACHE = "switchflow.desk"


# fields the new-ticket form has inputs of its own for, or that agents do not enter
COMMON = ("callback", "account", "address", "note", "source", "recording", "title")
_CODES = re.compile(r"a code: ([a-z0-9_]+(?: \| [a-z0-9_]+)+)")


@dataclass(frozen=True)
class FieldSpec:
    """A catalogue field of a ticket type beyond the common ones, as the form asks it."""

    name: str
    type: str                    # text, digits, number, date, bool
    required: bool
    doc: str
    codes: tuple[str, ...] = ()  # "a code: x | y" in the doc: the values offered

    def value(self, raw: str | None) -> Any:
        """The typed value of the form's text; None when empty; BadTicketInput when wrong."""
        from store.tickets.errors import BadTicketInput
        raw = (raw or "").strip()
        if not raw:
            if self.required:
                raise BadTicketInput(f"{self.name} is needed: {self.doc}")
            return None
        if self.codes and raw not in self.codes:
            raise BadTicketInput(f"{self.name} {raw!r} is not one of {', '.join(self.codes)}")
        if self.type == "bool":
            return raw in ("1", "on", "yes", "true")
        if self.type == "digits" and not re.fullmatch(r"[0-9]{1,20}", raw):
            raise BadTicketInput(f"{self.name} {raw!r} is not digits")
        if self.type == "number":
            try:
                number = Decimal(raw)
            except ArithmeticError:
                raise BadTicketInput(f"{self.name} {raw!r} is not a number") from None
            if not number.is_finite():
                raise BadTicketInput(f"{self.name} {raw!r} is not a number")
            return int(number) if number == number.to_integral_value() else float(number)
        if self.type == "date":
            try:
                return dt.date.fromisoformat(raw).isoformat()
            except ValueError:
                raise BadTicketInput(f"{self.name} {raw!r} is not a date such as "
                                     "2026-12-01") from None
        if len(raw) > 500:
            raise BadTicketInput(f"{self.name} is longer than 500 characters")
        return raw


@dataclass(frozen=True)
class TicketType:
    name: str
    severity: int
    doc: str
    fields: tuple[str, ...]
    required: tuple[str, ...]
    extra: tuple[FieldSpec, ...] = ()


@dataclass(frozen=True)
class DeskData:
    """What the ticket forms offer, read from the settings' files once."""

    policies: Any                       # engine.sla.policy.PolicySet, None when unreadable
    types: tuple[TicketType, ...]
    roster: Any                         # engine.dispatch.roster.Roster, None when unreadable

    @property
    def teams(self) -> tuple[str, ...]:
        return tuple(sorted(self.roster.teams)) if self.roster else ()

    def on_duty(self, now: dt.datetime) -> list[tuple[str, list[Any]]]:
        """Each team and its crew members on duty at `now`, in call order."""
        if self.roster is None:
            return []
        return [(team, self.roster.on_duty(team, now)) for team in self.teams]


def desk_data() -> DeskData:
    cached = current_app.extensions.get(_CACHE)
    if cached is None:
        settings = panel_context().settings
        cached = DeskData(_policies(settings), _types(settings), _roster(settings))
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
                            tuple(f.name for f in t.fields if f.required),
                            tuple(_spec(f) for f in t.fields if f.name not in COMMON))
                 for t in sorted((catalog.tickets or {}).values(), key=lambda t: t.name))


def _spec(field: Any) -> FieldSpec:
    doc = " ".join((field.doc or "").split())
    codes = _CODES.search(doc)
    return FieldSpec(field.name, field.type if isinstance(field.type, str) else "text",
                     bool(field.required), doc,
                     tuple(codes.group(1).split(" | ")) if codes else ())


def _roster(settings: Any) -> Any:
    from engine.dispatch.roster import RosterError, load_roster
    try:
        return load_roster(settings.dispatch.crew, settings.engine.timezone)
    except RosterError as e:
        log.warning("no crew teams to offer: %s", e)
        return None


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
