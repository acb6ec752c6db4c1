"""Survey answers and notice acknowledgements stored against the customer and the ticket,
on SQLite and PostgreSQL: the shipped flows over the simulator with the store's functions,
and what `customer show` and `ticket show` then tell an agent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from simcall import run_call

from cli.call import script_inputs
from cli.main import cli
from cli.project import compile_checked, demo_runtime
from engine.calendars.clock import VirtualClock
from engine.settings import load_settings
from engine.sim.channel import ScriptedCaller, SimChannel
from store.lookups import STORE_NAMES, register_store_lookups
from store.models.surveys import NoticeAck, SurveyAnswer
from store.surveys import SurveyInputError, acks_for, answers_for, record_ack, record_answer

REPO = Path(__file__).resolve().parents[1]
AT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)        # Monday 10:00 in Shanghai
SURVEYED = {"account": "12345678", "name": "张伟", "phone": "13800000001",
            "ticket_no": "2611200042", "type": "repair", "type_name": "燃气表故障报修",
            "opened_at": dt.datetime(2026, 11, 20, 9, 15),
            "closed_at": dt.datetime(2026, 11, 21, 15, 40)}
NOTIFIED = {"interruption_id": "INT-2611-0007", "account": "12345678", "name": "张伟",
            "phone": "13800000001", "area_name": "浦东新区花木街道", "scope": "锦绣路1000弄",
            "reason": "燃气管网碰接施工", "starts_at": dt.datetime(2026, 11, 25, 9, 0),
            "ends_at": dt.datetime(2026, 11, 26, 17, 30)}


def call(flow: str, start: str, target: dict, script: str):
    settings = load_settings(env={})
    runtime = demo_runtime(settings, near=REPO / "flows", skip=STORE_NAMES)
    register_store_lookups(runtime.registry, settings, now=lambda: AT)
    ir, _ = compile_checked(REPO / "flows" / f"{flow}.flow", runtime.catalog)
    channel = SimChannel(ScriptedCaller(script_inputs(script)), VirtualClock(AT),
                         caller_number=target["phone"], called="95158")
    return run_call(ir, channel, runtime, start=start, variables={"target": target})


def test_a_rating_and_its_comment_are_one_answer_against_the_customer_and_ticket(store_db):
    record = call("satisfaction_survey", "survey", SURVEYED, "2")      # speaks, then #
    [answer] = answers_for(ticket_no="2611200042")
    assert (answer.campaign, answer.account, answer.rating) == ("satisfaction_survey",
                                                                "12345678", 2)
    assert "remark" in answer.comment and answer.call_id == record.call_id
    assert answer.answered_at == AT
    assert answers_for(account="12345678") == [answer]


def test_a_caller_who_hangs_up_at_the_comment_keeps_their_rating_and_what_they_said(
        store_db):
    call("satisfaction_survey", "survey", SURVEYED, "5,h")
    [answer] = answers_for(account="12345678")
    assert answer.rating == 5 and "remark" in answer.comment


def test_no_comment_stores_the_rating_alone(store_db):
    call("satisfaction_survey", "survey", SURVEYED, "4,t")
    assert [(a.rating, a.comment) for a in answers_for(ticket_no="2611200042")] == [(4, "")]


def test_pressing_3_acknowledges_the_interruption_once(store_db):
    first = call("interruption_notice", "notice", NOTIFIED, "3")
    call("interruption_notice", "notice", NOTIFIED, "3")
    [ack] = acks_for("12345678")
    assert (ack.notice, ack.call_id, ack.acknowledged_at) == ("INT-2611-0007", first.call_id, AT)
    assert NoticeAck.select().count() == 1


def test_hearing_the_notice_without_3_is_no_acknowledgement(store_db):
    call("interruption_notice", "notice", NOTIFIED, "1,t,t,t")
    assert acks_for("12345678") == []


@pytest.mark.parametrize("kwargs, message", [
    ({"campaign": "x", "rating": 6}, "rating 6 is not a whole number 1 to 5"),
    ({"campaign": "x", "rating": 3.5}, "rating 3.5"),
    ({"campaign": "x y", "rating": 3}, "campaign 'x y' is not a name"),
    ({"campaign": "x", "rating": 3, "account": "12ab"}, "account '12ab' is not digits"),
])
def test_a_bad_answer_is_refused_naming_the_value(store_db, kwargs, message):
    given = dict(kwargs)          # the parameters are shared by both databases' runs
    campaign, rating = given.pop("campaign"), given.pop("rating")
    with pytest.raises(SurveyInputError, match=message):
        record_answer(campaign, rating, now=AT, **given)
    assert SurveyAnswer.select().count() == 0


def test_a_bad_acknowledgement_is_refused(store_db):
    with pytest.raises(SurveyInputError, match="the account is empty"):
        record_ack("INT-1", "", now=AT)
    with pytest.raises(SurveyInputError, match="is not an id"):
        record_ack("INT 1\n", "123", now=AT)


def test_customer_show_and_ticket_show_list_the_answers_and_acknowledgements(store_db, db_url):
    from store.seed import seed_demo
    from store.tickets.service import TicketService

    seed_demo(store_db, AT.date())
    ticket = TicketService(lambda: AT).create("repair", 2, who="agent", account="12345678")
    record_answer("satisfaction_survey", 2, account="12345678", ticket_no=ticket.number,
                  comment="recordings/2026/11/23/abc-remark.wav", call_id="c-1", now=AT)
    record_ack("INT-2611-0007", "12345678", call_id="c-2", now=AT)
    env = {"SWITCHFLOW_DB": db_url}
    shown = CliRunner().invoke(cli, ["customer", "show", "12345678"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "survey" in shown.output.lower() and "2/5" in shown.output
    assert "INT-2611-0007" in shown.output
    ticket_shown = CliRunner().invoke(cli, ["ticket", "show", ticket.number], env=env)
    assert ticket_shown.exit_code == 0, ticket_shown.output
    assert "2/5" in ticket_shown.output and "abc-remark.wav" in ticket_shown.output
