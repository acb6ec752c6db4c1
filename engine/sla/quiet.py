"""Quiet hours: when a notification about an alarm reaches people.

An alarm fires when it is due, and is recorded then; telling people about
it waits for the end of the quiet hours (`[notifications] quiet_hours` in
the policy file, local time in its zone) unless the alarm is urgent (an
emergency policy's): a gas leak wakes the duty crew at 03:00, a complaint's
warning waits until 07:00.
"""

from __future__ import annotations

import datetime as dt

from engine.calendars.clock import UTC
from engine.sla.model import Alarm
from engine.sla.policy import PolicySet, QuietHours


def in_quiet_hours(quiet: QuietHours, at: dt.datetime) -> bool:
    local = at.astimezone(quiet.zone)
    minute = local.hour * 60 + local.minute
    if quiet.start < quiet.end:
        return quiet.start <= minute < quiet.end
    return minute >= quiet.start or minute < quiet.end


def quiet_end(quiet: QuietHours, at: dt.datetime) -> dt.datetime:
    """The first instant at or after `at` outside the quiet hours (aware, UTC)."""
    at = at.astimezone(UTC)
    if not in_quiet_hours(quiet, at):
        return at
    local = at.astimezone(quiet.zone)
    day = local.date()
    minute = local.hour * 60 + local.minute
    if quiet.start > quiet.end and minute >= quiet.start:
        day += dt.timedelta(days=1)     # before midnight: they end tomorrow morning
    wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=quiet.end)
    return wall.replace(tzinfo=quiet.zone).astimezone(UTC)


def notify_at(alarm: Alarm, fired_at: dt.datetime, policies: PolicySet) -> dt.datetime:
    """When to tell people about `alarm`, which fired at `fired_at` (aware; answer in UTC).

    Urgent alarms, and every alarm when no quiet hours are set: at once.
    """
    if fired_at.tzinfo is None:
        raise ValueError("notify_at() needs an aware `fired_at`")
    if alarm.urgent or policies.quiet is None:
        return fired_at.astimezone(UTC)
    return quiet_end(policies.quiet, fired_at)
