"""`goto flow`, transfer targets and `expect flow`: what a flow author writes and is told."""

from __future__ import annotations

import pytest
from conftest import make_catalog

from ivrlang import check_text, compile_flow
from ivrlang.fmt import format_flow
from ivrlang.graph import to_mermaid
from ivrlang.parser import parse_text
from ivrlang.targets import target_problem

HANDOVER = """\
flow handover
  number "1000"

step start:
  answer
  goto main

menu main:
  prompt main_menu
  1 -> leak
  2 -> desk
  3 -> partner
  4 -> mobile
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted -> leak

step leak:
  goto flow emergency

step desk:
  transfer extension "1001": timeout 20s
    on fail -> leak

step partner:
  transfer sip "sip:duty@pbx.example.com:5060"
    on fail -> leak

step mobile:
  transfer "13900000009"
    on fail -> leak

test "leak key":
  press 1
  expect flow emergency
"""


def problems(text: str) -> list[str]:
    checked = check_text(text, "t.flow", make_catalog())
    return [f"{d.code} {d.message}" for d in checked.diagnostics]


def test_handing_over_checks_clean_and_compiles_to_flow_and_target_kinds():
    checked = check_text(HANDOVER, "t.flow", make_catalog())
    assert checked.diagnostics == []
    ir = compile_flow(checked.flow, make_catalog())
    assert ir["nodes"]["leak"]["ops"] == [{"op": "goto", "line": 19, "flow": "emergency"}]
    desk, partner, mobile = (ir["nodes"][n]["ops"][0] for n in ("desk", "partner", "mobile"))
    assert (desk["kind"], desk["dest"], desk["timeout"]) == ("extension", {"lit": "1001"}, 20_000)
    assert partner["kind"] == "sip" and mobile["kind"] == "number"
    assert ir["tests"][0]["steps"][-1]["what"] == "flow"


def test_the_formatter_keeps_goto_flow_and_target_kinds():
    parsed = parse_text(HANDOVER, "t.flow")
    out = format_flow(parsed.flow, HANDOVER)
    assert "  goto flow emergency\n" in out
    assert '  transfer extension "1001": timeout 20s\n' in out
    assert '  transfer sip "sip:duty@pbx.example.com:5060"\n' in out
    assert out == format_flow(parse_text(out, "t.flow").flow, out)


def test_the_graph_shows_the_hand_over_as_an_end():
    assert "flow emergency" in to_mermaid(parse_text(HANDOVER, "t.flow").flow)


def test_an_unknown_flow_is_named_with_a_suggestion():
    assert problems(HANDOVER.replace("goto flow emergency", "goto flow emergncy")
                    .replace("expect flow emergency", "expect flow emergncy")) == [
        "E121 unknown flow `emergncy`",
        "E601 test expects unknown flow `emergncy`"]


def test_a_variable_named_like_a_target_kind_is_still_a_variable():
    text = ('flow t\n\nstep start:\n  set extension_no = "1001"\n  transfer extension_no\n'
            '    on fail: hangup\n')
    ir = compile_flow(check_text(text, "t.flow", make_catalog()).flow, make_catalog())
    transfer = ir["nodes"]["start"]["ops"][1]
    assert (transfer["kind"], transfer["dest"]) == ("number", {"var": "extension_no"})


@pytest.mark.parametrize(("statement", "message"), [
    ('transfer "110 112"', "E202 `transfer`: '110 112' contains a space"),
    ('transfer "1-800"', "E202 `transfer`: '1-800' is not a phone number: digits only, "
                         "optionally starting with +"),
    ('transfer extension "10,01"', "E202 `transfer`: '10,01' contains `,`"),
    ('transfer extension "1001|1002"', "E202 `transfer`: '1001|1002' contains `|`"),
    ('transfer sip "duty@pbx&park()"', "E202 `transfer`: 'duty@pbx&park()' contains `&`"),
    ('transfer sip "${sip_from_user}@pbx"',
     "E202 `transfer`: '${sip_from_user}@pbx' contains `${`"),
    ('transfer sip "pbx.example.com"', "E202 `transfer`: 'pbx.example.com' is not a SIP "
                                       "address: user@host, such as sip:duty@pbx.example.com"),
])
def test_a_quoted_target_that_freeswitch_would_misread_is_refused(statement, message):
    assert problems(f"flow t\n\nstep start:\n  {statement}\n    on fail: hangup\n") == [message]


def test_the_same_rules_refuse_a_computed_target():
    assert target_problem("sip", "duty@pbx.example.com") is None
    assert target_problem("extension", "1001") is None
    assert target_problem("number", "+8613900000009") is None
    assert target_problem("number", "110\nbgapi originate") == \
        "'110\\nbgapi originate' contains a line break"
