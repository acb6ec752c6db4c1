"""Mutated flows never crash the checker.

Valid flows (tests/data/good/ and the shipped flows/) are mutated line- and
character-wise; `check_text` must always return a list of well-formed
Diagnostics, and mutations that certainly break the syntax must produce an
error from the reading/parsing range (E0xx).
"""

from __future__ import annotations

import re

from conftest import DATA, REPO, make_catalog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivrlang import check_text
from ivrlang.codes import CODES
from ivrlang.diagnostics import Diagnostic, render_concise, render_full

SOURCES: dict[str, str] = {
    p.name: p.read_text(encoding="utf-8")
    for p in sorted((DATA / "good").glob("*.flow")) + sorted((REPO / "flows").glob("*.flow"))
}
NAMES = sorted(SOURCES)
CATALOG = make_catalog()

FAST = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# characters worth inserting: syntax, indentation, quotes, braces, CJK, control
CHARS = list(':;,"{}()[]|#-> \t\n\r.=~*/%+0123456789aZ_燃\u3000\x00\x01\ufeff\\')


def check(text: str, name: str = "mutant.flow") -> list[Diagnostic]:
    checked = check_text(text, name, CATALOG)
    assert isinstance(checked.diagnostics, list)
    lines = checked.source.lines if checked.source else None
    for d in checked.diagnostics:
        assert isinstance(d, Diagnostic)
        assert d.code in CODES, d
        assert d.span.file == name
        assert d.span.line >= 1 and d.span.col >= 1, d
        render_concise(d)
        render_full(d, lines)
    return checked.diagnostics


def test_sources_are_present():
    assert len(SOURCES) >= 3


def test_good_sources_are_clean():
    for p in sorted((DATA / "good").glob("*.flow")):
        assert check(SOURCES[p.name]) == [], p.name


# ---------------------------------------------------------------- mutations


@st.composite
def mutated(draw) -> tuple[str, str]:
    """(description, text) for a source flow after one to three mutations."""
    name = draw(st.sampled_from(NAMES))
    text = SOURCES[name]
    done = [name]
    for _ in range(draw(st.integers(1, 3))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["delete_line", "duplicate_line", "swap_lines",
                                     "delete_char", "insert_char", "replace_char",
                                     "truncate"]))
        i = draw(st.integers(0, len(lines) - 1))
        pos = draw(st.integers(0, max(len(text) - 1, 0)))
        if kind == "delete_line":
            del lines[i]
            text = "\n".join(lines)
        elif kind == "duplicate_line":
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif kind == "swap_lines":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif kind == "delete_char":
            text = text[:pos] + text[pos + 1:]
        elif kind == "insert_char":
            text = text[:pos] + draw(st.sampled_from(CHARS)) + text[pos:]
        elif kind == "replace_char":
            text = text[:pos] + draw(st.sampled_from(CHARS)) + text[pos + 1:]
        else:
            text = text[:pos]
        done.append(f"{kind}@{i if 'line' in kind else pos}")
    return " ".join(done), text


@FAST
@given(mutated())
def test_mutated_flows_never_crash(case):
    _, text = case
    check(text)


@FAST
@given(st.sampled_from(NAMES), st.text(min_size=1, max_size=20), st.data())
def test_random_text_spliced_in(name, junk, data):
    text = SOURCES[name]
    pos = data.draw(st.integers(0, len(text)))
    check(text[:pos] + junk + text[pos:])


# ---------------------------------------------------------------- mutations that break syntax


def _lines_matching(pattern: str) -> list[tuple[str, int]]:
    rx = re.compile(pattern)
    return [(name, n) for name in NAMES for n, line in enumerate(SOURCES[name].split("\n"))
            if rx.search(line)]


NODE_HEADERS = _lines_matching(r"^(step|menu|sub|campaign|test) .+:\s*(#.*)?$")
ARROW_KEYS = _lines_matching(r"^\s+(\d+|\"[^\"]*\") -> \w+\s*(#.*)?$")
SAY_LINES = _lines_matching(r'^\s+say "[^"]*"\s*$')


def _syntax_errors(text: str) -> list[str]:
    return [d.code for d in check(text) if d.code.startswith("E0")]


def _edit_line(name: str, n: int, edit) -> str:
    lines = SOURCES[name].split("\n")
    lines[n] = edit(lines[n])
    return "\n".join(lines)


def test_there_are_lines_to_break():
    assert NODE_HEADERS and ARROW_KEYS and SAY_LINES


@settings(FAST, max_examples=100)
@given(st.sampled_from(NODE_HEADERS))
def test_deleting_the_colon_of_a_node_header_is_an_error(where):
    text = _edit_line(*where, lambda line: re.sub(r":(\s*(#.*)?)$", r"\1", line))
    assert _syntax_errors(text), f"{where}: no syntax error without the `:`"


@settings(FAST, max_examples=100)
@given(st.sampled_from(ARROW_KEYS))
def test_deleting_the_arrow_of_a_menu_key_is_an_error(where):
    text = _edit_line(*where, lambda line: line.replace(" -> ", "  ", 1))
    assert _syntax_errors(text), f"{where}: no syntax error without `->`"


@settings(FAST, max_examples=100)
@given(st.sampled_from(SAY_LINES))
def test_unclosed_string_is_e002(where):
    text = _edit_line(*where, lambda line: line.rstrip()[:-1])
    assert "E002" in _syntax_errors(text), f"{where}: no E002 without the closing quote"


@settings(FAST, max_examples=60)
@given(st.sampled_from(NAMES))
def test_deleting_the_flow_line_is_an_error(name):
    text = re.sub(r"^(?:flow|library) \w+\n", "", SOURCES[name], count=1, flags=re.M)
    assert _syntax_errors(text)


@settings(FAST, max_examples=100)
@given(st.sampled_from(NODE_HEADERS), st.sampled_from(["\t", " \t"]))
def test_tab_before_a_statement_is_e004(where, tab):
    name, n = where
    text = _edit_line(name, n + 1, lambda line: tab + line.lstrip(" "))
    assert "E004" in _syntax_errors(text)

