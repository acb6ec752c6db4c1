"""AST -> IR: deterministic, plain JSON, versioned, with every option resolved.

Also the registry test (STYLE practice 2): the statement keywords of the
grammar, the keys of ivrlang.actions.ACTIONS and the op names in compiled IR
are one and the same set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from conftest import DATA, REPO, make_catalog

from ivrlang import IR_VERSION, check_file, check_text, compile_flow
from ivrlang.actions import ACTIONS, MENU
from ivrlang.catalog import Catalog
from ivrlang.options import STATEMENT_WORDS
from ivrlang.parser import _lark, keywords

EVERY = DATA / "good" / "every_statement.flow"
GOOD = sorted((DATA / "good").glob("*.flow"))


def compiled(path=EVERY) -> dict:
    checked = check_file(path, make_catalog())
    assert checked.ok, checked.diagnostics
    return compile_flow(checked.flow, make_catalog())


def all_ops(ir: dict) -> Iterator[dict]:
    """Every op of every node, including those nested in branches and handlers."""

    def walk(ops):
        for op in ops or ():
            yield op
            for branch in op.get("branches", ()):
                yield from walk(branch["ops"])
            for handler in op.get("on", {}).values():
                yield from walk(handler["ops"])

    for node in ir["nodes"].values():
        yield from walk(node.get("ops"))
        for ops in node.get("keys", {}).values():
            yield from walk(ops)
        for event in MENU.handlers:
            yield from walk(node.get(event))


def ops_named(ir: dict, name: str) -> list[dict]:
    return [op for op in all_ops(ir) if op["op"] == name]


# ---------------------------------------------------------------- determinism and shape


@pytest.mark.parametrize("path", GOOD, ids=[p.name for p in GOOD])
def test_compile_is_deterministic(path):
    checked = check_file(path, make_catalog())
    first = json.dumps(compile_flow(checked.flow, make_catalog()), ensure_ascii=False)
    again = json.dumps(compile_flow(checked.flow, make_catalog()), ensure_ascii=False)
    assert first == again
    other = check_file(path, make_catalog())
    assert json.dumps(compile_flow(other.flow, make_catalog()), ensure_ascii=False) == first


def test_compile_from_text_equals_compile_from_file():
    from_file = compiled()
    checked = check_text(EVERY.read_text(encoding="utf-8"), str(EVERY), make_catalog())
    assert compile_flow(checked.flow, make_catalog()) == from_file


def test_compile_does_not_depend_on_hash_seed():
    """Sets in the IR would reorder between processes; the IR must not."""
    code = (
        "import json, sys; sys.path.insert(0, 'tests');"
        "from conftest import make_catalog; from ivrlang import check_file, compile_flow;"
        f"c = check_file({str(EVERY.relative_to(REPO))!r}, make_catalog());"
        "print(json.dumps(compile_flow(c.flow, make_catalog()), ensure_ascii=False))"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                             capture_output=True, text=True, check=True)
        outputs.add(run.stdout)
    assert len(outputs) == 1


@pytest.mark.parametrize("path", GOOD, ids=[p.name for p in GOOD])
def test_ir_is_plain_json_with_a_version(path):
    ir = compiled(path)
    assert ir["ir_version"] == IR_VERSION
    assert isinstance(IR_VERSION, int) and IR_VERSION >= 1
    assert json.loads(json.dumps(ir)) == ir, "IR holds non-JSON values (tuples, sets, objects)"


def test_header():
    ir = compiled()
    assert ir["flow"] == "every_statement"
    assert ir["title"] == "燃气客服热线"
    assert (ir["lang"], ir["timezone"]) == ("zh-CN", "Asia/Shanghai")
    assert ir["numbers"] == ["95158"]
    assert ir["entry"] == "start"
    assert ir["vars"] == {"duty_phone": {"lit": "8009"}}
    assert ir["settings"]["record_calls"] is True
    assert ir["settings"]["max_call_time"] == 3_600_000
    assert ir["settings"]["max_steps"] == 1000


def test_calendar_hours_are_minutes_per_weekday():
    office = compiled()["calendars"]["office"]
    assert office["hours"]["mon"] == [[480, 1200]]
    assert office["hours"]["sun"] == [[540, 1020]]
    assert office["holidays"] == [["2026-10-01", "2026-10-07"]]


def test_calendar_argument_compiles_to_its_name():
    cond = ops_named(compiled(), "if")[1]["branches"][0]["cond"]
    assert cond == {"not": {"call": "open", "args": [{"lit": "office"}], "kwargs": {}}}


def test_collect_defaults_are_filled():
    account, pin = ops_named(compiled(), "collect")
    assert account["var"] == "account"
    assert account["digits"] == [8, 10]
    assert account["tries"] == 3
    assert account["timeout"] == 5000
    assert account["interdigit"] == 3000
    assert account["terminator"] == "#"
    assert account["secret"] is False
    assert pin["digits"] == [6, 6]
    assert pin["secret"] is True


def test_durations_are_milliseconds():
    ir = compiled()
    assert ir["nodes"]["main"]["timeout"] == 5000
    queue = ops_named(ir, "queue")[0]
    assert queue["on"]["timeout"]["arg"] == 45_000
    assert ops_named(ir, "transfer")[0]["timeout"] == 30_000
    record = ops_named(ir, "record")[0]
    assert (record["max"], record["silence"]) == (120_000, 5000)
    assert ir["campaigns"]["dunning"]["retry"]["every_ms"] == 7_200_000


def test_arrow_compiles_to_goto():
    ir = compiled()
    assert ir["nodes"]["main"]["keys"]["1"] == [{"op": "goto", "line": 24, "node": "self_service"}]
    fail = ops_named(ir, "collect")[0]["on"]["fail"]
    assert fail == {"arg": None, "ops": [{"op": "goto", "line": 40, "node": "agent"}]}


def test_inline_handler_keeps_its_statements_in_order():
    notfound = ops_named(compiled(), "lookup")[0]["on"]["notfound"]["ops"]
    assert [op["op"] for op in notfound] == ["play", "goto"]


def test_menu_keys_and_events():
    menu = compiled()["nodes"]["main"]
    assert menu["kind"] == "menu"
    assert list(menu["keys"]) == ["1", "2", "3", "4", "*", "0"]
    assert (menu["prompt"], menu["tries"], menu["digits"]) == ("main_menu", 3, 1)
    assert menu["nomatch"][0] == {"op": "play", "line": 30, "prompt": "invalid_choice",
                                  "bargein": False}
    assert menu["exhausted"][0]["op"] == "goto"


def test_menu_defaults():
    ir = compiled(DATA / "good" / "english_menu.flow")
    menu = ir["nodes"]["start"]
    assert menu["timeout"] == 4000
    assert (menu["interdigit"], menu["tries"], menu["digits"]) == (2000, 2, 2)
    assert set(menu["keys"]) == {"1", "2", "30", "*"}


def test_campaign():
    camp = compiled()["campaigns"]["dunning"]
    assert camp["rate"] == {"count": 5, "per_ms": 1000}
    assert camp["concurrency"] == 30
    assert camp["window"] == {"hours": {d: [[540, 1200]]
                                        for d in ("mon", "tue", "wed", "thu", "fri", "sat")}}
    assert camp["retry"] == {"tries": 3, "every_ms": 7_200_000, "on": ["busy", "noanswer"]}
    assert camp["targets"] == {"source": "overdue", "args": [],
                               "kwargs": {"days": {"lit": 30}, "below": {"lit": 5000}}}
    assert camp["on"] == {"answer": "dunning_call"}
    assert camp["caller_id"] == "95158"


def test_campaign_only_flow_has_no_entry_and_a_calendar_window():
    ir = compiled(DATA / "good" / "campaign_only.flow")
    assert ir["entry"] is None
    camp = ir["campaigns"]["dunning"]
    assert camp["window"] == {"calendar": "calling"}
    assert camp["rate"] == {"count": 30, "per_ms": 60_000}
    assert camp["retry"]["every_ms"] == 5_400_000
    assert ir["calendars"]["calling"]["hours"]["mon"] == [[540, 720], [840, 1200]]
    assert ir["calendars"]["calling"]["hours"].get("sun", []) == []


def test_other_ops():
    ir = compiled()
    assert ops_named(ir, "hangup")[0]["cause"] == "NORMAL_CLEARING"
    leak = ops_named(ir, "ticket")[0]
    assert (leak["type"], leak["var"], leak["severity"]) == ("leak_report", "t", 1)
    assert leak["fields"] == {"address": {"lit": "unknown"}, "callback": {"var": "callback_no"}}
    assert [op["op"] for op in leak["on"]["error"]["ops"]] == ["log"]
    fax = ops_named(ir, "fax")[0]
    assert (fax["document"], fax["retries"], fax["to"]) == ("price_list", 3, None)
    assert ops_named(ir, "call")[0]["node"] == "callback"
    assert ops_named(ir, "queue")[0]["priority"] == 100
    assert ir["nodes"]["callback"]["kind"] == "sub"


def test_say_text_is_a_format_list():
    say = ops_named(compiled(), "say")[0]
    parts = say["text"]["fmt"]
    assert parts[0] == "您本月用气"
    assert parts[1] == {"expr": {"get": [{"var": "c"}, "month_usage"]},
                        "filters": [["number", []]]}


def test_say_sentences_per_language_are_compiled_by_language():
    say = ops_named(compiled(), "say")[0]
    assert set(say["texts"]) == {"en-US"}
    parts = say["texts"]["en-US"]["fmt"]
    assert parts[0] == "You used "
    assert parts[1] == {"expr": {"get": [{"var": "c"}, "month_usage"]},
                        "filters": [["number", []]]}


def test_a_flow_without_lang_is_in_the_installation_default():
    text = "flow plain\n\nstep start:\n  say \"Goodbye\"\n  hangup\n"
    checked = check_text(text, "plain.flow", Catalog(default_lang="en-US"))
    assert checked.ok, checked.diagnostics
    assert compile_flow(checked.flow, Catalog(default_lang="en-US"))["lang"] == "en-US"
    assert compile_flow(checked.flow)["lang"] == "zh-CN"


def test_tests_are_compiled():
    (test,) = compiled()["tests"]
    assert test["name"] == "balance lookup"
    kinds = [s["kind"] for s in test["steps"]]
    assert kinds == ["caller", "at", "given", "given", "expect", "press", "press", "press",
                     "expect"]
    assert test["steps"][-1] == {"kind": "expect", "line": 125, "what": "say",
                                 "value": "本月用气32立方米", "contains": True}


def test_every_op_has_a_line():
    for op in all_ops(compiled()):
        assert isinstance(op["line"], int) and op["line"] > 0, op


# ---------------------------------------------------------------- one registry


def grammar_statement_keywords() -> set[str]:
    """Keywords that start a statement, read from the grammar's own rules."""
    lark = _lark()
    rules = lark.rules
    stmt_rules = {sym.name for r in rules if r.origin.name in ("simple_stmt", "stmt")
                  for sym in r.expansion[:1] if not sym.is_term}
    stmt_rules -= {"simple_stmts"}
    words = set()
    for r in rules:
        if r.origin.name in stmt_rules and r.expansion and r.expansion[0].is_term:
            words.add(lark.get_terminal(r.expansion[0].name).pattern.value)
    return words


def test_grammar_statement_keywords_are_keywords():
    words = grammar_statement_keywords()
    assert len(words) >= 15
    assert words <= keywords()
    assert keywords() & STATEMENT_WORDS == words


def test_one_registry_grammar_actions_ir():
    grammar = grammar_statement_keywords()
    registry = set(ACTIONS)
    ir_ops = {op["op"] for op in all_ops(compiled())}
    assert grammar == registry, (f"grammar only: {sorted(grammar - registry)}, "
                                 f"actions only: {sorted(registry - grammar)}")
    assert ir_ops == registry, (f"never compiled: {sorted(registry - ir_ops)}, "
                                f"unknown ops: {sorted(ir_ops - registry)}")
