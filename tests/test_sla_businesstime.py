"""Business-time arithmetic on the shipped calendars and on a zone with daylight saving.

Dates are pinned in 2026, whose Chinese schedule the holidays package has:
National Day 2026-10-01..07 off, Sunday 2026-09-20 and Saturday 2026-10-10
make-up working days.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendars.calendar import BusinessCalendar
from engine.sla.businesstime import AlwaysOpen, BusinessClock, BusinessTimeError
from engine.sla.explain import local_text
from engine.sla.policy import load_policies, parse_policies

REPO = Path(__file__).resolve().parent.parent
CST = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def shipped():
    return load_policies(REPO / "conf" / "sla.toml")


@pytest.fixture(scope="module")
def office(shipped) -> BusinessClock:
    return shipped.get("severity_2").business


@pytest.fixture(scope="module")
def business() -> BusinessClock:
    """The `business` calendar of flows/common.flow: mon-fri 09:00-11:30 14:00-17:30, cn."""
    text = ('[calendars]\nlibrary = "../flows/common.flow"\n'
            '[policies.any]\nfallback = true\ncalendar = "business"\nresolve = "1h"\n')
    return parse_policies(text, "business.toml", base=REPO / "conf").get("any").business


def cst(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


def shown(at: dt.datetime, zone=CST) -> str:
    return local_text(at, zone)


# ----------------------------------------------------------------- weekends, nights, lunch


def test_two_hours_asked_an_hour_before_closing_end_an_hour_after_the_next_opening(office):
    # office: mon-fri 08:00-20:00, sat-sun 09:00-17:00; Friday 19:00 + 2 h
    assert shown(office.add(cst(2026, 11, 27, 19, 0), 120)) == "2026-11-28 10:00 CST"


def test_time_that_runs_out_at_closing_ends_at_the_closing_minute_not_midnight(office):
    assert shown(office.add(cst(2026, 11, 27, 18, 0), 120)) == "2026-11-27 20:00 CST"


def test_a_weekend_without_hours_is_skipped(business):
    # Friday 17:00: half an hour left that day, the other half on Monday at opening
    assert shown(business.add(cst(2026, 11, 27, 17, 0), 60)) == "2026-11-30 09:30 CST"
    assert business.minutes_between(cst(2026, 11, 27, 17, 0), cst(2026, 11, 30, 9, 30)) == 60


def test_the_lunch_break_does_not_count(business):
    assert shown(business.add(cst(2026, 11, 30, 11, 0), 60)) == "2026-11-30 14:30 CST"
    assert business.minutes_between(cst(2026, 11, 30, 11, 0), cst(2026, 11, 30, 14, 30)) == 60
    lunch = business.closed_spans(cst(2026, 11, 30, 11, 0), cst(2026, 11, 30, 14, 30))
    assert [(shown(s.start), shown(s.end)) for s in lunch] == [
        ("2026-11-30 11:30 CST", "2026-11-30 14:00 CST")]


def test_a_start_inside_closed_hours_counts_from_the_next_opening(business):
    assert shown(business.add(cst(2026, 11, 30, 6, 0), 30)) == "2026-11-30 09:30 CST"
    assert shown(business.add(cst(2026, 11, 30, 12, 15), 30)) == "2026-11-30 14:30 CST"


# ----------------------------------------------------------------- China's holidays


def test_national_day_is_skipped_whole(office):
    # 2026-09-30 19:00: one hour that evening, the next opening is 2026-10-08 08:00
    assert shown(office.add(cst(2026, 9, 30, 19, 0), 120)) == "2026-10-08 09:00 CST"


def test_a_make_up_working_saturday_opens_with_weekday_hours(business):
    # 2026-10-10 is a Saturday worked instead of a National Day break day
    assert shown(business.add(cst(2026, 10, 9, 17, 0), 60)) == "2026-10-10 09:30 CST"


def test_a_make_up_working_sunday_before_national_day(business):
    # 2026-09-19 (Sat) closed, 2026-09-20 (Sun) worked
    assert shown(business.add(cst(2026, 9, 18, 17, 0), 60)) == "2026-09-20 09:30 CST"


def test_spring_festival_2026(business):
    # 2026-02-14 (Sat) is worked; 2026-02-15..23 is the break; 2026-02-28 (Sat) is worked
    assert shown(business.add(cst(2026, 2, 13, 17, 0), 60)) == "2026-02-14 09:30 CST"
    assert shown(business.add(cst(2026, 2, 14, 17, 0), 60)) == "2026-02-24 09:30 CST"


# ----------------------------------------------------------------- daylight saving


@pytest.fixture(scope="module")
def berlin_shop() -> BusinessClock:
    return BusinessClock(BusinessCalendar("shop", {d: [[480, 1080]] for d in
                                                   ("mon", "tue", "wed", "thu", "fri")},
                                          timezone="Europe/Berlin"))


def test_office_hours_keep_their_local_times_across_the_spring_change(berlin_shop):
    # Europe/Berlin goes from CET to CEST on Sunday 2026-03-29
    start = dt.datetime(2026, 3, 27, 17, 0, tzinfo=BERLIN)
    deadline = berlin_shop.add(start, 120)
    assert shown(deadline, BERLIN) == "2026-03-30 09:00 CEST"
    assert berlin_shop.minutes_between(start, deadline) == 120


def test_office_hours_keep_their_local_times_across_the_autumn_change(berlin_shop):
    start = dt.datetime(2026, 10, 23, 17, 30, tzinfo=BERLIN)
    assert shown(berlin_shop.add(start, 60), BERLIN) == "2026-10-26 08:30 CET"


def test_a_24x7_clock_counts_real_hours_over_the_night_the_clocks_change():
    always = BusinessClock(AlwaysOpen("Europe/Berlin"))
    # the night of 2026-10-25 has 25 hours: 4 real hours from midnight end at 03:00 CET
    start = dt.datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN)
    assert shown(always.add(start, 240), BERLIN) == "2026-10-25 03:00 CET"
    # and the night of 2026-03-29 has 23: a day of business time ends at 01:00 the day after
    spring = dt.datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    assert shown(always.add(spring, 1440), BERLIN) == "2026-03-30 01:00 CEST"


# ----------------------------------------------------------------- pauses, exactness


def test_a_pause_moves_the_deadline_by_the_open_time_it_covered(business):
    start = cst(2026, 11, 30, 9, 0)
    # 09:00-10:00 counts, the pause covers 10:00-15:00, then 15:00-16:00 counts
    pause = (cst(2026, 11, 30, 10, 0), cst(2026, 11, 30, 15, 0))
    assert shown(business.add(start, 120, [pause])) == "2026-11-30 16:00 CST"
    assert business.minutes_between(start, cst(2026, 11, 30, 16, 0), [pause]) == 120


def test_exact_to_the_second(office):
    start = cst(2026, 11, 30, 19, 59, 30)
    assert shown(office.add(start, 1)) == "2026-12-01 08:00:30 CST"


def test_a_calendar_that_never_opens_is_refused_not_spun_on():
    never = BusinessClock(BusinessCalendar("never", {}, timezone="Asia/Shanghai"))
    with pytest.raises(BusinessTimeError, match="never"):
        never.add(cst(2026, 1, 1, 0, 0), 1)


# ----------------------------------------------------------------- properties


instants = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 20))


@settings(max_examples=150, deadline=None)
@given(start=instants, minutes=st.integers(min_value=1, max_value=8000),
       which=st.sampled_from(["office", "business", "berlin"]))
def test_adding_then_counting_back_gives_the_same_minutes(office, business, berlin_shop,
                                                          start, minutes, which):
    clock = {"office": office, "business": business, "berlin": berlin_shop}[which]
    begin = start.replace(tzinfo=clock.zone)
    end = clock.add(begin, minutes)
    assert clock.minutes_between(begin, end) == pytest.approx(minutes, abs=1e-6)
    # it lands inside open hours, or exactly at a close: the second before was open
    assert clock.open_at(end - dt.timedelta(seconds=1))
    assert end.astimezone(clock.zone).time() != dt.time(0, 0)


@settings(max_examples=100, deadline=None)
@given(start=instants, a=st.integers(0, 5000), b=st.integers(0, 5000))
def test_business_time_adds_up(business, start, a, b):
    begin = start.replace(tzinfo=CST)
    middle = business.add(begin, a)
    assert business.add(middle, b) == business.add(begin, a + b)


# ----------------------------------------------------------------- speed


def test_seven_business_days_take_well_under_a_millisecond(shipped):
    calendar = shipped.get("severity_4").calendar
    start = cst(2026, 9, 28, 15, 0)
    cold, warm = [], []
    for _ in range(50):
        clock = BusinessClock(calendar)
        t0 = time.perf_counter()
        clock.add(start, 7 * 720)     # across National Day, as severity 4's 7bd
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        clock.add(start, 7 * 720)
        warm.append(time.perf_counter() - t0)
    assert statistics.median(cold) < 0.005
    assert statistics.median(warm) < 0.001
