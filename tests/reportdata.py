"""A day of a small hotline as the engine commits it, for tests/test_report_*.py.

Monday 2026-11-23 in Asia/Shanghai. Ten calls that day, one the evening
before (not in the day's reports):

call  hour  IVR                           queue                                agent, talk
c1    09    hung up at main_menu, no key  -
c2    09    1 -> balance, flow ended      -
c3    09    0 -> to_agent                 general answered after 10 s          1001 120 s, survey
c4    09    0 -> to_agent                 general answered after 30 s          1002 300 s
c5    10    0 -> to_agent                 general abandoned after 3 s (short)
c6    10    0 -> to_agent                 general abandoned after 15 s
c7    10    0 -> to_agent                 general abandoned after 45 s
c8    10    0 -> to_agent                 general timed out after 60 s
c9    10    0 -> to_agent                 billing timeout 12 s, general 6 s    1001 60 s
c10   23    4 -> faxback, hung up         -

Agents: 1001 logs in 08:55, ready 09:00, break 10:30–10:45, wrap-up 11:00–11:02,
logs out 17:00; 1002 logs in 09:00, ready 09:05, break 12:00–13:00, logs out 18:00.
Tickets opened that day: repair ×3 (new, dispatched, resolved and breached), complaint
(closed), emergency (in progress, due 11:00 the next day: past due at AFTER, 12:00),
inquiry (closed); one repair the day before.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from engine.record import CallRecord, QueueVisit, Segment
from store.activity import record_state
from store.models.tickets import TicketRow
from store.records import StoreSink

ZONE = "Asia/Shanghai"
DAY = dt.date(2026, 11, 23)
AFTER = dt.datetime(2026, 11, 24, 12, 0, tzinfo=ZoneInfo(ZONE))   # "now" for the reports


def local(hhmm: str, day: dt.date = DAY) -> dt.datetime:
    h, m = hhmm.split(":")
    return dt.datetime.combine(day, dt.time(int(h), int(m)), ZoneInfo(ZONE))


def call(n: int, at: dt.datetime, path: list[str], keys: list[tuple[str, str]], node: str,
         reason: str, queues: tuple[tuple[str, int, str], ...] = (), agent: str | None = None,
         talk_s: int = 0, survey: bool = False) -> CallRecord:
    """A call as the engine records it; `queues` are (name, wait s, outcome) in order."""
    ivr_end = at + dt.timedelta(seconds=40)
    visits, t = [], ivr_end
    for name, wait, outcome in queues:
        t += dt.timedelta(seconds=wait)
        visits.append(QueueVisit(f"{name}@default", name, wait * 1000, outcome,
                                 agent if outcome == "answered" else None,
                                 t if outcome == "answered" else None))
    end = t + dt.timedelta(seconds=talk_s + 1)
    segments = [Segment("hotline", at, ivr_end, reason, node=node)]
    if survey:
        segments.append(Segment("satisfaction_survey", end, end + dt.timedelta(seconds=20),
                                "caller_hangup", node="ask"))
        path = [*path, "ask"]
        keys = [*keys, ("ask", "5")]
        end += dt.timedelta(seconds=20)
    return CallRecord(
        call_id=f"c{n}", flow="hotline", caller=f"1390000{n:04d}", called="95007",
        started_at=at, ended_at=end, end_reason="caller_hangup" if survey else reason,
        channel_uuid=f"uuid-c{n}", segments=segments, queues=visits, agent=agent,
        talk_ms=talk_s * 1000, hangup_by="caller", hangup_cause="NORMAL_CLEARING",
        recording=f"/var/recordings/c{n}.wav" if agent else None, path=path, keys=keys)


MENU = ["start", "main_menu"]
AGENT = ["start", "main_menu", "to_agent"]
ZERO = [("main_menu", "0")]

CALLS = [
    call(0, local("23:59", DAY - dt.timedelta(days=1)), AGENT, ZERO, "to_agent", "queued",
         (("general", 8, "answered"),), "1001", 50),
    call(1, local("09:01"), MENU, [], "main_menu", "caller_hangup"),
    call(2, local("09:10"), [*MENU, "self_service", "say_balance"], [("main_menu", "1")],
         "say_balance", "hangup"),
    call(3, local("09:20"), AGENT, ZERO, "to_agent", "queued", (("general", 10, "answered"),),
         "1001", 120, survey=True),
    call(4, local("09:40"), AGENT, ZERO, "to_agent", "queued", (("general", 30, "answered"),),
         "1002", 300),
    call(5, local("10:00"), AGENT, ZERO, "to_agent", "queued", (("general", 3, "abandoned"),)),
    call(6, local("10:05"), AGENT, ZERO, "to_agent", "queued", (("general", 15, "abandoned"),)),
    call(7, local("10:10"), AGENT, ZERO, "to_agent", "queued", (("general", 45, "abandoned"),)),
    call(8, local("10:20"), AGENT, ZERO, "to_agent", "queued", (("general", 60, "timeout"),)),
    call(9, local("10:30"), AGENT, ZERO, "to_agent", "queued",
         (("billing", 12, "timeout"), ("general", 6, "answered")), "1001", 60),
    call(10, local("23:30"), [*MENU, "faxback"], [("main_menu", "4")], "faxback",
         "caller_hangup"),
]

ACTIVITY = [
    ("1001", "login", "08:55"), ("1001", "ready", "09:00"), ("1001", "break", "10:30"),
    ("1001", "ready", "10:45"), ("1001", "wrap_up", "11:00"), ("1001", "ready", "11:02"),
    ("1001", "logout", "17:00"),
    ("1002", "login", "09:00"), ("1002", "ready", "09:05"), ("1002", "break", "12:00"),
    ("1002", "ready", "13:00"), ("1002", "logout", "18:00"),
]

TICKETS = [  # type, severity, status, local time, breached, resolve due (local, on DAY+1)
    ("repair", 2, "new", "09:30", False, "13:30"), ("repair", 2, "dispatched", "10:00", False,
                                                   None),
    ("repair", 1, "resolved", "11:00", True, None), ("complaint", 3, "closed", "12:00", False,
                                                     None),
    ("emergency", 1, "in_progress", "13:00", False, "11:00"),
    ("inquiry", 4, "closed", "14:00", False, None),
]


def seed_day() -> None:
    """Write the day into the bound database (at the latest schema)."""
    for record in CALLS:
        StoreSink().commit(record)
    for agent, state, hhmm in ACTIVITY:
        record_state(agent, state, local(hhmm), reason="lunch" if state == "break" else None)
    tomorrow = DAY + dt.timedelta(days=1)
    previous = [("repair", 2, "new", local("15:00", DAY - dt.timedelta(days=1)), True, None)]
    for n, (kind, severity, status, at, breached, due) in enumerate(
            [*((k, s, st, local(h), b, due and local(due, tomorrow))
               for k, s, st, h, b, due in TICKETS), *previous], start=1):
        TicketRow.create(number=f"{at:%y%m%d}{n:06d}", type=kind, severity=severity,
                         status=status, call_id=f"c{n}", caller="13900000000", flow="hotline",
                         node="report", created_at=utc(at), breached=breached,
                         resolve_due=due and utc(due))


def utc(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(tzinfo=None)
