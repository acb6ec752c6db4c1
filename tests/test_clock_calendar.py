"""The injectable clock and business calendars, as a flow author would notice them."""

from __future__ import annotations

import datetime as dt
import time

import gevent
import pytest
from conftest import make_catalog

from engine.calendars.calendar import BusinessCalendar, calendars_from_ir
from engine.calendars.clock import Clock, SystemClock, VirtualClock, get_zone, local_time
from ivrlang import check_text, compile_flow

UTC = dt.UTC
SH = get_zone("Asia/Shanghai")
LONDON = get_zone("Europe/London")

# hours office: mon-fri 08:00-12:00 13:00-20:00, sat-sun 09:00-17:00
# holidays office: 2026-09-28..2026-10-07, 2027-01-01
OFFICE = {
    "hours": {**{d: [[480, 720], [780, 1200]] for d in ("mon", "tue", "wed", "thu", "fri")},
              "sat": [[540, 1020]], "sun": [[540, 1020]]},
    "holidays": [["2026-09-28", "2026-10-07"], ["2027-01-01", "2027-01-01"]],
}


@pytest.fixture
def office() -> BusinessCalendar:
    return BusinessCalendar.from_ir("office", OFFICE, "Asia/Shanghai")


def sh(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


# ---------------------------------------------------------------- clocks


def test_virtual_clock_never_sleeps_in_real_time():
    clock = VirtualClock(dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    began = time.monotonic()
    clock.sleep(3600)
    assert time.monotonic() - began < 0.5
    assert clock.now() == dt.datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_virtual_clock_advance_and_utc():
    clock = VirtualClock(sh(2026, 11, 23, 10, 0))
    assert clock.now() == dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == dt.timedelta(0)
    assert clock.advance(90) == dt.datetime(2026, 11, 23, 2, 1, 30, tzinfo=UTC)
    clock.sleep(-5)  # a deadline already past: no time passes
    assert clock.now() == dt.datetime(2026, 11, 23, 2, 1, 30, tzinfo=UTC)


def test_virtual_clock_refuses_naive_start_and_going_back():
    with pytest.raises(ValueError, match="timezone-aware"):
        VirtualClock(dt.datetime(2026, 11, 23, 10, 0))
    clock = VirtualClock(dt.datetime(2026, 11, 23, tzinfo=UTC))
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


def test_virtual_sleep_lets_other_greenlets_run():
    clock = VirtualClock(dt.datetime(2026, 11, 23, tzinfo=UTC))
    seen = []
    other = gevent.spawn(seen.append, "other ran")
    clock.sleep(30)
    assert seen == ["other ran"]
    other.join()


def test_system_clock_is_aware_utc_and_a_clock():
    clock = SystemClock()
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == dt.timedelta(0)
    assert abs((now - dt.datetime.now(UTC)).total_seconds()) < 5
    began = time.monotonic()
    clock.sleep(0.01)
    assert time.monotonic() - began >= 0.009
    assert isinstance(clock, Clock) and isinstance(VirtualClock(now), Clock)


def test_local_time_from_clock_aware_and_naive():
    clock = VirtualClock(dt.datetime(2026, 11, 23, 0, 30, tzinfo=UTC))
    assert local_time(clock, "Asia/Shanghai") == sh(2026, 11, 23, 8, 30)
    assert local_time(clock, "Asia/Shanghai").hour == 8
    assert local_time(clock.now(), "UTC").hour == 0
    naive = dt.datetime(2026, 11, 23, 8, 30)
    assert local_time(naive, "Europe/London") == dt.datetime(2026, 11, 23, 8, 30, tzinfo=LONDON)
    # summer time: 12:00 UTC is 13:00 in London
    summer = local_time(dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "Europe/London")
    assert (summer.hour, summer.utcoffset()) == (13, dt.timedelta(hours=1))


def test_unknown_zone_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown time zone `Asia/Shangai`; "
                                         r"did you mean `Asia/Shanghai`\?"):
        local_time(dt.datetime(2026, 1, 1, tzinfo=UTC), "Asia/Shangai")
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessCalendar("x", {}, timezone="Mars/Olympus")


# ---------------------------------------------------------------- office hours


@pytest.mark.parametrize(("at", "expected"), [
    (sh(2026, 11, 23, 7, 59), False),   # Monday, a minute before opening
    (sh(2026, 11, 23, 8, 0), True),     # opening minute
    (sh(2026, 11, 23, 11, 59), True),   # last minute before lunch
    (sh(2026, 11, 23, 12, 0), False),   # lunch break: end is exclusive
    (sh(2026, 11, 23, 12, 59), False),
    (sh(2026, 11, 23, 13, 0), True),    # afternoon range
    (sh(2026, 11, 23, 19, 59, 59), True),
    (sh(2026, 11, 23, 20, 0), False),   # closing minute is closed
    (sh(2026, 11, 28, 8, 30), False),   # Saturday morning: weekend hours start at 09:00
    (sh(2026, 11, 28, 9, 0), True),
    (sh(2026, 11, 29, 16, 59), True),   # Sunday
    (sh(2026, 11, 29, 17, 0), False),
])
def test_office_hours_at_boundary_minutes(office, at, expected):
    assert office.is_open(at) is expected


def test_holidays_close_all_day_even_across_months(office):
    assert not office.is_open(sh(2026, 9, 28, 10, 0))   # Monday, first holiday
    assert not office.is_open(sh(2026, 9, 30, 10, 0))   # September...
    assert not office.is_open(sh(2026, 10, 7, 10, 0))   # ...into October, last day inclusive
    assert office.is_open(sh(2026, 10, 8, 10, 0))       # Thursday after
    assert office.is_open(sh(2026, 9, 25, 10, 0))       # Friday before
    assert not office.is_open(sh(2027, 1, 1, 10, 0))    # single-day holiday
    assert office.is_holiday(dt.date(2026, 10, 1))


def test_utc_instant_is_converted_to_the_flow_zone():
    cal = BusinessCalendar("office", {d: [[480, 1200]] for d in ("mon", "tue", "wed", "thu",
                                                                  "fri")})
    at = dt.datetime(2026, 11, 23, 0, 30, tzinfo=UTC)   # 08:30 Monday in Shanghai
    assert cal.is_open(at)
    assert not cal.is_open(dt.datetime(2026, 11, 22, 23, 30, tzinfo=UTC))  # 07:30 Shanghai
    assert cal.is_open(dt.datetime(2026, 11, 23, 11, 59, tzinfo=UTC))      # 19:59 Shanghai
    assert not cal.is_open(dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC))   # 20:00 Shanghai
    # Friday 16:30 UTC is already Saturday 00:30 in Shanghai
    assert not cal.is_open(dt.datetime(2026, 11, 27, 16, 30, tzinfo=UTC))
    # a UTC calendar says otherwise about the same instant
    assert not BusinessCalendar("x", {"mon": [[480, 1200]]}, timezone="UTC").is_open(at)


def test_naive_datetime_is_local_wall_time(office):
    assert office.is_open(dt.datetime(2026, 11, 23, 8, 0))
    assert not office.is_open(dt.datetime(2026, 11, 23, 7, 59))
    assert office.local(dt.datetime(2026, 11, 23, 8, 0)) == sh(2026, 11, 23, 8, 0)


def test_range_ending_at_midnight_and_night_desk():
    night = BusinessCalendar("night_desk", {"mon": [[0, 480], [1200, 1440]],
                                            "tue": [[0, 480], [1200, 1440]]})
    assert night.is_open(sh(2026, 11, 23, 23, 59, 59))
    assert night.is_open(sh(2026, 11, 24, 0, 0))        # Tuesday starts open
    assert not night.is_open(sh(2026, 11, 24, 8, 0))
    assert not night.is_open(sh(2026, 11, 25, 0, 0))    # Wednesday: no hours
    duty = BusinessCalendar("duty", {"sun": [[0, 1440]]})
    assert duty.is_open(sh(2026, 11, 29, 0, 0)) and duty.is_open(sh(2026, 11, 29, 23, 59))
    assert not duty.is_open(sh(2026, 11, 30, 0, 0))


def test_london_follows_summer_time():
    cal = BusinessCalendar("office", {d: [[540, 1020]] for d in ("mon", "tue", "wed", "thu",
                                                                  "fri")}, timezone="Europe/London")
    # winter: 09:00 local is 09:00 UTC
    assert cal.is_open(dt.datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    assert not cal.is_open(dt.datetime(2026, 1, 12, 8, 59, tzinfo=UTC))
    # summer: 09:00 local is 08:00 UTC, and 16:00 UTC is already 17:00 local
    assert cal.is_open(dt.datetime(2026, 7, 13, 8, 0, tzinfo=UTC))
    assert not cal.is_open(dt.datetime(2026, 7, 13, 7, 59, tzinfo=UTC))
    assert not cal.is_open(dt.datetime(2026, 7, 13, 16, 0, tzinfo=UTC))


# ---------------------------------------------------------------- next_open


def test_next_open_returns_now_when_open_and_skips_lunch_weekend_holidays(office):
    assert office.next_open(sh(2026, 11, 23, 10, 0)) == sh(2026, 11, 23, 10, 0)
    assert office.next_open(sh(2026, 11, 23, 12, 15)) == sh(2026, 11, 23, 13, 0)
    assert office.next_open(sh(2026, 11, 27, 20, 0)) == sh(2026, 11, 28, 9, 0)
    assert office.next_open(sh(2026, 9, 25, 21, 0)) == sh(2026, 9, 26, 9, 0)
    assert office.next_open(sh(2026, 9, 27, 18, 0)) == sh(2026, 10, 8, 8, 0)
    found = office.next_open(dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC))   # 20:00 local
    assert found == sh(2026, 11, 24, 8, 0) and found.tzinfo is UTC   # an instant, like now()
    assert office.next_open(dt.datetime(2026, 11, 23, 12, 15)) == sh(2026, 11, 23, 13, 0)


def test_next_open_gives_up_after_fourteen_days():
    long_break = BusinessCalendar("x", {"mon": [[480, 1200]]},
                                  [["2026-11-23", "2026-12-31"]])
    assert long_break.next_open(sh(2026, 11, 20, 9, 0)) is None
    assert BusinessCalendar("never", {}).next_open(sh(2026, 11, 20, 9, 0)) is None
    mondays = BusinessCalendar("x", {"mon": [[480, 1200]]})
    assert mondays.next_open(sh(2026, 11, 23, 20, 0)) == sh(2026, 11, 30, 8, 0)


def test_next_open_across_daylight_saving_changes():
    # Sunday 29 March 2026, London: clocks jump from 01:00 GMT to 02:00 BST
    gap = BusinessCalendar("x", {"sun": [[90, 180]]}, timezone="Europe/London")
    opened = gap.next_open(dt.datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    assert opened == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)   # 02:00 BST, inside 01:30-03:00
    assert gap.is_open(opened)
    later = BusinessCalendar("x", {"sun": [[600, 660]]}, timezone="Europe/London")
    assert later.next_open(dt.datetime(2026, 3, 28, 12, 0, tzinfo=UTC)) == \
        dt.datetime(2026, 3, 29, 9, 0, tzinfo=UTC)                 # 10:00 BST
    # Sunday 25 October 2026: 02:00 BST falls back to 01:00 GMT, 01:00-02:00 happens twice
    twice = BusinessCalendar("x", {"sun": [[75, 90]]}, timezone="Europe/London")
    first = twice.next_open(dt.datetime(2026, 10, 24, 23, 0, tzinfo=UTC))
    assert first == dt.datetime(2026, 10, 25, 0, 15, tzinfo=UTC)  # 01:15 BST
    second = twice.next_open(dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    assert second == dt.datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 01:15 GMT


# ---------------------------------------------------------------- from the IR


FLOW = """\
flow shop
  timezone Europe/London
  hours office: mon-fri 08:00-12:00 13:00-20:00, sat 09:00-12:00
  holidays office: 2026-12-24..2027-01-02, 2027-04-02
  hours duty: daily 00:00-08:00 20:00-24:00

step start:
  answer
  if open(office): hangup
  hangup
"""


def test_calendars_from_compiled_flow():
    checked = check_text(FLOW, "shop.flow", make_catalog())
    assert checked.ok, checked.diagnostics
    cals = calendars_from_ir(compile_flow(checked.flow, make_catalog()))
    assert set(cals) == {"office", "duty"}
    office, duty = cals["office"], cals["duty"]
    assert office.timezone == "Europe/London"
    assert office.is_open(dt.datetime(2026, 7, 13, 7, 0, tzinfo=UTC))        # 08:00 BST
    assert not office.is_open(dt.datetime(2026, 7, 13, 11, 30, tzinfo=UTC))  # 12:30 BST
    assert not office.is_open(dt.datetime(2026, 12, 31, 10, 0, tzinfo=UTC))  # holiday
    assert not office.is_open(dt.datetime(2026, 11, 29, 10, 0, tzinfo=UTC))  # Sunday
    assert duty.is_open(dt.datetime(2026, 11, 29, 23, 59, tzinfo=UTC))
    assert office.describe("en-US") == (
        "Mon-Fri 08:00-12:00 13:00-20:00; Sat 09:00-12:00; "
        "closed on 2026-12-24 to 2027-01-02, 2027-04-02")
    assert duty.describe("zh-CN") == "周一至周日 00:00-08:00 20:00-24:00"


def test_default_zone_and_campaign_window():
    cals = calendars_from_ir({"calendars": {"office": OFFICE}})
    assert cals["office"].timezone == "Asia/Shanghai"
    window = BusinessCalendar.from_ir("dunning", {"hours": {"mon": [[540, 1200]]}})
    assert window.holidays == () and window.is_open(sh(2026, 11, 23, 9, 0))


@pytest.mark.parametrize(("hours", "holidays", "message"), [
    ({"mon": [[600, 480]]}, [], "bad range 600..480 on mon"),
    ({"mon": [[0, 1441]]}, [], "bad range 0..1441"),
    ({"monday": [[0, 60]]}, [], "unknown day `monday`"),
    ({}, [["2026-10-07", "2026-10-01"]], "ends before it starts"),
    ({}, [["2026-13-01", "2026-13-02"]], "`2026-13-01` is not a date"),
])
def test_malformed_ir_calendar_is_named(hours, holidays, message):
    with pytest.raises(ValueError, match=f"calendar `office`: .*{message}"):
        BusinessCalendar("office", hours, holidays)
