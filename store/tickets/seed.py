"""Demo tickets for `switchflow db seed-demo`: open ones in every state, near and past
their time limits, with histories as people would have made them.

Each ticket is made through the TicketService on a clock set back in time,
so its events, audit rows and deadlines are the real ones. Emergencies run
day and night (24x7), so the one "near its limit" is near whenever the
seeding runs; the week-old ones are past theirs on any calendar. Seeding
again replaces the demo tickets (those with flow "seed-demo") and leaves
every other ticket alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from store.models.tickets import TicketRow
from store.tickets.service import TicketService

SEED_FLOW = "seed-demo"

# (type, severity, confidential, minutes before now it was opened, note,
#  steps: (minutes after opening, verb, arguments))
Step = tuple[int, str, dict[str, Any]]
DEMO: tuple[tuple[str, int, bool, int, str, tuple[Step, ...]], ...] = (
    ("leak_report", 1, False, 100, "燃气味很重，厨房", (
        (2, "dispatch", {"team": "emergency"}),
        (5, "accept", {}),
        (50, "contact", {"text": "告知开窗、勿用明火，抢修已出发"}))),  # near its limits
    ("leak_report", 1, False, 200, "楼道有燃气味", (
        (3, "dispatch", {"team": "emergency"}),
        (8, "accept", {}),
        (40, "start", {}))),                                          # past its 2 h limit
    ("repair", 2, False, 7 * 24 * 60, "灶具打不着火，无气", (
        (30, "dispatch", {"team": "field_north"}),)),                # past, never accepted
    ("repair", 2, False, 45, "燃气表不走字", ()),                      # new, waiting dispatch
    ("repair", 3, False, 2 * 24 * 60, "燃气表漏液", (
        (20, "dispatch", {"team": "field_south", "person": "wu.gang"}),
        (60, "accept", {}),
        (180, "start", {}),
        (200, "pause", {"reason": "waiting_parts"}))),
    ("appointment", 3, False, 26 * 60, "预约安检，需客户确认时间", (
        (10, "dispatch", {"team": "inspection"}),
        (30, "accept", {}),
        (40, "pause", {"reason": "waiting_customer"}))),
    ("complaint", 3, True, 20, "投诉抄表员态度差", ()),                  # confidential
    ("account_change", 3, False, 3 * 24 * 60, "过户，资料不全", (
        (15, "dispatch", {"team": "business"}),
        (90, "return_", {"reason": "缺少房产证明，请客户补交"}))),
    ("payment_check", 3, False, 5 * 60, "客户称已缴费仍收到催缴", (
        (10, "dispatch", {"team": "billing"}),
        (25, "accept", {}),
        (30, "note", {"text": "已核对银行流水", "public": False}))),
    ("repair", 2, False, 26 * 60, "热水器点不着", (
        (20, "dispatch", {"team": "field_north"}),
        (40, "accept", {}),
        (90, "start", {}),
        (150, "resolve", {"cause": "hardware", "note": "更换减压阀"}))),      # resolved
    ("repair", 3, False, 4 * 24 * 60, "表前阀漏气", (
        (20, "dispatch", {"team": "field_south"}),
        (40, "accept", {}),
        (120, "resolve", {"cause": "environment", "note": "阀门冻裂，已更换"}),
        (180, "close", {"confirmed": True, "followup_after": dt.timedelta(days=1)}),
        (24 * 60, "reopen", {"reason": "客户称仍有气味"}))),                  # reopened
    ("repair", 2, False, 8 * 60, "燃气灶熄火保护失灵", (
        (10, "dispatch", {"team": "field_north"}),
        (20, "accept", {}),
        (60, "start", {}),
        (100, "resolve", {"cause": "hardware", "note": "更换熄火保护针"}),
        (130, "close", {"confirmed": True, "followup_after": dt.timedelta(days=1)}))),
    ("suggestion", 4, False, 3 * 60, "希望增加微信缴费提醒", ()),
)


def seed_demo_tickets(now: dt.datetime, accounts: Sequence[str], policies: Any = None,
                      zone: str = "Asia/Shanghai") -> list[str]:
    """Write the demo tickets as of `now` (aware) for `accounts`; return their numbers.

    `policies` (engine.sla.policy.PolicySet) default to the settings' `[paths] sla`.
    """
    if policies is None:
        from engine.settings import load_settings
        from store.tickets.sla import load_ticket_policies
        policies = load_ticket_policies(load_settings())
    TicketRow.delete().where(TicketRow.flow == SEED_FLOW).execute()
    at = [now]
    service = TicketService(lambda: at[0], policies=policies, zone=zone, role="admin")
    numbers = []
    for i, (type_, severity, confidential, ago, note, steps) in enumerate(DEMO):
        opened = now - dt.timedelta(minutes=ago)
        at[0] = opened
        account = accounts[i % len(accounts)] if accounts else None
        view = service.create(type_, severity, who="seed-demo", account=account, note=note,
                              confidential=confidential, caller="13800000001")
        TicketRow.update(flow=SEED_FLOW).where(TicketRow.number == view.number).execute()
        for minutes, verb, arguments in steps:
            at[0] = min(now, opened + dt.timedelta(minutes=minutes))
            change: Callable[..., Any] = getattr(service, verb)
            who = arguments.get("person") or _crew(verb)
            if verb in ("note", "contact", "pause", "return_", "reopen"):
                first, rest = _positional(verb, arguments)
                change(view.number, first, who=who, **rest)
            else:
                change(view.number, who=who, **arguments)
        numbers.append(view.number)
    return numbers


def _crew(verb: str) -> str:
    return "dispatcher" if verb in ("dispatch", "reopen") else "wang.wei"


def _positional(verb: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    key = {"note": "text", "contact": "text", "pause": "reason", "return_": "reason",
           "reopen": "reason"}[verb]
    rest = {k: v for k, v in arguments.items() if k != key}
    return arguments[key], rest
