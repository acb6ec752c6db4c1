"""The formatter: one canonical layout, the same tree, every comment kept.

- rich.flow uses every construct of grammar.lark with comments everywhere;
  it must format to text that parses to the same tree and formats to itself;
- messy.flow (odd spacing, 4- and 8-space blocks, `a; b`, extra blank lines,
  redundant parentheses) must format to messy.expected.flow byte for byte;
- the shipped flows and the good test flows round-trip too;
- a property test sprinkles comments, blank lines and deeper indentation
  over valid flows and random expressions and checks the same promises.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivrlang import ast as A
from ivrlang import flowgraph as FG
from ivrlang.diagnostics import Span
from ivrlang.fmt import format_expr, format_flow
from ivrlang.parser import parse_text

REPO = Path(__file__).resolve().parent.parent
FMT_DATA = REPO / "tests" / "data" / "fmt"
HEADER_ORDER = {"title": 0, "lang": 1, "timezone": 2}


# ---------------------------------------------------------------- helpers


def parse_ok(text: str, name: str = "t.flow") -> A.Flow:
    result = parse_text(text, name)
    assert result.flow is not None and not result.diagnostics, result.diagnostics
    return result.flow


def fmt(text: str) -> str:
    return format_flow(parse_ok(text), text)


def shape(obj):
    """The tree without positions, file name and comments, for comparison."""
    if isinstance(obj, Span):
        return None
    if dataclasses.is_dataclass(obj):
        skip = {"comments", "file"}
        if isinstance(obj, A.Literal) and obj.kind == "text":
            skip.add("raw")  # the source spelling; strings are re-escaped from their value
        return (type(obj).__name__, {
            f.name: shape(getattr(obj, f.name)) for f in dataclasses.fields(obj)
            if f.name not in skip and not f.name.endswith("span")})
    if isinstance(obj, list | tuple):
        return [shape(x) for x in obj]
    return obj


def canonical_shape(flow: A.Flow):
    """The formatter lists header lines in canonical order; nothing else moves."""
    flow.header.sort(key=lambda h: HEADER_ORDER.get(h.key, 9))
    return shape(flow)


def comment_set(flow: A.Flow, own_line: bool = False) -> Counter:
    return Counter((c.text, c.own_line if own_line else None) for c in flow.comments)


def assert_round_trip(text: str, name: str = "t.flow") -> str:
    """Format, re-parse, compare; format again, compare. Returns the formatted text."""
    before = parse_ok(text, name)
    out = format_flow(before, text)
    after = parse_ok(out, name)
    assert canonical_shape(after) == canonical_shape(before)
    assert comment_set(after) == comment_set(before)
    assert format_flow(after, out) == out, "formatting is not idempotent"
    return out


# ---------------------------------------------------------------- the sample files


def test_rich_sample_round_trips_and_is_idempotent():
    text = (FMT_DATA / "rich.flow").read_text(encoding="utf-8")
    assert_round_trip(text, "rich.flow")


def test_rich_sample_keeps_every_comment_in_order():
    text = (FMT_DATA / "rich.flow").read_text(encoding="utf-8")
    before = parse_ok(text)
    after = parse_ok(fmt(text))
    assert comment_set(after, own_line=True) == comment_set(before, own_line=True)
    assert len(after.comments) == len(before.comments) > 10
    # only header lines are reordered; their comments move with them
    moved = {"# settings come last in canonical order, but this comment stays with its line",
             "# trailing on a setting"}
    assert ([c.text for c in after.comments if c.text not in moved]
            == [c.text for c in before.comments if c.text not in moved])


def test_rich_sample_covers_the_grammar():
    text = (FMT_DATA / "rich.flow").read_text(encoding="utf-8")
    flow = parse_ok(text)
    stmts = []
    for node in flow.nodes:
        for _, part in FG.node_bodies(node):
            stmts.extend(FG.walk(part.stmts if isinstance(part, A.Body) else part))
    keywords = {type(s).keyword for s in stmts}
    assert keywords >= {"answer", "play", "say", "collect", "set", "lookup", "goto", "queue",
                        "transfer", "record", "ticket", "fax", "hangup", "call", "return",
                        "log", "if"}
    assert {n.kind for n in flow.nodes} == {"step", "menu", "sub"}
    assert {s.kind for t in flow.tests for s in t.steps} == {
        "caller", "at", "start", "set", "given", "press", "silence", "hangup", "expect", "lang",
        "strict"}
    assert any(isinstance(s, A.Say) and s.texts for s in stmts)  # `en-US: "…"` under a say
    assert {s.outcome for t in flow.tests for s in t.steps if s.kind == "given"} == {
        "returns", "fails", "notfound", "timeout"}
    assert flow.calendars and flow.numbers and flow.consts and flow.settings
    assert {c.own_line for c in flow.comments} == {True, False}


def test_messy_input_formats_to_the_golden_file():
    text = (FMT_DATA / "messy.flow").read_text(encoding="utf-8")
    expected = (FMT_DATA / "messy.expected.flow").read_text(encoding="utf-8")
    assert fmt(text) == expected
    assert_round_trip(text, "messy.flow")


def test_golden_file_is_a_fixed_point():
    expected = (FMT_DATA / "messy.expected.flow").read_text(encoding="utf-8")
    assert fmt(expected) == expected


def _flow_files() -> list[Path]:
    return sorted((REPO / "flows").glob("*.flow")) + sorted((REPO / "tests" / "data" / "good")
                                                             .glob("*.flow"))


@pytest.mark.parametrize("path", _flow_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_flow_files_round_trip(path: Path):
    text = path.read_text(encoding="utf-8")
    result = parse_text(text, str(path))
    if result.flow is None or result.diagnostics:
        pytest.skip(f"{path.name} does not parse yet")
    assert_round_trip(text, str(path))


def test_shipped_flows_exist_or_skip():
    if not sorted((REPO / "flows").glob("*.flow")):
        pytest.skip("no shipped flows yet")


# ---------------------------------------------------------------- layout rules


HEADER_IN = """\
flow h
  record_calls
  set limit = 3
  holidays office: 2026-10-01
  hours office: mon-fri 08:00-20:00
  number "95007"
  timezone Asia/Shanghai
  lang zh-CN
  title "热线"

step start:
  hangup
"""

HEADER_OUT = """\
flow h
  title "热线"
  lang zh-CN
  timezone Asia/Shanghai
  number "95007"
  hours office: mon-fri 08:00-20:00
  holidays office: 2026-10-01
  set limit = 3
  record_calls

step start:
  hangup
"""


def test_header_in_canonical_order():
    assert fmt(HEADER_IN) == HEADER_OUT


def test_holiday_only_calendar_keeps_calendar_order():
    text = ("flow h\n  holidays spring: 2026-02-17..2026-02-23\n"
            "  hours office: daily 08:00-20:00\n\nstep start:\n  hangup\n")
    out = assert_round_trip(text)
    assert [c.name for c in parse_ok(out).calendars] == ["spring", "office"]


@pytest.mark.parametrize(("src", "want"), [
    # spacing, blank lines and 4-space blocks
    ("flow  f\nstep   start :\n\n\n    play   a\n\n\n\n    hangup\n",
     "flow f\n\nstep start:\n  play a\n\n  hangup\n"),
    # `a; b` on a statement line: one statement per line
    ("flow f\nstep start:\n  play a;play b\n", "flow f\n\nstep start:\n  play a\n  play b\n"),
    # options joined with `, `
    ("flow f\nstep start:\n  collect x :digits 4,prompt p,secret\n    on fail->start\n",
     "flow f\n\nstep start:\n  collect x: digits 4, prompt p, secret\n    on fail -> start\n"),
    # option lines keep their grouping and come before handlers
    ("flow f\nstep start:\n  queue q\n    on timeout 30s -> start\n    priority 5,  skill s\n",
     "flow f\n\nstep start:\n  queue q\n    priority 5, skill s\n    on timeout 30s -> start\n"),
    # handler forms kept: arrow, inline, block (even with a single statement)
    ("flow f\nstep start:\n  transfer \"1\"\n    on fail:\n      hangup\n",
     "flow f\n\nstep start:\n  transfer \"1\"\n    on fail:\n      hangup\n"),
    ("flow f\nstep start:\n  transfer \"1\"\n    on fail:   play a ;hangup\n",
     "flow f\n\nstep start:\n  transfer \"1\"\n    on fail: play a; hangup\n"),
    # if/elif/else, inline and block bodies as written
    ("flow f\nstep start:\n  if a :play x\n  elif b:\n      play y\n  else:  hangup\n  hangup\n",
     "flow f\n\nstep start:\n  if a: play x\n  elif b:\n    play y\n  else: hangup\n  hangup\n"),
    # menu: options, keys (quoted only when not plain digits), events
    ("flow f\nmenu start:\n  \"1\" -> start\n  \"*\"->start\n  \"#\": hangup\n"
     "  \"1a\" -> start\n  prompt p\n  noinput:\n    hangup\n",
     "flow f\n\nmenu start:\n  prompt p\n  1 -> start\n  \"*\" -> start\n  \"#\": hangup\n"
     "  \"1a\" -> start\n  noinput:\n    hangup\n"),
    # campaigns in canonical line order; retry durations canonical
    ("flow f\ncampaign c:\n  on answer -> s\n  retry 2 every 120m on busy,noanswer\n"
     "  rate 5 / s\n  targets t( days:30 )\n\nstep s:\n  hangup\n",
     "flow f\n\ncampaign c:\n  targets t(days: 30)\n  rate 5/s\n"
     "  retry 2 every 2h on busy, noanswer\n  on answer -> s\n\nstep s:\n  hangup\n"),
    # test steps
    ("flow f\nstep start:\n  hangup\ntest   \"t\":\n  press \"1\"\n  press 1234\n"
     "  expect play \"welcome\"\n  expect say ~ \"x\"\n  expect node 5\n"
     "  given q  general   timeout\n  set x=1\n",
     "flow f\n\nstep start:\n  hangup\n\ntest \"t\":\n  press 1\n  press \"1234\"\n"
     "  expect play welcome\n  expect say ~\"x\"\n  expect node 5\n"
     "  given q general timeout\n  set x = 1\n"),
])
def test_layout(src: str, want: str):
    assert fmt(src) == want
    assert_round_trip(src)


def test_top_level_blocks_keep_source_order():
    text = ("flow f\ncampaign c:\n  on answer -> s\n\ntest \"t\":\n  silence\n\n"
            "step s:\n  hangup\n")
    out = assert_round_trip(text)
    assert [line.split()[0] for line in out.splitlines() if line and not line[0].isspace()] == [
        "flow", "campaign", "test", "step"]


# ---------------------------------------------------------------- expressions, strings, values


def expr_of(text: str) -> A.Expr:
    return parse_ok(f"flow f\n  set x = {text}\n").consts[0].value


@pytest.mark.parametrize(("src", "want"), [
    ("((1+2))*3", "(1 + 2) * 3"),
    ("a+(b+c)", "a + (b + c)"),
    ("(a+b)+c", "a + b + c"),
    ("a-(b-c)", "a - (b - c)"),
    ("(a*b)%c", "a * b % c"),
    ("a*(b%c)", "a * (b % c)"),
    ("-(a+1)", "-(a + 1)"),
    ("-(-a)", "- -a"),
    ("(-a)*b", "-a * b"),
    ("-(a*b)", "-(a * b)"),
    ("not(a==b)", "not a == b"),
    ("(not a)==b", "(not a) == b"),
    ("not (a or b)", "not (a or b)"),
    ("(a or b) and c", "(a or b) and c"),
    ("a or (b and c)", "a or b and c"),
    ("(a or b) or c", "a or b or c"),
    ("a or (b or c)", "a or (b or c)"),
    ("(a<b)==(c>=d)", "(a < b) == (c >= d)"),
    ("x not in [1,2]", "x not in [1, 2]"),
    ("(a+b).c", "(a + b).c"),
    ("((a.b)).c", "a.b.c"),
    ("f(a,k:1).x", "f(a, k: 1).x"),
    ("-c.x", "-c.x"),
    ("{a:1,\"b c\":2,\"on\":none}", "{a: 1, \"b c\": 2, \"on\": none}"),
    ("[ ]", "[]"),
    ("1.50", "1.50"),
    ("90s", "90s"),
    ("1m30s", "1m30s"),
    ("true and false", "true and false"),
])
def test_expressions_use_minimal_parentheses(src: str, want: str):
    e = expr_of(src)
    assert format_expr(e) == want
    assert shape(expr_of(want)) == shape(e)


def test_strings_are_re_escaped():
    text = 'flow f\n  title "a \\"b\\" \\\\ c\\td"\n  set s = "x\\ny\\q"\n\nstep start:\n  hangup\n'
    out = assert_round_trip(text)
    assert '  title "a \\"b\\" \\\\ c\\td"\n' in out
    assert '  set s = "x\\nyq"\n' in out  # an unknown escape `\q` is just `q`


def test_templates_keep_their_spelling():
    line = '  say "应缴{c.amount_due|money}元，{{不是}}插值 \\"{n|digits}\\""\n'
    text = "flow f\nstep start:\n" + line + "  hangup\n"
    assert line in assert_round_trip(text)


def test_bad_duration_is_printed_as_written():
    flow = parse_text("flow f\nstep start:\n  play a: timeout 5sec\n  hangup\n").flow
    out = format_flow(flow, "")
    assert "play a: timeout 5sec" in out
    text = "flow f\ncampaign c:\n  retry 3 every 2hours on busy\n  on answer -> s\n"
    result = parse_text(text)
    assert result.diagnostics  # `2hours` is not a duration, but the text survives
    assert "  retry 3 every 2hours on busy\n" in format_flow(result.flow, text)


# ---------------------------------------------------------------- comments


def test_comments_own_line_trailing_header_and_eof():
    text = """\
# file comment
flow f  # on the flow line
  # before lang
  lang en  # after lang
  title "t"

# before the step
step start:  # on the step line
  # before play
  play a  # after play
  if x:  # on the if line
    play b
  # before else
  else: play c  # after else
  queue q
    # before the handler
    on timeout 5s:  # on the handler line
      hangup
# before the menu
menu m:
  prompt p  # prompt
  1 -> start  # key one
  # before nomatch
  nomatch: hangup
  # at the end of the menu, indented

test "t":
  silence  # nothing pressed
    # end of file, deep
# end of file, column 1
"""
    out = assert_round_trip(text)
    assert out == """\
# file comment
flow f  # on the flow line
  title "t"
  # before lang
  lang en  # after lang

# before the step
step start:  # on the step line
  # before play
  play a  # after play
  if x:  # on the if line
    play b
  # before else
  else: play c  # after else
  queue q
    # before the handler
    on timeout 5s:  # on the handler line
      hangup

# before the menu
menu m:
  prompt p  # prompt
  1 -> start  # key one
  # before nomatch
  nomatch: hangup

# at the end of the menu, indented

test "t":
  silence  # nothing pressed
  # end of file, deep
# end of file, column 1
"""


def test_hash_inside_strings_is_not_a_comment():
    text = 'flow f\nstep start:\n  collect x: digits 4, prompt p, terminator "#"  # real\n'
    out = assert_round_trip(text)
    assert out.endswith('terminator "#"  # real\n')
    assert [c.text for c in parse_ok(out).comments] == ["# real"]


def test_comment_of_a_merged_line_is_kept_next_to_it():
    text = 'flow f\n  number "1"  # one\n  number "2"  # two\n\nstep start:\n  hangup\n'
    out = assert_round_trip(text)
    assert '  # two\n  number "1", "2"  # one\n' in out


# ---------------------------------------------------------------- properties

FAST = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
SAMPLES = {p.name: p.read_text(encoding="utf-8") for p in _flow_files()
           if not parse_text(p.read_text(encoding="utf-8")).diagnostics}
SAMPLES["rich.flow"] = (FMT_DATA / "rich.flow").read_text(encoding="utf-8")


def _sprinkle(text: str, seed: int) -> str:
    """The same flow with comments, blank lines and doubled indentation added."""
    rnd = random.Random(seed)
    deeper = rnd.random() < 0.5
    out = []
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        if deeper:
            line = " " * (indent * 2) + line.lstrip(" ")
        roll = rnd.random()
        if roll < 0.15:
            out.append(" " * rnd.randrange(0, 9) + f"# note {len(out)}")
        elif roll < 0.25:
            out.append(" " * rnd.randrange(0, 5))
        if line.strip() and "#" not in line and rnd.random() < 0.2:
            line += f"   # tail {len(out)}"
        out.append(line)
    return "\n".join(out)


@FAST
@given(name=st.sampled_from(sorted(SAMPLES)), seed=st.integers(0, 2**32 - 1))
def test_property_comments_and_blank_lines_anywhere(name: str, seed: int):
    assert_round_trip(_sprinkle(SAMPLES[name], seed), name)


NAMES = st.sampled_from(["a", "b", "c_1", "account", "x"])
_SPAN = Span("<gen>", 1, 1)


def _lit_number(n: int) -> A.Literal:
    return A.Literal(_SPAN, n, "number", str(n))


LEAVES = st.one_of(
    NAMES.map(lambda n: A.Var(_SPAN, n)),
    st.integers(0, 999).map(_lit_number),
    st.sampled_from(["", "x", "燃气", 'q"q', "b\\s", "n\nl"]).map(
        lambda s: A.Literal(_SPAN, s, "text")),
    st.sampled_from([("5s", 5000), ("1m30s", 90000), ("200ms", 200)]).map(
        lambda d: A.Literal(_SPAN, d[1], "duration", d[0])),
    st.sampled_from([True, False]).map(lambda b: A.Literal(_SPAN, b, "bool", str(b).lower())),
    st.just(A.Literal(_SPAN, None, "none", "none")),
)
BINARY_OPS = ["or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in",
              "+", "-", "*", "/", "%"]


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(BINARY_OPS), children, children).map(
            lambda t: A.Binary(_SPAN, t[0], t[1], t[2])),
        st.tuples(st.sampled_from(["not", "-"]), children).map(
            lambda t: A.Unary(_SPAN, t[0], t[1])),
        st.tuples(children, NAMES).map(lambda t: A.FieldGet(_SPAN, t[0], t[1])),
        st.tuples(NAMES, st.lists(children, max_size=2)).map(
            lambda t: A.Call(_SPAN, t[0], t[1], [])),
        st.lists(children, max_size=3).map(lambda xs: A.ListExpr(_SPAN, xs)),
        st.lists(st.tuples(st.sampled_from(["k", "on", "a b"]), children), max_size=2).map(
            lambda xs: A.RecordExpr(_SPAN, xs)),
    )


EXPRS = st.recursive(LEAVES, _extend, max_leaves=12)


@settings(max_examples=300, deadline=None, database=None)
@given(EXPRS)
def test_property_expressions_print_back_to_the_same_tree(expr: A.Expr):
    text = format_expr(expr)
    assert shape(expr_of(text)) == shape(expr), text
