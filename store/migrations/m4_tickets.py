"""Migration 4: the ticket lifecycle and time-limit columns, and their new tables.

Adds the columns of store/models/tickets.py that version 2 lacked
(playhouse.migrate, on SQLite and PostgreSQL alike: the NOT NULL ones carry
a DEFAULT in their DDL, so SQLite adds them in place instead of rebuilding
`ticket_row`, which would cascade-delete its audit rows), creates
`ticket_event`, `ticket_alarm` and `notification`, and gives each existing
ticket its history: a `created` event (version 1) at the time and by the
hand its creation audit row names. Their time limits are filled by the
watcher's next pass or `switchflow ticket rebuild` (policies are settings,
not schema).

The column list is written out here, not read from the model, so this
migration keeps doing the same thing when the model changes later.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from store.models.base import BaseModel


def _columns() -> list[tuple[str, peewee.Field]]:
    def default(sql: str) -> list[peewee.SQL]:
        return [peewee.SQL(f"DEFAULT {sql}")]
    return [
        ("assignee", peewee.CharField(max_length=100, null=True, index=True)),
        ("version", peewee.IntegerField(default=1, constraints=default("1"))),
        ("account", peewee.CharField(max_length=20, null=True, index=True)),
        ("customer_class", peewee.CharField(max_length=30, null=True)),
        ("paused_reason", peewee.CharField(max_length=30, null=True)),
        ("return_reason", peewee.TextField(null=True)),
        ("updated_at", peewee.DateTimeField(null=True)),
        ("reported_at", peewee.DateTimeField(null=True)),
        ("arrived_at", peewee.DateTimeField(null=True)),
        ("resolved_at", peewee.DateTimeField(null=True)),
        ("cause", peewee.CharField(max_length=20, null=True)),
        ("cause_detail", peewee.TextField(null=True)),
        ("customer_confirmed", peewee.BooleanField(null=True)),
        ("closed_at", peewee.DateTimeField(null=True)),
        ("followup_due", peewee.DateTimeField(null=True, index=True)),
        ("sla_policy", peewee.CharField(max_length=100, null=True)),
        ("sla_policy_version", peewee.CharField(max_length=40, null=True)),
        ("sla_calendar", peewee.CharField(max_length=100, null=True)),
        ("sla_calendar_version", peewee.CharField(max_length=40, null=True)),
        ("sla_timezone", peewee.CharField(max_length=64, null=True)),
        ("first_response_due", peewee.DateTimeField(null=True)),
        ("update_due", peewee.DateTimeField(null=True)),
        ("resolve_due", peewee.DateTimeField(null=True, index=True)),
        ("next_alarm_at", peewee.DateTimeField(null=True, index=True)),
        ("breached", peewee.BooleanField(default=False, constraints=default("FALSE"))),
    ]


class _Ticket(BaseModel):
    class Meta:
        table_name = "ticket_row"


class TicketEvent4(BaseModel):
    ticket = peewee.ForeignKeyField(_Ticket, on_delete="CASCADE")
    version = peewee.IntegerField()
    at = peewee.DateTimeField()
    kind = peewee.CharField(max_length=20)
    who = peewee.CharField(max_length=200)
    public = peewee.BooleanField(default=False)
    detail = peewee.TextField(default="")

    class Meta:
        table_name = "ticket_event"
        indexes = ((("ticket", "version"), True),)


class TicketAlarm4(BaseModel):
    ticket = peewee.ForeignKeyField(_Ticket, on_delete="CASCADE")
    key = peewee.CharField(max_length=60)
    kind = peewee.CharField(max_length=10)
    clock = peewee.CharField(max_length=20)
    cycle = peewee.IntegerField()
    due_at = peewee.DateTimeField()
    fired_at = peewee.DateTimeField()
    notify_at = peewee.DateTimeField(null=True)
    actions = peewee.TextField(default="")

    class Meta:
        table_name = "ticket_alarm"
        indexes = ((("ticket", "key"), True),)


class Notification4(BaseModel):
    to = peewee.CharField(max_length=100, column_name="recipient")
    text = peewee.TextField()
    at = peewee.DateTimeField()
    notify_at = peewee.DateTimeField(index=True)
    ticket = peewee.ForeignKeyField(_Ticket, null=True, on_delete="CASCADE")

    class Meta:
        table_name = "notification"


def upgrade(db: peewee.Database) -> None:
    """Alter `ticket_row`, create the new tables, and write existing tickets' history."""
    migrator = SchemaMigrator.from_database(db)
    operations = []
    for name, field in _columns():
        if field.null:
            operations.append(migrator.add_column("ticket_row", name, field))
        else:   # NOT NULL DEFAULT …: filled in place on both databases
            operations.append(migrator.alter_add_column("ticket_row", name, field))
    migrate(*operations)
    db.create_tables([TicketEvent4, TicketAlarm4, Notification4])
    p = db.param
    db.execute_sql(
        "INSERT INTO ticket_event (ticket_id, version, at, kind, who, public, detail) "
        f"SELECT t.id, 1, COALESCE(a.at, t.created_at), 'created', "
        f"COALESCE(a.who, {p}), {p}, {p} FROM ticket_row t "
        "LEFT JOIN ticket_audit a ON a.id = (SELECT MIN(b.id) FROM ticket_audit b "
        "WHERE b.ticket_id = t.id AND b.action = 'created')",
        ("unknown", False, ""))
    db.execute_sql("UPDATE ticket_row SET updated_at = created_at, reported_at = created_at")
