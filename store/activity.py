"""The recordings index and the agent activity log: writing them and reading them back.

A recording is indexed when its call record is committed (store.records
calls `index_recording` inside the record's transaction), and migration 5
indexes the recordings of calls stored before it existed (`backfill_recordings`).

An agent's time in a state runs from the change into it until the next
change; `time_in_states` clips those intervals to the period asked, counts
the state an agent was already in when the period began, and stops an
agent's last state at the period's end (or `now`, if sooner), so a report
of today never counts the future.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field

import peewee

from engine.record import CallRecord
from store.models.activity import AGENT_STATES, AgentActivity, Recording
from store.models.base import database
from store.models.calls import CallRow


def utc(instant: dt.datetime) -> dt.datetime:
    """Naive UTC, as the store keeps instants (a naive one is taken as UTC already)."""
    if instant.tzinfo is None:
        return instant
    return instant.astimezone(dt.UTC).replace(tzinfo=None)


class ActivityError(ValueError):
    """A state change the log cannot take (unknown state, no agent)."""


# ---------------------------------------------------------------- recordings


def first_ticket(tickets: list) -> str | None:
    """The number of the first ticket the call really opened (the desk gave it a number)."""
    for ticket in tickets:
        number = ticket["id"] if isinstance(ticket, dict) else ticket.id
        if number:
            return number
    return None


def _duration_ms(started: dt.datetime, ended: dt.datetime | None) -> int:
    return 0 if ended is None else max(0, int((ended - started).total_seconds() * 1000))


def index_recording(row: CallRow, record: CallRecord) -> Recording | None:
    """Index the call's recording, if it has one (inside the caller's transaction)."""
    if not record.recording:
        return None
    return Recording.create(
        path=record.recording, call=row,
        channel_uuid=record.channel_uuid, caller=record.caller, agent=record.agent,
        started_at=row.started_at, duration_ms=_duration_ms(record.started_at, record.ended_at),
        ticket=first_ticket(record.tickets))


def backfill_recordings() -> int:
    """Index the recordings of stored calls that have none indexed; how many were added.

    Reads only the call columns migration 2 made, so it runs at migration 5
    whatever later migrations add.
    """
    indexed = Recording.select(Recording.call_id)
    calls = (CallRow.select(CallRow.id, CallRow.call_id, CallRow.channel_uuid, CallRow.caller,
                            CallRow.agent, CallRow.started_at, CallRow.ended_at,
                            CallRow.recording, CallRow.body)
             .where(CallRow.recording.is_null(False), CallRow.recording != "",
                    CallRow.call_id.not_in(indexed))
             .order_by(CallRow.id))
    added = 0
    for call in calls.iterator():
        try:
            tickets = json.loads(call.body).get("tickets") or []
        except (ValueError, AttributeError):
            tickets = []
        Recording.create(path=call.recording, call=call.call_id,
                         channel_uuid=call.channel_uuid, caller=call.caller, agent=call.agent,
                         started_at=call.started_at,
                         duration_ms=_duration_ms(call.started_at, call.ended_at),
                         ticket=first_ticket(tickets))
        added += 1
    return added


# ---------------------------------------------------------------- agent activity


def record_state(agent: str, state: str, at: dt.datetime, reason: str | None = None
                 ) -> AgentActivity:
    """Log that `agent` changed to `state` at `at` (aware, or naive UTC)."""
    if state not in AGENT_STATES:
        raise ActivityError(f"agent state {state!r} is not one of {', '.join(AGENT_STATES)}")
    if not agent.strip():
        raise ActivityError("an agent state change needs the agent")
    with database.connection_context():
        return AgentActivity.create(agent=agent, state=state, at=utc(at), reason=reason)


@dataclass
class AgentTime:
    """One agent's time in each state over a period, in milliseconds."""

    agent: str
    ms: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AGENT_STATES, 0))
    breaks: int = 0                # times the agent went on a break within the period

    @property
    def logged_in_ms(self) -> int:
        """Time between login and logout: every state but `logout`."""
        return sum(v for k, v in self.ms.items() if k != "logout")


def time_in_states(start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
                   ) -> dict[str, AgentTime]:
    """Each agent's time in each state within [start, end), by agent name.

    An agent whose last change before `start` was not a logout is counted in
    that state from `start`; the last change runs to `end` or `now`, whichever
    is sooner. Agents with no time in any state but logout are left out.
    """
    lo, hi = utc(start), utc(end)
    if now is not None:
        hi = min(hi, utc(now))
    # per agent: (since, state, whether the change itself is within the period)
    changes: dict[str, list[tuple[dt.datetime, str, bool]]] = defaultdict(list)
    with database.connection_context():
        before = (AgentActivity
                  .select(AgentActivity.agent, peewee.fn.MAX(AgentActivity.at).alias("last"))
                  .where(AgentActivity.at < lo).group_by(AgentActivity.agent))
        for row in before.dicts():
            state = (AgentActivity.select(AgentActivity.state)
                     .where(AgentActivity.agent == row["agent"], AgentActivity.at == row["last"])
                     .order_by(AgentActivity.id.desc()).scalar())
            changes[row["agent"]].append((lo, state, False))
        within = (AgentActivity.select(AgentActivity.agent, AgentActivity.state, AgentActivity.at)
                  .where(AgentActivity.at >= lo, AgentActivity.at < hi)
                  .order_by(AgentActivity.at, AgentActivity.id))
        for row in within:
            changes[row.agent].append((row.at, row.state, True))
    out: dict[str, AgentTime] = {}
    for agent, steps in changes.items():
        time = AgentTime(agent)
        for (at, state, changed), following in zip(steps, [*steps[1:], (hi, "", False)],
                                                   strict=True):
            time.ms[state] += max(0, int((following[0] - at).total_seconds() * 1000))
            time.breaks += changed and state == "break"
        if time.logged_in_ms:
            out[agent] = time
    return dict(sorted(out.items()))
