"""docs/tickets-sla.md keeps up with the engine: its example explanation is what evaluate() says.

Versions are content hashes that change with conf/sla.toml; the document
writes them as `…`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.sla.clocks import evaluate
from engine.sla.model import TicketEvent, TicketFacts
from engine.sla.policy import PolicyError, load_policies, parse_policies

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "tickets-sla.md"
CST = ZoneInfo("Asia/Shanghai")


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST).astimezone(dt.UTC)


def test_the_example_explanation_is_what_the_engine_says():
    facts = TicketFacts("repair", 2, "residential", (
        TicketEvent(_at(2026, 9, 30, 19, 0), "created"),
        TicketEvent(_at(2026, 9, 30, 19, 20), "note", "checked the meter history"),
        TicketEvent(_at(2026, 9, 30, 19, 40), "contacted"),
        TicketEvent(_at(2026, 10, 8, 9, 0), "paused", "waiting_parts"),
        TicketEvent(_at(2026, 10, 9, 10, 0), "resumed"),
    ))
    policies = load_policies(REPO / "conf" / "sla.toml")
    result = evaluate(facts, policies, _at(2026, 10, 9, 11, 0))
    shown = [re.sub(r"version [0-9a-f]{10}", "version …", line) for line in result.explanation]
    shown = [line.replace(f"({policies.path})", "(conf/sla.toml)") for line in shown]
    block = re.search(r"```explanation\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    assert block.group(1).splitlines() == shown


def test_the_example_mistakes_are_what_the_loader_says():
    text = (REPO / "conf" / "sla.toml").read_text(encoding="utf-8")
    doc = DOC.read_text(encoding="utf-8")
    for old, new in (('[policies.severity_2]\nseverity = 2\n',
                      '[policies.severity_2]\nseverity = 2\ncalendar = "ofice"\n'),
                     ('resolve = "3bd"\nreopen', 'resolve = "3d"\nreopen')):
        assert old in text
        try:
            parse_policies(text.replace(old, new), "conf/sla.toml", base=REPO / "conf")
        except PolicyError as exc:
            assert str(exc) in doc
        else:
            raise AssertionError(f"no error for {new!r}")
