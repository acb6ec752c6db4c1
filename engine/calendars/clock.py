"""Where the engine gets the time: an injectable clock.

Everything in the engine that reads the time or waits goes through a
`Clock`, so the simulator and the tests can run a call's timeouts, queue
waits and campaign retry intervals on a `VirtualClock` that jumps forward
instantly instead of waiting in real time. Instants are always aware UTC
datetimes; conversion to the flow's zone happens only where a person or a
calendar needs wall-clock time (`local_time`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Protocol, runtime_checkable

from ivrlang.suggest import did_you_mean

UTC = dt.UTC
DEFAULT_TIMEZONE = "Asia/Shanghai"


@runtime_checkable
class Clock(Protocol):
    """The two things the engine asks of time: what is it, and wait a while."""

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass for the calling greenlet (zero or less: just yield)."""
        ...


class SystemClock:
    """Real time, for production: sleeping yields to other greenlets via gevent."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        import gevent  # here, not at the top: `switchflow check` never needs the hub

        gevent.sleep(max(0.0, seconds))


class VirtualClock:
    """Time that moves only when told to, for the simulator and for tests.

    `sleep` advances the clock at once and never waits in real time; it still
    yields to the gevent hub (`gevent.sleep(0)`) so other greenlets on the
    same hub get their turn, as they would during a real wait.
    """

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(f"VirtualClock needs a timezone-aware start, got naive {start}")
        self._now = start.astimezone(UTC)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, seconds: float) -> dt.datetime:
        """Move time forward by `seconds` and return the new instant; never backwards."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards ({seconds} s)")
        self._now += dt.timedelta(seconds=seconds)
        return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        import gevent

        gevent.sleep(0)

    def __repr__(self) -> str:
        return f"VirtualClock({self._now.isoformat()})"


def get_zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone `name`, or ValueError naming it with a did-you-mean.

    zoneinfo's own errors are a bare KeyError-like message; flows, settings and
    the CLI all want the same readable one.
    """
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        pass
    hint = did_you_mean(name, zoneinfo.available_timezones()) if isinstance(name, str) else ""
    raise ValueError(f"unknown time zone `{name}`" + (f"; {hint}" if hint else ""))


def local_time(clock_or_dt: Clock | dt.datetime, tz: str = DEFAULT_TIMEZONE) -> dt.datetime:
    """The wall-clock time in zone `tz`, as an aware datetime in that zone.

    Takes a clock (its `now()`) or a datetime. A naive datetime is taken to be
    already local wall time in `tz` (as a flow test's `at "…"` is) and only
    gets the zone attached.
    """
    zone = get_zone(tz)
    at = clock_or_dt if isinstance(clock_or_dt, dt.datetime) else clock_or_dt.now()
    if at.tzinfo is None:
        return at.replace(tzinfo=zone)
    return at.astimezone(zone)
