"""A ticket's lifecycle as an operator sees it, on SQLite and PostgreSQL: its status,
history and audit log, the refusals of illegal changes, confidential complaints."""

from __future__ import annotations

import datetime as dt

import pytest

from store.models.tickets import TicketAudit, TicketRow
from store.tickets.errors import (
    BadTicketInput,
    IllegalTransition,
    NotVisible,
    StaleVersion,
    UnknownTicket,
)
from store.tickets.queries import TicketFilter, list_tickets, show_ticket
from store.tickets.service import TicketService

ZONE = "Asia/Shanghai"
START = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)       # Monday 09:00 in Shanghai


class Clock:
    """A virtual clock the service reads; `advance` moves it on."""

    def __init__(self, at: dt.datetime = START) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(store_db, clock) -> TicketService:
    return TicketService(clock, zone=ZONE)


def test_a_repair_from_report_to_closing_with_its_history_and_audit(desk, clock):
    opened = desk.create("repair", 2, who="li.na", account="12345678", note="no gas",
                         caller="13800000001")
    assert opened.number.startswith("261130") and opened.number.isdigit()
    assert (opened.status, opened.version, opened.account) == ("new", 1, "12345678")
    n = opened.number
    clock.advance(minutes=5)
    assert desk.dispatch(n, who="dispatcher", team="field_north").team == "field_north"
    clock.advance(minutes=5)
    accepted = desk.accept(n, who="wang.wei")
    assert (accepted.status, accepted.assignee) == ("accepted", "wang.wei")
    clock.advance(minutes=30)
    desk.start(n, who="wang.wei")
    desk.note(n, "regulator frozen", who="wang.wei")
    desk.note(n, "told the customer: back by noon", who="wang.wei", public=True)
    clock.advance(minutes=40)
    desk.resolve(n, who="wang.wei", cause="hardware", note="regulator replaced")
    clock.advance(hours=2)
    closed = desk.close(n, who="li.na", confirmed=True, followup_after=dt.timedelta(days=1))
    assert (closed.status, closed.version) == ("closed", 8)

    d = show_ticket(n, now=clock(), zone=ZONE)
    assert [(e.version, e.kind, e.who, e.public) for e in d.events] == [
        (1, "created", "li.na", False), (2, "dispatched", "dispatcher", False),
        (3, "accepted", "wang.wei", False), (4, "started", "wang.wei", False),
        (5, "note", "wang.wei", False), (6, "note", "wang.wei", True),
        (7, "resolved", "wang.wei", True), (8, "closed", "li.na", False)]
    # the repair's times, local with the zone (Shanghai, +08:00)
    assert d.reported_at.isoformat() == "2026-11-30T09:00:00+08:00"
    assert d.arrived_at.isoformat() == "2026-11-30T09:40:00+08:00"
    assert d.resolved_at.isoformat() == "2026-11-30T10:20:00+08:00"
    assert d.closed_at.strftime("%Y-%m-%d %H:%M %Z") == "2026-11-30 12:20 CST"
    assert (d.cause, d.cause_detail, d.customer_confirmed) == (
        "hardware", "regulator replaced", True)
    assert d.followup_due.strftime("%Y-%m-%d %H:%M %Z") == "2026-12-01 12:20 CST"
    assert d.fields == {"note": "no gas"} and d.caller == "13800000001"
    changes = [(a.who, a.action, a.field, a.old, a.new) for a in d.audit]
    assert ("dispatcher", "dispatch", "status", "new", "dispatched") in changes
    assert ("dispatcher", "dispatch", "assign_team", None, "field_north") in changes
    assert ("wang.wei", "accept", "assignee", None, "wang.wei") in changes
    assert ("wang.wei", "start", "arrived_at", None, "2026-11-30 09:40 CST") in changes
    assert ("wang.wei", "note", None, None, "regulator frozen") in changes
    assert ("wang.wei", "resolve", "cause", None, "hardware") in changes
    assert ("li.na", "close", "customer_confirmed", None, "yes") in changes
    assert d.audit[0].at.isoformat() == "2026-11-30T09:00:00+08:00"


def test_each_illegal_change_names_the_status_and_what_is_allowed(desk):
    n = desk.create("repair", 2, who="li.na").number
    with pytest.raises(IllegalTransition, match=rf"cannot accept ticket {n}: it is new "
                       r"\(accept needs dispatched\); allowed now: dispatch, note, contact, "
                       r"urge$"):
        desk.accept(n, who="wang.wei")
    desk.dispatch(n, who="d", team="field")
    desk.accept(n, who="wang.wei")
    with pytest.raises(IllegalTransition, match="close needs resolved"):
        desk.close(n, who="li.na")
    with pytest.raises(IllegalTransition, match="it is not paused"):
        desk.resume(n, who="wang.wei")
    desk.pause(n, "waiting_parts", who="wang.wei")
    with pytest.raises(IllegalTransition, match=r"paused \(waiting_parts\) \(resume it first\)"
                       r"; allowed now: note, contact, urge, resume"):
        desk.resolve(n, who="wang.wei", cause="hardware", note="done")
    with pytest.raises(IllegalTransition, match="already paused"):
        desk.pause(n, "waiting_customer", who="wang.wei")
    with pytest.raises(IllegalTransition, match="reopen needs resolved or closed"):
        desk.reopen(n, "again", who="li.na")
    # nothing of the refused changes was written
    row = TicketRow.get(TicketRow.number == n)
    assert (row.status, row.version, row.paused_reason) == ("accepted", 4, "waiting_parts")


def test_a_return_goes_back_to_the_dispatcher_with_its_reason_and_a_reopen_to_the_team(
        desk):
    n = desk.create("repair", 3, who="li.na").number
    desk.dispatch(n, who="d", team="field_south", person="zhao")
    returned = desk.return_(n, "not our area", who="zhao")
    assert (returned.status, returned.team, returned.assignee, returned.return_reason) == (
        "new", None, None, "not our area")
    desk.dispatch(n, who="d", team="field_north")
    desk.accept(n, who="wang.wei")
    desk.resolve(n, who="wang.wei", cause="environment", note="frost")
    desk.close(n, who="li.na", followup_after=dt.timedelta(hours=4))
    reopened = desk.reopen(n, "no gas again", who="li.na")
    assert (reopened.status, reopened.team) == ("dispatched", "field_north")
    d = show_ticket(n, now=dt.datetime.now(dt.UTC), zone=ZONE)
    assert d.resolved_at is None and d.closed_at is None and d.followup_due is None
    assert [e.kind for e in d.events][-3:] == ["resolved", "closed", "reopened"]
    assert d.events[-1].detail == "no gas again"


def test_a_change_based_on_a_stale_version_is_refused_and_changes_nothing(desk):
    n = desk.create("complaint", 3, who="li.na").number
    desk.note(n, "first", who="a", expected_version=1)
    with pytest.raises(StaleVersion, match=rf"ticket {n} is at version 2, not 1: someone "
                                           "changed it since you read it"):
        desk.dispatch(n, who="b", team="service", expected_version=1)
    row = TicketRow.get(TicketRow.number == n)
    assert (row.status, row.version) == ("new", 2)


def test_unknown_tickets_and_bad_values_are_refused_in_words(desk):
    with pytest.raises(UnknownTicket, match="no ticket 999999: `switchflow ticket list`"):
        desk.accept("999999", who="x")
    with pytest.raises(BadTicketInput, match="not a ticket number"):
        desk.accept("12ab", who="x")
    with pytest.raises(BadTicketInput, match="severity 7 is not 1 to 4"):
        desk.create("repair", 7, who="x")
    n = desk.create("repair", 2, who="x").number
    with pytest.raises(BadTicketInput, match="cause 'magic' is not one of environment, "
                                             "hardware, software, human, other"):
        desk.resolve(n, who="x", cause="magic", note="?")
    with pytest.raises(BadTicketInput, match="pause reason 'lunch'"):
        desk.pause(n, "lunch", who="x")
    with pytest.raises(BadTicketInput, match="the note is empty"):
        desk.note(n, "  ", who="x")
    assert TicketAudit.select().count() == 1        # the creation, nothing else


def test_a_confidential_complaint_is_seen_only_by_roles_allowed_to(store_db, clock):
    agent = TicketService(clock, zone=ZONE)
    supervisor = TicketService(clock, zone=ZONE, role="supervisor")
    secret = agent.create("complaint", 3, who="li.na", confidential=True,
                          note="agent 1001 was rude").number
    plain = agent.create("repair", 2, who="li.na").number
    now = clock()
    assert [v.number for v in list_tickets(TicketFilter(), now=now, zone=ZONE)] == [plain]
    assert {v.number for v in list_tickets(TicketFilter(), role="quality", now=now,
                                           zone=ZONE)} == {plain, secret}
    with pytest.raises(NotVisible, match=rf"ticket {secret} is confidential: role agent may "
                                         "not see it \\(roles that may: supervisor, quality, "
                                         "admin"):
        show_ticket(secret, now=now, zone=ZONE)
    with pytest.raises(NotVisible):
        agent.note(secret, "peek", who="1001")
    assert show_ticket(secret, role="admin", now=now, zone=ZONE).fields == {
        "note": "agent 1001 was rude"}
    assert supervisor.dispatch(secret, who="boss", team="quality").version == 2
    with pytest.raises(BadTicketInput, match="unknown role 'janitor'"):
        TicketService(clock, role="janitor")


def test_lists_filter_by_status_type_severity_assignee_and_account(desk, clock):
    a = desk.create("repair", 2, who="x", account="12345678").number
    b = desk.create("repair", 1, who="x", account="11223344").number
    c = desk.create("complaint", 3, who="x", account="12345678").number
    desk.dispatch(b, who="d", team="field_north", person="wang.wei")
    desk.dispatch(c, who="d", team="service")
    desk.accept(c, who="zhao")
    now = clock()

    def numbers(**f) -> list[str]:
        return sorted(v.number for v in list_tickets(TicketFilter(**f), now=now, zone=ZONE))
    assert numbers(status=("new",)) == [a]
    assert numbers(status=("dispatched", "accepted")) == sorted([b, c])
    assert numbers(type="repair") == sorted([a, b])
    assert numbers(severity=1) == [b]
    assert numbers(assignee="wang.wei") == [b]
    assert numbers(assignee="service") == [c]
    assert numbers(account="12345678") == sorted([a, c])
    desk.accept(b, who="wang.wei")
    desk.resolve(b, who="wang.wei", cause="human", note="valve was closed")
    assert numbers(open_only=True) == sorted([a, c])
    newest = list_tickets(TicketFilter(), now=now, zone=ZONE)[0]
    assert newest.number == c and newest.created.tzinfo is not None
