"""The ticket pages as an agent and a supervisor use them: from a call to closed,
time limits in local time, confidential complaints, refusals as messages, and
input that must stay text."""

from __future__ import annotations

import datetime as dt
import html
import re

from engine.record import CallRecord
from store.models.customers import Customer
from store.models.tickets import TicketAudit, TicketRow
from store.records import StoreSink
from store.tickets.queries import show_ticket

pytest_plugins = ["panel_support"]   # the `panel` fixture

ZONE = "Asia/Shanghai"


def _login(panel, role: str, username: str | None = None):
    """A client logged in, holding its session's CSRF token (login starts a new session)."""
    client = panel.client(role, username)
    client.refresh_csrf("/tickets")
    return client


def _customer(account: str = "12345678", name: str = "张伟") -> Customer:
    return Customer.create(account=account, name=name, customer_class="residential",
                           address="浦东新区花木路 100 号", supply_area="200135", pin_hash="x")


def _number(answer) -> str:
    assert answer.status_code == 302, answer.get_data(as_text=True)
    found = re.search(r"/tickets/(\d+)", answer.headers["Location"])
    assert found, answer.headers["Location"]
    return found.group(1)


def _open(client, **fields) -> str:
    data = {"type": "repair", "caller": "13800001111", "note": "no gas since morning", **fields}
    return _number(client.send("/tickets/new", data))


def _text(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


def test_a_ticket_from_a_call_is_prefilled_dispatched_noted_resolved_and_closed(panel):
    _customer()
    StoreSink().commit(CallRecord(call_id="call-7", flow="hotline", caller="13800001111",
                                  called="95158", started_at=panel.clock.at,
                                  collected={"account": "12345678"}))
    events = panel.ctx.bus.subscribe(["tickets"])
    agent = _login(panel, "agent")

    form = _text(agent.get("/tickets/new?call=call-7"))
    assert 'value="13800001111"' in form and 'value="12345678"' in form
    assert "张伟" in form                                   # the matched account's name
    number = _open(agent, call_id="call-7", account="12345678", title="no gas in kitchen")

    page = _text(agent.get(f"/tickets/{number}?done=created"))
    assert "Ticket opened." in page and "no gas in kitchen" in page
    on_duty = re.search(r'data-team="emergency">([^<]*)<', page)   # Saturday 17:00 local
    assert on_duty and "赵磊" in on_duty.group(1) and "王伟" not in on_duty.group(1)
    due = re.findall(r'data-field="due">([^<]+)<', page)
    left = re.findall(r'data-field="left">([^<]+)<', page)
    assert due and all(d.endswith("CST") for d in due)     # local times, with the zone
    assert left and all(x.endswith("left") for x in left)

    steps = [("dispatch", {"team": "emergency", "person": "wang.wei"}),
             ("note", {"text": "crew on the way", "public": "1"}),
             ("accept", {"assignee": "wang.wei"}),
             ("start", {}),
             ("resolve", {"cause": "hardware", "note": "valve replaced"}),
             ("close", {"confirmed": "1", "followup": "1d"})]
    for version, (verb, data) in enumerate(steps, start=1):
        answer = agent.send(f"/tickets/{number}/{verb}", {"version": str(version), **data})
        assert answer.status_code == 302, (verb, _text(answer))

    detail = show_ticket(number, role="agent", now=panel.clock.at, zone=ZONE)
    t = detail.ticket
    assert (t.status, t.team, t.assignee, t.account) == ("closed", "emergency", "wang.wei",
                                                         "12345678")
    assert (detail.caller, detail.call_id) == ("13800001111", "call-7")
    assert (detail.cause, detail.cause_detail, detail.customer_confirmed) == \
        ("hardware", "valve replaced", True)
    assert detail.fields["title"] == "no gas in kitchen"
    assert [e.kind for e in detail.events] == ["created", "dispatched", "note", "accepted",
                                               "started", "resolved", "closed"]
    assert {e.who for e in detail.events} == {"agent1"}
    audit = {(a.action, a.field, a.new) for a in detail.audit}
    assert ("dispatch", "assign_team", "emergency") in audit
    assert ("close", "status", "closed") in audit

    page = _text(agent.get(f"/tickets/{number}"))
    assert 'data-field="status">closed' in page
    assert 'data-field="cause-detail">valve replaced' in page
    assert 'data-field="confirmed">yes' in page
    assert "crew on the way" in page
    kinds = [(e.kind, e.data.get("verb")) for e in _drain(events)]
    assert ("changed", "created") in kinds and ("changed", "close") in kinds


def _drain(subscription) -> list:
    out = []
    while True:
        event = subscription.get(timeout=0)
        if event is None:
            return out
        out.append(event)


def test_a_refused_change_is_a_message_on_the_page_and_changes_nothing(panel):
    agent = _login(panel, "agent")
    number = _open(agent)

    answer = agent.send(f"/tickets/{number}/close", {"version": "1"})
    assert answer.status_code == 409
    assert "cannot close ticket" in _text(answer) and "allowed now: dispatch" in _text(answer)

    assert agent.send(f"/tickets/{number}/dispatch", {"version": "1", "team": "emergency"}
                      ).status_code == 302
    stale = agent.send(f"/tickets/{number}/return", {"version": "1", "reason": "wrong team"})
    assert stale.status_code == 409
    assert f"ticket {number} is at version 2, not 1" in _text(stale)
    assert "Traceback" not in _text(stale)

    bad = agent.send(f"/tickets/{number}/pause", {"version": "2", "reason": "lunch"})
    assert bad.status_code == 400 and "pause reason 'lunch' is not one of" in _text(bad)
    row = TicketRow.get(TicketRow.number == number)
    assert (row.status, row.version, row.paused_reason) == ("dispatched", 2, None)


def test_an_agent_never_sees_a_confidential_complaint_a_supervisor_does(panel):
    supervisor = _login(panel, "supervisor")
    secret = _open(supervisor, type="complaint", confidential="1", title="agent was rude")
    plain = _open(supervisor, type="complaint", title="bill too high")
    agent = _login(panel, "agent")

    listing = _text(agent.get("/tickets?state=all"))
    assert f'data-ticket="{plain}"' in listing and secret not in listing
    assert "agent was rude" not in listing
    refused = agent.get(f"/tickets/{secret}")
    assert refused.status_code == 403
    assert "confidential" in _text(refused) and "agent was rude" not in _text(refused)
    note = agent.send(f"/tickets/{secret}/note", {"text": "peek", "version": "1"})
    assert note.status_code == 403
    assert TicketRow.get(TicketRow.number == secret).version == 1
    assert f'data-ticket="{secret}"' not in _text(agent.get(f"/tickets?q={secret}&state=all"))

    assert secret in _text(supervisor.get("/tickets?state=all"))
    page = supervisor.get(f"/tickets/{secret}")
    assert page.status_code == 200 and "agent was rude" in _text(page)


def test_an_agent_opening_a_confidential_complaint_is_told_its_number_not_shown_it(panel):
    agent = _login(panel, "agent")
    answer = agent.send("/tickets/new", {"type": "complaint", "caller": "13800001111",
                                         "confidential": "1", "title": "about a colleague"})
    assert answer.status_code == 302 and "/tickets?opened=" in answer.headers["Location"]
    number = answer.headers["Location"].rsplit("=", 1)[1]
    page = _text(agent.get(answer.headers["Location"]))
    assert f"Confidential ticket {number} opened" in page
    assert TicketRow.get(TicketRow.number == number).confidential


def test_a_title_with_a_script_is_shown_as_text(panel):
    agent = _login(panel, "agent")
    number = _open(agent, title="<script>alert('x')</script>", note="<b>bold</b>")
    for path in (f"/tickets/{number}", "/tickets"):
        raw = agent.get(path).get_data(as_text=True)
        assert "<script>alert(" not in raw and "<b>bold" not in raw
        assert "&lt;script&gt;alert(" in raw


def test_a_search_that_looks_like_sql_finds_nothing_and_changes_nothing(panel):
    agent = _login(panel, "agent")
    number = _open(agent, account=None)
    before = (TicketRow.select().count(), TicketAudit.select().count())
    for q in ("' OR '1'='1", "1; DROP TABLE ticket_row; --", f"{number}' --",
              "%' UNION SELECT number FROM ticket_row --"):
        answer = agent.get("/tickets", query_string={"q": q, "state": "all"})
        assert answer.status_code == 200
        assert f">{number}<" not in _text(answer), q
    assert (TicketRow.select().count(), TicketAudit.select().count()) == before
    assert f">{number}<" in _text(agent.get("/tickets", query_string={"q": number}))


def test_the_list_filters_mine_and_past_the_time_limit(panel):
    agent = _login(panel, "agent")
    other = _login(panel, "agent", "agent2")
    leak = _open(agent, type="leak_report", severity="1")
    repair = _open(other)

    mine = _text(agent.get("/tickets?mine=1"))
    assert leak in mine and repair not in mine

    panel.clock.advance(hours=3)           # a leak must be resolved in 2 h, round the clock
    past = _text(agent.get("/tickets?due=past"))
    assert leak in past and repair not in past
    assert re.search(rf'data-ticket="{leak}"[\s\S]*?overdue by 1 h', past)
    detail = _text(agent.get(f"/tickets/{leak}"))
    assert "overdue by 1 h" in detail

    odd = _text(agent.get("/tickets?state=bogus&due=soon"))
    assert "unknown state 'bogus'" in odd and "unknown time-limit filter 'soon'" in odd


def test_a_bad_link_or_form_gets_a_message_not_a_traceback(panel):
    agent = _login(panel, "agent")
    assert agent.get("/tickets/999999999999").status_code == 404
    assert "no ticket 999999999999" in _text(agent.get("/tickets/999999999999"))
    assert agent.get("/tickets/'; DROP TABLE x").status_code in (400, 404)
    form = _text(agent.get("/tickets/new?caller=<script>&account=12ab&call=../../etc"))
    assert "is not a phone number" in form and "is not an account number" in form
    missing = agent.send("/tickets/new", {"type": "repair", "caller": ""})
    assert missing.status_code == 400
    assert "a repair ticket needs the number to call back" in _text(missing)
    assert TicketRow.select().count() == 0


def test_pages_need_a_login(panel):
    anonymous = panel.anonymous()
    assert anonymous.get("/tickets").status_code == 302
    assert anonymous.send("/tickets/new", {"type": "repair"}).status_code == 302
    assert TicketRow.select().count() == 0


def test_clock_words():
    from panel.tickets.clocks import clock, span
    now = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
    assert span(dt.timedelta(days=2, hours=3, minutes=5)) == "2 d 3 h"
    assert span(dt.timedelta(minutes=45)) == "45 min"
    late = clock("resolution", now - dt.timedelta(minutes=35), now)
    assert (late.left, late.overdue) == ("overdue by 35 min", True)
    soon = clock("resolution", now + dt.timedelta(hours=1, minutes=20), now)
    assert (soon.left, soon.near, soon.overdue) == ("1 h 20 min left", True, False)


def test_a_type_s_own_fields_are_asked_typed_and_checked(panel):
    agent = _login(panel, "agent")
    form = _text(agent.get("/tickets/new?type=appointment"))
    assert 'name="appointment.kind"' in form and '<option value="safety_check"' in form

    base = {"type": "appointment", "caller": "13800001111"}
    for extra, said in (({}, "kind is needed"),
                        ({"appointment.kind": "party"}, "kind 'party' is not one of"),
                        ({"appointment.kind": "meter_check",
                          "appointment.preferred_date": "next week"}, "is not a date")):
        answer = agent.send("/tickets/new", {**base, **extra})
        assert answer.status_code == 400 and said in _text(answer), extra
    assert TicketRow.select().count() == 0

    number = _number(agent.send("/tickets/new", {
        **base, "appointment.kind": "meter_check", "appointment.preferred_date": "2026-12-03",
        "repair.category": "pipe"}))                 # another type's field is not taken
    fields = show_ticket(number, role="agent", now=panel.clock.at, zone=ZONE).fields
    assert fields["kind"] == "meter_check" and fields["preferred_date"] == "2026-12-03"
    assert "category" not in fields
