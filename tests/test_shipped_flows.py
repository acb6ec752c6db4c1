"""Every shipped flow is clean under `switchflow check --strict`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cli.project import load_prompts, project_catalog
from ivrlang import check_file
from ivrlang.diagnostics import render_full

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "flows").rglob("*.flow"))
# Calendars are checked as on the simulator's day ([sim] start), not on the day the
# tests run: the public holiday tables must reach far enough then (W705), and the
# suite must not change its verdict on 1 December.
TODAY = dt.date(2026, 11, 23)


def test_there_are_shipped_flows():
    names = {p.stem for p in SHIPPED}
    assert {"hotline", "emergency", "faxback", "dunning_small", "dunning_large"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_flow_is_clean_and_tested(path):
    checked = check_file(path, project_catalog(today=TODAY))
    assert not checked.diagnostics, "\n\n".join(render_full(d, checked.lines(d.span.file))
                                                 for d in checked.diagnostics)
    # a library's subs are tested by the flows that call them
    assert checked.flow.tests or checked.flow.library, f"{path.name} has no test blocks"


def test_prompt_catalogues_have_the_same_keys():
    catalogues = load_prompts(ROOT / "prompts")
    assert {"zh-CN", "en-US"} <= set(catalogues)
    assert set(catalogues["zh-CN"]) == set(catalogues["en-US"])
    empty = [k for lang in catalogues.values() for k, v in lang.items() if not v.strip()]
    assert not empty
