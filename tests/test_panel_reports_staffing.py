"""The staffing view (/reports/staffing): a known load gives Erlang C's agent count.

The load is the published example: on the one Monday of the last week, 100
calls offered to agents between 10:00 and 10:30, each handled in 180 s (170 s
talk + the 10 s wrap-up of [panel] wrap_up) -> 10 Erlangs, and the 80 % within
20 s target needs 14 agents (13 give 79.6 %).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import peewee
import pytest

from engine.record import CallRecord, QueueVisit, Segment
from panel.context import PanelContext
from store.records import StoreSink
from tests.reportdata import AFTER, local

pytest_plugins = ["panel_support"]

MONDAY = dt.date(2026, 11, 23)      # AFTER is the Tuesday after


def answered_call(n: int, at: dt.datetime, talk_s: int, wait_s: int = 5) -> CallRecord:
    answered = at + dt.timedelta(seconds=30 + wait_s)
    end = answered + dt.timedelta(seconds=talk_s)
    return CallRecord(
        call_id=f"s{n}", flow="hotline", caller=f"1390000{n:04d}", called="95158",
        started_at=at, ended_at=end, end_reason="queued", channel_uuid=f"uuid-s{n}",
        segments=[Segment("hotline", at, at + dt.timedelta(seconds=30), "queued",
                          node="agent")],
        queues=[QueueVisit("general@default", "general", wait_s * 1000, "answered", "1001",
                           answered)],
        agent="1001", talk_ms=talk_s * 1000, hangup_by="caller",
        hangup_cause="NORMAL_CLEARING", path=["start", "main", "agent"],
        keys=[("main", "0")])


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """The Monday written once; each test gets a copy of the file."""
    from panel_support import open_panel_db
    path = tmp_path_factory.mktemp("seeded") / "store.db"
    db = open_panel_db(path)
    sink = StoreSink()
    for n in range(100):            # 10:00:00 … 10:29:42, every 18 s
        sink.commit(answered_call(n, local("10:00", MONDAY) + dt.timedelta(seconds=18 * n),
                                  talk_s=170))
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def panel_db(seeded, tmp_path) -> Iterator[peewee.Database]:
    from panel_support import copied_db
    with copied_db(seeded, tmp_path) as db:
        yield db


@pytest.fixture
def panel_ctx(panel_db, clock) -> PanelContext:
    from panel_support import panel_settings
    clock.at = AFTER
    return PanelContext(settings=panel_settings(), now=clock)


def _slot(page: str, start: str) -> str:
    found = re.search(rf'<tr data-slot="{start}">(.*?)</tr>', page, re.S)
    assert found, f"no row for {start}"
    return found.group(1)


@pytest.fixture
def supervisor(panel):
    return panel.client("supervisor")


def test_a_known_load_gets_erlang_c_agent_count(supervisor):
    page = supervisor.get("/reports/staffing?weeks=1&day=monday")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    ten = _slot(text, "10:00")
    assert '<td data-column="calls">100.00</td>' in ten
    assert "180 s" in ten and "<td>10.00</td>" in ten
    assert '<td data-column="agents">14</td>' in ten
    assert "<td>0.1741</td>" in ten and "88.8 %" in ten
    assert '<td data-column="agents">0</td>' in _slot(text, "11:00")
    assert "14 agents at 10:00–10:30" in text
    assert "P(wait)  = [A^N/N! · N/(N−A)]" in text       # the formula is on the page


def test_staffing_averages_over_every_day_of_the_weeks(supervisor):
    text = supervisor.get("/reports/staffing?weeks=1").get_data(as_text=True)
    ten = _slot(text, "10:00")
    assert '<td data-column="calls">14.29</td>' in ten      # 100 calls over 7 days
    assert "<td>1.43</td>" in ten                             # 14.29 × 180 s / 1800 s
    assert '<td data-column="agents">3</td>' in ten             # 82.2 % within 20 s


def test_staffing_csv(supervisor):
    answer = supervisor.get("/reports/staffing?weeks=1&day=monday&format=csv")
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="staffing-')
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    header = next(r for r in rows if r and r[0] == "half_hour")
    ten = dict(zip(header, next(r for r in rows if r and r[0] == "10:00–10:30"), strict=True))
    assert (ten["calls"], ten["agents_needed"], ten["wait_probability"]) == \
        ("100.0", "14", "0.1741")


def test_bad_staffing_options_get_a_clear_message(supervisor):
    for query, message in [("weeks=0", "“weeks” must be a whole number from 1 to 52"),
                           ("weeks=abc", "“weeks” must be a whole number from 1 to 52"),
                           ("day=someday", "“day” must be average or a weekday")]:
        answer = supervisor.get(f"/reports/staffing?{query}")
        assert answer.status_code == 400, query
        assert message in answer.get_data(as_text=True), query
