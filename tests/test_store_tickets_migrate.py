"""A database made at schema version 2, with tickets flows opened, migrates to the
lifecycle schema (migration 4) on both databases and its tickets keep working."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from engine.sla.policy import load_policies
from store.db import current_schema
from store.migrations.v2_tickets import TicketRowV2
from store.models.tickets import TicketAudit, TicketEvent, TicketRow
from store.schema import MIGRATIONS, SchemaVersion, current_version, migrate
from store.tickets.queries import show_ticket
from store.tickets.service import TicketService
from store.tickets.watcher import watch_once

REPO = Path(__file__).resolve().parents[1]


def _version_2(db) -> None:
    """What switchflow at schema version 2 made, with two tickets a flow opened."""
    db.create_tables([SchemaVersion])
    with db.atomic():
        for m in MIGRATIONS[:2]:
            m.apply(db)
            SchemaVersion.create(version=m.version, name=m.name, applied_at="2026-11-01")
    at = dt.datetime(2026, 11, 27, 2, 0)
    for i, (type_, severity) in enumerate((("leak_report", 1), ("complaint", 3)), start=1):
        row = TicketRowV2.create(number=f"26112700000{i}", type=type_, severity=severity,
                                 confidential=type_ == "complaint", assign_team="service",
                                 fields='{"note": "v2"}', call_id=f"call-{i}",
                                 caller="13800000001", flow="hotline", node="n",
                                 created_at=at)
        TicketAudit.create(ticket=row.id, at=at + dt.timedelta(seconds=i),
                           who=f"flow:hotline/call:call-{i}", action="created",
                           field="status", old=None, new="new")


def test_version_2_tickets_get_a_history_and_keep_working(empty_db):
    _version_2(empty_db)
    def columns() -> set[str]:
        return {c.name for c in empty_db.get_columns("ticket_row", current_schema(empty_db))}
    assert "version" not in columns() and "resolve_due" not in columns()
    applied = migrate(empty_db)
    assert 4 in [a.version for a in applied] and current_version(empty_db) == 4
    assert {"version", "assignee", "resolve_due", "breached"} <= columns()
    rows = {r.number: r for r in TicketRow.select()}
    assert sorted(rows) == ["261127000001", "261127000002"]
    leak = rows["261127000001"]
    assert (leak.version, leak.status, leak.breached, leak.assign_team) == (
        1, "new", False, "service")
    assert leak.reported_at == leak.created_at == dt.datetime(2026, 11, 27, 2, 0)
    (created,) = TicketEvent.select().where(TicketEvent.ticket == leak)
    assert (created.version, created.kind, created.who, created.at) == (
        1, "created", "flow:hotline/call:call-1", dt.datetime(2026, 11, 27, 2, 0, 1))
    assert TicketAudit.select().count() == 2          # the audit rows are all still there

    now = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
    policies = load_policies(REPO / "conf" / "sla.toml")
    watch_once(policies, now)                          # computes their limits
    assert TicketRow.get_by_id(leak.id).sla_policy == "emergency"
    service = TicketService(lambda: now, policies=policies, role="supervisor")
    assert service.dispatch("261127000002", who="boss", team="quality").version == 2
    detail = show_ticket("261127000002", role="supervisor", now=now, zone="Asia/Shanghai")
    assert [e.kind for e in detail.events] == ["created", "dispatched"]
    assert detail.fields == {"note": "v2"} and detail.call_id == "call-2"
