"""Tickets' time limits in the store, on SQLite and PostgreSQL: deadlines kept from the
history and shown in local time, pauses, the watcher firing each alarm exactly once (also
two watchers at once), quiet hours, actions at breach, and rebuild after a policy change."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.sla.policy import load_policies
from store.models.tickets import Notification, TicketAlarm, TicketAudit, TicketEvent, TicketRow
from store.tickets.queries import TicketFilter, list_tickets, show_ticket
from store.tickets.service import TicketService
from store.tickets.sla import rebuild
from store.tickets.watcher import watch_once

REPO = Path(__file__).resolve().parents[1]
ZONE = "Asia/Shanghai"
SH = dt.timezone(dt.timedelta(hours=8))


def local(text: str) -> dt.datetime:
    """"2026-11-30 09:00" in Shanghai, as an aware instant."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SH)


def hm(instant: dt.datetime | None) -> str | None:
    return None if instant is None else instant.strftime("%Y-%m-%d %H:%M %Z")


class Clock:
    def __init__(self, at: str) -> None:
        self.at = local(at)

    def __call__(self) -> dt.datetime:
        return self.at

    def set(self, at: str) -> None:
        self.at = local(at)


@pytest.fixture(scope="module")
def policies():
    return load_policies(REPO / "conf" / "sla.toml")


@pytest.fixture
def clock() -> Clock:
    return Clock("2026-11-30 09:00")          # a Monday


@pytest.fixture
def desk(store_db, clock, policies) -> TicketService:
    return TicketService(clock, policies=policies, zone=ZONE)


def test_deadlines_follow_office_hours_and_are_shown_in_local_time(desk, clock):
    clock.set("2026-11-27 18:00")             # Friday evening; office closes at 20:00
    view = desk.create("repair", 2, who="li.na", account="12345678")
    assert view.sla_policy == "severity_2"
    assert hm(view.first_response_due) == "2026-11-27 20:00 CST"
    assert hm(view.resolve_due) == "2026-11-28 11:00 CST"   # 2 h Friday, 2 h from 09:00 Sat
    row = TicketRow.get(TicketRow.number == view.number)
    assert row.resolve_due == dt.datetime(2026, 11, 28, 3, 0)   # stored in UTC
    assert (row.sla_calendar, row.sla_timezone) == ("office", ZONE)
    assert len(row.sla_policy_version) >= 8 and len(row.sla_calendar_version) >= 8

    clock.set("2026-11-27 19:00")
    assert [v.number for v in list_tickets(TicketFilter(due_within=dt.timedelta(hours=1)),
                                           now=clock(), zone=ZONE)] == [view.number]
    assert list_tickets(TicketFilter(overdue=True), now=clock(), zone=ZONE) == []
    clock.set("2026-11-27 20:30")
    (late,) = list_tickets(TicketFilter(overdue=True), now=clock(), zone=ZONE)
    assert late.overdue and hm(late.next_due) == "2026-11-27 20:00 CST"


def test_only_a_customer_visible_action_stops_the_first_response_clock(desk, clock):
    n = desk.create("complaint", 3, who="li.na").number
    clock.set("2026-11-30 09:30")
    internal = desk.note(n, "asked billing", who="zhao")
    assert hm(internal.first_response_due) == "2026-11-30 11:00 CST"
    clock.set("2026-11-30 09:45")
    public = desk.contact(n, "called the customer back", who="zhao")
    assert public.first_response_due is None
    assert public.update_due is not None          # now the customer must hear again in time


def test_a_pause_stops_the_clocks_and_moves_the_deadline_by_its_length(desk, clock):
    n = desk.create("repair", 2, who="li.na").number      # Monday 09:00: resolve by 13:00
    assert hm(desk.dispatch(n, who="d", team="field").resolve_due) == "2026-11-30 13:00 CST"
    desk.accept(n, who="wang.wei")
    clock.set("2026-11-30 10:00")
    paused = desk.pause(n, "waiting_parts", who="wang.wei")
    assert paused.resolve_due is None and paused.paused_reason == "waiting_parts"
    clock.set("2026-11-30 11:30")
    resumed = desk.resume(n, who="wang.wei")
    assert hm(resumed.resolve_due) == "2026-11-30 14:30 CST"
    kinds = [e.kind for e in show_ticket(n, now=clock(), zone=ZONE).events]
    assert kinds == ["created", "dispatched", "accepted", "paused", "resumed"]


def test_the_watcher_fires_each_alarm_once_and_notifies_after_quiet_hours(desk, clock,
                                                                          policies):
    n = desk.create("complaint", 3, who="li.na").number   # first response by 11:00
    desk.dispatch(n, who="d", team="service")
    first = watch_once(policies, local("2026-11-30 10:40"), zone=ZONE)
    assert [(f.number, f.key, hm(f.due_at)) for f in first.fired] == [
        (n, "first_response/1/warning", "2026-11-30 10:36 CST")]
    assert watch_once(policies, local("2026-11-30 10:50"), zone=ZONE).fired == ()
    late = watch_once(policies, local("2026-11-30 23:10"), zone=ZONE)   # quiet hours
    assert [f.key for f in late.fired] == ["first_response/1/breach"]
    assert watch_once(policies, local("2026-11-30 23:20"), zone=ZONE).fired == ()
    notes = list(Notification.select().order_by(Notification.id))
    assert [(x.to, x.ticket_id) for x in notes] == [("service", notes[0].ticket_id)] * 2
    assert "will miss its first response time limit due 2026-11-30 11:00 CST" in notes[0].text
    assert notes[0].notify_at == dt.datetime(2026, 11, 30, 2, 40)      # at once (10:40)
    assert notes[1].notify_at == dt.datetime(2026, 11, 30, 23, 0)      # 07:00 local
    assert TicketRow.get(TicketRow.number == n).breached
    alarms = show_ticket(n, now=clock(), zone=ZONE).alarms
    assert [(a.key, hm(a.notify_at)) for a in alarms] == [
        ("first_response/1/warning", "2026-11-30 10:40 CST"),
        ("first_response/1/breach", "2026-12-01 07:00 CST")]


def test_an_emergency_alarm_wakes_people_at_night(desk, clock, policies):
    clock.set("2026-12-01 01:00")
    n = desk.create("leak_report", 1, who="flow", team="emergency").number
    report = watch_once(policies, local("2026-12-01 02:40"), zone=ZONE)
    assert [(f.key, hm(f.notify_at)) for f in report.fired] == [
        ("first_response/1/warning", "2026-12-01 02:40 CST"),
        ("resolve/1/warning", "2026-12-01 02:40 CST")]
    assert {(x.to, x.notify_at) for x in Notification.select()} == {
        ("emergency", dt.datetime(2026, 11, 30, 18, 40))}
    assert all(n in x.text for x in Notification.select())


def test_a_breach_raises_the_severity_and_a_level_1_breach_reassigns(desk, clock, policies):
    n = desk.create("repair", 2, who="li.na").number       # resolve by 13:00, 4 h
    desk.dispatch(n, who="d", team="field_north")
    desk.accept(n, who="wang.wei")
    desk.contact(n, "on our way", who="wang.wei")
    report = watch_once(policies, local("2026-11-30 13:05"), zone=ZONE)
    done = {f.key: f.actions for f in report.fired}
    assert done["resolve/1/breach"] == ("notified wang.wei", "severity 2 -> 1")
    row = TicketRow.get(TicketRow.number == n)
    assert row.severity == 1 and row.sla_policy == "severity_1"
    events = [(e.kind, e.who, e.detail) for e in
              TicketEvent.select().where(TicketEvent.ticket == row).order_by(
                  TicketEvent.version)]
    assert ("severity", "watcher", "2->1") in events
    assert TicketAudit.get((TicketAudit.ticket == row) & (TicketAudit.field == "severity")
                           ).new == "1"
    # under level 1 every limit has already passed: its breach sends it to the duty manager
    # under level 1 the update limit (1 h since the call at 09:00) has passed too: its
    # breach sends the ticket to the duty manager; the resolve breach, fired, stays fired
    assert [(f.key, f.actions) for f in report.fired][2:] == [
        ("update/1/warning", ("notified wang.wei",)),
        ("update/1/breach", ("notified wang.wei", "reassigned to duty_manager"))]
    assert TicketRow.get(TicketRow.number == n).assign_team == "duty_manager"
    assert watch_once(policies, local("2026-11-30 13:10"), zone=ZONE).fired == ()


def test_reopening_under_resume_fires_no_breach_at_the_moment_of_reopening(desk, clock,
                                                                            policies):
    n = desk.create("repair", 2, who="li.na").number
    desk.dispatch(n, who="d", team="field")
    desk.accept(n, who="wang.wei")
    clock.set("2026-11-30 12:00")                         # 3 of 4 hours used
    desk.resolve(n, who="wang.wei", cause="software", note="meter reset")
    assert watch_once(policies, local("2026-12-02 09:00"), zone=ZONE).fired == ()
    clock.set("2026-12-02 09:00")
    reopened = desk.reopen(n, "no gas again", who="li.na")
    assert reopened.status == "dispatched"
    report = watch_once(policies, local("2026-12-02 09:00"), zone=ZONE)
    assert [f.key for f in report.fired if f.key.startswith("resolve")] == []
    assert hm(reopened.resolve_due) == "2026-12-02 10:00 CST"    # the hour that was left


def test_a_flows_ticket_gets_its_limits_at_the_watchers_next_pass(store_db, policies):
    from engine.seams.tickets import TicketRequest
    from store.tickets import StoreDesk
    receipt = StoreDesk().open(TicketRequest(
        "leak_report", 1, False, "emergency", {"address": "X路1号", "account": "12345678"},
        "call-1", "hotline", "leak", "13800000001", local("2026-11-30 09:00")))
    row = TicketRow.get(TicketRow.number == receipt.number)
    assert row.sla_policy is None and row.account == "12345678" and row.version == 1
    watch_once(policies, dt.datetime.now(dt.UTC), zone=ZONE)
    row = TicketRow.get(TicketRow.number == receipt.number)
    assert row.sla_policy == "emergency" and row.resolve_due is not None


def test_rebuild_after_a_policy_change_moves_deadlines_and_audits_them(desk, clock, tmp_path):
    n = desk.create("repair", 2, who="li.na").number          # 4 h: by 13:00
    desk.create("repair", 3, who="li.na")                     # unaffected by the change
    text = (REPO / "conf" / "sla.toml").read_text(encoding="utf-8")
    changed = text.replace('[policies.severity_2]\nseverity = 2\nresolve = "4h"',
                           '[policies.severity_2]\nseverity = 2\nresolve = "6h"')
    changed = changed.replace('"../flows/', f'"{REPO}/flows/')
    assert changed != text
    (tmp_path / "sla.toml").write_text(changed, encoding="utf-8")
    done = rebuild(load_policies(tmp_path / "sla.toml"), clock(), "rebuild:admin",
                   desk._transaction)
    assert (done.tickets, done.changed) == (2, 1)
    assert (n, "resolve_due", "2026-11-30 13:00 CST", "2026-11-30 15:00 CST") in done.moved
    audit = TicketAudit.get((TicketAudit.action == "rebuild")
                            & (TicketAudit.field == "resolve_due"))
    assert (audit.who, audit.old, audit.new) == ("rebuild:admin", "2026-11-30 13:00 CST",
                                                 "2026-11-30 15:00 CST")
    again = rebuild(load_policies(tmp_path / "sla.toml"), clock(), "rebuild:admin",
                    desk._transaction)
    assert again.changed == 0 and again.moved == ()


# two watchers at once, in two processes, over the same due alarms
WATCHER = textwrap.dedent("""
    import datetime as dt, sys, time
    from engine.sla.policy import load_policies
    from store.db import connect
    from store.tickets.watcher import watch_once
    url, start = sys.argv[1:3]
    connect(url)
    policies = load_policies("conf/sla.toml")
    time.sleep(max(0.0, float(start) - time.time()))
    now = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
    report = watch_once(policies, now)
    print(len(report.fired))
""")


def test_two_watchers_at_once_fire_each_alarm_exactly_once(desk, db_url, store_db):
    import time
    numbers = [desk.create("complaint", 3, who="li.na", team="service").number
               for _ in range(12)]
    store_db.close()
    start = f"{time.time() + 2.5:.3f}"
    runs = [subprocess.Popen([sys.executable, "-c", WATCHER, db_url, start], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outs = [r.communicate(timeout=240) for r in runs]
    for r, (_, err) in zip(runs, outs, strict=True):
        assert r.returncode == 0, err
    fired = [int(out.strip()) for out, _ in outs]
    alarms = TicketAlarm.select().count()
    assert alarms == len(numbers) * 4        # first response and resolve: warning, breach
    assert sum(fired) == alarms              # every alarm claimed by exactly one watcher
    assert Notification.select().count() == alarms
    keys = [(a.ticket_id, a.key) for a in TicketAlarm.select()]
    assert len(set(keys)) == len(keys)


def test_the_demo_tickets_are_in_every_state_some_near_and_some_past_their_limits(
        store_db, policies):
    from store.tickets.seed import seed_demo_tickets
    now = local("2026-11-28 23:30")                       # any hour: a Saturday night
    numbers = seed_demo_tickets(now, ["12345678", "11223344"], policies)
    again = seed_demo_tickets(now, ["12345678", "11223344"], policies)
    assert len(again) == len(numbers) and TicketRow.select().count() == len(numbers)
    rows = list(TicketRow.select())
    assert {r.status for r in rows} == {"new", "dispatched", "accepted", "in_progress",
                                        "resolved", "closed"}
    assert [r.followup_due for r in rows if r.status == "closed"] == [
        dt.datetime(2026, 11, 29, 9, 40)]       # the satisfaction call, a day after closing
    assert {r.paused_reason for r in rows} >= {"waiting_parts", "waiting_customer"}
    assert any(r.return_reason for r in rows) and any(r.confidential for r in rows)
    seen = list_tickets(TicketFilter(), role="admin", now=now, zone=ZONE)
    assert any(v.overdue for v in seen)
    near = list_tickets(TicketFilter(due_within=dt.timedelta(hours=1)), role="admin",
                        now=now, zone=ZONE)
    assert [v.type for v in near] == ["leak_report"]
    reopened = [r for r in rows if TicketEvent.select().where(
        (TicketEvent.ticket == r) & (TicketEvent.kind == "reopened")).exists()]
    assert len(reopened) == 1 and reopened[0].followup_due is None
