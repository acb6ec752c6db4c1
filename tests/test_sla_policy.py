"""The policy file: which policy a ticket gets, versions, and errors an operator can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.settings import load_settings
from engine.sla.model import TicketFacts
from engine.sla.policy import PolicyError, load_policies, parse_policies

REPO = Path(__file__).resolve().parent.parent
CONF = REPO / "conf"
HEAD = '[calendars]\nlibrary = "../flows/common.flow"\n'


@pytest.fixture(scope="module")
def shipped():
    return load_policies(CONF / "sla.toml")


def facts(type_: str, severity: int, customer_class: str | None = None) -> TicketFacts:
    return TicketFacts(type_, severity, customer_class, ())


def policies(text: str):
    return parse_policies(HEAD + text, "sla.toml", base=CONF)


def error(text: str, head: str = HEAD) -> str:
    with pytest.raises(PolicyError) as caught:
        parse_policies(head + text, "sla.toml", base=CONF)
    return str(caught.value)


# ----------------------------------------------------------------- the shipped defaults


def test_the_settings_name_the_shipped_policy_file():
    assert load_settings(env={}).paths.sla == Path("conf/sla.toml")


def test_shipped_defaults_follow_the_design(shipped):
    targets = {p.name: {r.clock: r.minutes for r in p.clocks} for p in shipped.policies}
    assert targets["severity_1"]["resolve"] == 120
    assert targets["severity_2"]["resolve"] == 240
    assert targets["severity_3"]["resolve"] == 3 * 12 * 60     # 3bd of the 12-hour office day
    assert targets["severity_4"]["resolve"] == 7 * 12 * 60
    assert {t["first_response"] for t in targets.values()} == {120}
    emergency = shipped.get("emergency")
    assert (emergency.calendar_name, emergency.urgent) == ("24x7", True)
    assert shipped.quiet is not None and shipped.quiet.spelled() == "22:00-07:00 Asia/Shanghai"


def test_type_wins_over_severity_and_severity_over_class(shipped):
    assert shipped.choose(facts("leak_report", 3)).name == "emergency"
    assert shipped.choose(facts("emergency", 4)).name == "emergency"
    assert shipped.choose(facts("repair", 1)).name == "severity_1"
    assert shipped.choose(facts("complaint", 4, "industrial")).name == "severity_4"


def test_the_order_is_fixed_whatever_the_order_in_the_file():
    ps = policies(
        '[policies.large]\ncustomer_class = "industrial"\nresolve = "1h"\n'
        '[policies.sev2]\nseverity = 2\nresolve = "4h"\n'
        '[policies.repair]\ntype = "repair"\nresolve = "8h"\n'
        '[policies.rest]\nfallback = true\nresolve = "3bd"\n')
    assert [p.name for p in ps.policies] == ["repair", "sev2", "large", "rest"]
    assert ps.choose(facts("repair", 2, "industrial")).name == "repair"
    assert ps.choose(facts("inquiry", 2, "industrial")).name == "sev2"
    assert ps.choose(facts("inquiry", 3, "industrial")).name == "large"
    assert ps.choose(facts("inquiry", 3, "residential")).name == "rest"


def test_a_business_day_is_the_calendars_working_day():
    ps = policies('[policies.a]\nfallback = true\ncalendar = "business"\nresolve = "2bd"\n'
                  'first_response = "1h30m"\n')
    rules = {r.clock: r.minutes for r in ps.get("a").clocks}
    assert rules == {"first_response": 90, "resolve": 2 * 6 * 60}   # 09-11:30 + 14-17:30


# ----------------------------------------------------------------- versions


def test_versions_change_with_the_policy_or_the_calendar(tmp_path):
    library = (REPO / "flows" / "common.flow").read_text(encoding="utf-8")
    (tmp_path / "common.flow").write_text(library, encoding="utf-8")
    (tmp_path / "catalog.toml").write_text(
        (REPO / "flows" / "catalog.toml").read_text(encoding="utf-8"), encoding="utf-8")
    text = ('[calendars]\nlibrary = "common.flow"\n'
            '[policies.a]\nfallback = true\nresolve = "4h"\n')
    (tmp_path / "sla.toml").write_text(text, encoding="utf-8")
    first = load_policies(tmp_path / "sla.toml").get("a")
    (tmp_path / "sla.toml").write_text(text.replace("4h", "5h"), encoding="utf-8")
    longer = load_policies(tmp_path / "sla.toml").get("a")
    assert longer.version != first.version
    assert longer.calendar_version == first.calendar_version
    (tmp_path / "common.flow").write_text(
        library.replace("holidays office: cn", "holidays office: cn, 2026-12-31"),
        encoding="utf-8")
    moved = load_policies(tmp_path / "sla.toml").get("a")
    assert moved.calendar_version != longer.calendar_version
    assert moved.version == longer.version


# ----------------------------------------------------------------- errors


def test_unknown_calendar_suggests_the_closest():
    message = error('[policies.a]\nfallback = true\ncalendar = "ofice"\nresolve = "2h"\n')
    assert message.startswith("sla.toml: policy `a` calendar: unknown calendar `ofice`")
    assert "did you mean `office`?" in message


def test_a_bare_day_is_refused_with_both_readings():
    message = error('[policies.a]\nfallback = true\nresolve = "3d"\n')
    assert message.startswith("sla.toml: policy `a` resolve: '3d': `d` is ambiguous")
    assert '"3bd" for 3 business days of calendar `office` (36 h of open time)' in message
    assert '"72h"' in message


def test_unknown_keys_and_actions_get_a_suggestion():
    assert "unknown key `resolv`" in error('[policies.a]\nfallback = true\nresolv = "2h"\n')
    assert "did you mean `resolve`?" in error('[policies.a]\nfallback = true\nresolv = "2h"\n')
    message = error('[policies.a]\nfallback = true\nresolve = "2h"\non_breach = ["notfy"]\n')
    assert "policy `a` on_breach: unknown action 'notfy'" in message
    assert 'did you mean "notify"?' in message
    assert "names no team" in error(
        '[policies.a]\nfallback = true\nresolve = "2h"\non_breach = "reassign:"\n')


def test_exactly_one_fallback():
    assert "0 fallback policies" in error('[policies.a]\nseverity = 1\nresolve = "2h"\n')
    assert "2 fallback policies (a, b)" in error(
        '[policies.a]\nfallback = true\nresolve = "2h"\n'
        '[policies.b]\nfallback = true\nresolve = "2h"\n')


def test_bad_values_name_the_key():
    assert "policy `a` warn_percent: 120 is not a percentage" in error(
        '[policies.a]\nfallback = true\nresolve = "2h"\nwarn_percent = 120\n')
    assert "policy `a` reopen: unknown reopen rule 'resum'" in error(
        '[policies.a]\nfallback = true\nresolve = "2h"\nreopen = "resum"\n')
    assert "policy `a` severity: 5: expected a severity 1..4" in error(
        '[policies.a]\nseverity = 5\nresolve = "2h"\n')
    assert "[notifications] quiet_hours: bad quiet hours '22-7'" in error(
        '[notifications]\nquiet_hours = "22-7"\n[policies.a]\nfallback = true\nresolve = "2h"\n')
    assert "unknown time zone 'Asia/Shanghia'" in error(
        '[policies.a]\nfallback = true\ncalendar = "24x7"\ntimezone = "Asia/Shanghia"\n'
        'resolve = "2h"\n')


def test_a_missing_file_or_library_is_one_line(tmp_path):
    with pytest.raises(PolicyError, match="no such policy file"):
        load_policies(tmp_path / "nothing.toml")
    message = error('[policies.a]\nfallback = true\nresolve = "2h"\n',
                    head='[calendars]\nlibrary = "missing.flow"\n')
    assert message.startswith("sla.toml: [calendars] library: no such flow library")
    assert "not valid TOML" in error("[policies.a\n")
