"""docs/flow-language.md keeps up with the language.

Every diagnostic code of ivrlang/codes.py and every name in the tables of
ivrlang/actions.py (statements, options, events, settings, campaign and
retry outcomes, test steps, hangup causes, filters) must appear in the
reference, and every complete example flow in it must parse, and check
without errors against the project's catalogue. When one of these fails,
the language changed and the reference did not: update the doc.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli.project import project_catalog
from ivrlang import check_text
from ivrlang.actions import (
    ACTIONS,
    CAMPAIGN_OUTCOMES,
    HANGUP_CAUSES,
    MENU,
    RETRY_ON,
    SAY_FILTERS,
    SETTINGS,
    TEST_EXPECTS,
    TEST_GIVEN_OUTCOMES,
)
from ivrlang.codes import CODES
from ivrlang.parser import parse_text

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "flow-language.md"


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _code_text(doc: str) -> str:
    """Everything in `inline code` and in fenced blocks: where names are written."""
    fenced = re.findall(r"```[^\n]*\n(.*?)```", doc, re.S)
    outside = re.sub(r"```[^\n]*\n.*?```", "", doc, flags=re.S)
    inline = re.findall(r"`([^`\n]+)`", outside)
    return "\n".join(fenced + inline)


def _language_names() -> dict[str, set[str]]:
    names: dict[str, set[str]] = {
        "statement": set(ACTIONS),
        "option": set(MENU.options) | set(SETTINGS),
        "event": set(MENU.handlers),
        "campaign outcome": set(CAMPAIGN_OUTCOMES),
        "retry outcome": set(RETRY_ON),
        "test expect": set(TEST_EXPECTS),
        "test given outcome": set(TEST_GIVEN_OUTCOMES),
        "hangup cause": set(HANGUP_CAUSES),
        "filter": set(SAY_FILTERS),
    }
    for action in ACTIONS.values():
        names["option"] |= set(action.options)
        names["event"] |= set(action.handlers)
    return names


def test_every_code_is_listed():
    rows = set(re.findall(r"^\|\s*([EW]\d{3})\s*\|", _doc(), re.M))
    missing = sorted(set(CODES) - rows)
    assert not missing, f"codes missing from the diagnostics table: {missing}"
    unknown = sorted(rows - set(CODES))
    assert not unknown, f"the diagnostics table lists codes codes.py does not have: {unknown}"


def test_every_code_title_matches():
    doc = _doc()
    for code, (title, _) in CODES.items():
        assert re.search(rf"^\|\s*{code}\s*\|\s*{re.escape(title)}\s*\|", doc, re.M), \
            f"{code}: the table's title is not `{title}`"


@pytest.mark.parametrize("kind", sorted(_language_names()))
def test_every_name_of_the_language_is_documented(kind):
    code = _code_text(_doc())
    missing = sorted(n for n in _language_names()[kind]
                     if not re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", code))
    assert not missing, f"{kind}s missing from {DOC.name}: {missing}"


def _example_flows() -> list[tuple[int, str]]:
    """Fenced `flow` blocks whose first code line is `flow NAME` or `library NAME`:
    complete files."""
    found = []
    doc = _doc()
    for m in re.finditer(r"```flow\n(.*?)```", doc, re.S):
        code = [ln for ln in m.group(1).splitlines()
                if ln.strip() and not ln.lstrip().startswith("#")]
        if code and code[0].startswith(("flow ", "library ")):
            found.append((doc[: m.start()].count("\n") + 2, m.group(1)))
    return found


def test_the_doc_has_complete_examples():
    assert len(_example_flows()) >= 5


_EXAMPLES = _example_flows()


@pytest.mark.parametrize("line,text", _EXAMPLES, ids=[f"line{n}" for n, _ in _EXAMPLES])
def test_example_flow_parses_and_checks(line, text):
    parsed = parse_text(text, f"{DOC.name}:{line}")
    assert parsed.flow is not None, [f"{d.code} {d.span.line}:{d.span.col} {d.message}"
                                     for d in parsed.diagnostics]
    checked = check_text(text, f"{DOC.name}:{line}", project_catalog())
    errors = [f"{d.code} {d.span.line}:{d.span.col} {d.message}"
              for d in checked.diagnostics if d.is_error]
    assert not errors, errors
