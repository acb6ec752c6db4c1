"""/api/calls: finished calls' records (store/records.py), filtered and one by one.

A call's detail carries the path it took through the flows, the keys the
caller pressed, what was collected (secrets masked by the engine before
it was stored), queue waits, tickets and back-office writes; never the trace
or the logs, which are the operator's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify

from panel.api import params
from panel.api.auth import api_requires
from panel.api.errors import ApiError
from panel.api.shapes import plain
from panel.context import panel_context
from store.models.calls import CallRow, CallSegment, QueueWait

CALL_ID = r"[A-Za-z0-9._:-]{1,64}"
PHONE = r"[0-9+*#]{1,24}"
NAME = r"[A-Za-z0-9._@-]{1,100}"


def _local(instant: dt.datetime | str | None, zone: ZoneInfo) -> str | None:
    if instant is None:
        return None
    if isinstance(instant, str):
        instant = dt.datetime.fromisoformat(instant)
    return instant.replace(tzinfo=dt.UTC).astimezone(zone).isoformat(timespec="seconds")


def _summary(row: CallRow, zone: ZoneInfo) -> dict[str, Any]:
    return {"call_id": row.call_id, "flow": row.flow, "caller": row.caller,
            "called": row.called, "started_at": _local(row.started_at, zone),
            "ended_at": _local(row.ended_at, zone), "end_reason": row.end_reason,
            "agent": row.agent, "queue_wait_ms": row.queue_wait_ms, "talk_ms": row.talk_ms,
            "hangup_by": row.hangup_by, "hangup_cause": row.hangup_cause,
            "recorded": bool(row.recording)}


def _day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """A local day's first instant, as the store keeps instants (naive UTC)."""
    start = dt.datetime.combine(day, dt.time(), zone)
    return start.astimezone(dt.UTC).replace(tzinfo=None)


def register(bp: Blueprint) -> None:

    @bp.get("/calls")
    @api_requires("calls:read")
    def list_calls() -> Response:
        """Calls newest first, by caller, agent, flow and local days; a page at a time."""
        zone = ZoneInfo(panel_context().settings.engine.timezone)
        query = CallRow.select()
        caller = params.text("caller", PHONE, "a phone number")
        agent = params.text("agent", NAME, "an agent such as 1001@default")
        flow = params.text("flow", NAME, "a flow name")
        since, until = params.day("since"), params.day("until")
        if since is not None and until is not None and until < since:
            raise ApiError(400, "until is before since")
        if caller:
            query = query.where(CallRow.caller == caller)
        if agent:
            query = query.where(CallRow.agent == agent)
        if flow:
            query = query.where(CallRow.flow == flow)
        if since is not None:
            query = query.where(CallRow.started_at >= _day_start(since, zone))
        if until is not None:
            query = query.where(CallRow.started_at < _day_start(until + dt.timedelta(days=1),
                                                                zone))
        at = params.page()
        rows = (query.order_by(CallRow.started_at.desc(), CallRow.id.desc())
                .offset(at.offset).limit(at.size))
        return jsonify(params.paged([_summary(r, zone) for r in rows], at, query.count()))

    @bp.get("/calls/<call_id>")
    @api_requires("calls:read")
    def get_call(call_id: str) -> Response:
        """One call: its summary, flows, queue waits, path, keys, collected values,
        tickets and back-office writes."""
        if not re.fullmatch(CALL_ID, call_id):
            raise ApiError(400, "a call id is letters, digits, '.', '_', ':' and '-'")
        row = CallRow.get_or_none(CallRow.call_id == call_id)
        if row is None:
            raise ApiError(404, f"no call {call_id}")
        zone = ZoneInfo(panel_context().settings.engine.timezone)
        try:
            body = json.loads(row.body)
        except ValueError:
            body = {}
        segments = [{"flow": s.flow, "started_at": _local(s.started_at, zone),
                     "ended_at": _local(s.ended_at, zone), "reason": s.reason,
                     "detail": s.detail, "node": s.node}
                    for s in CallSegment.select().where(CallSegment.call == row)
                    .order_by(CallSegment.position)]
        queues = [{"queue": q.queue, "name": q.name, "wait_ms": q.wait_ms,
                   "outcome": q.outcome, "agent": q.agent,
                   "answered_at": _local(q.answered_at, zone)}
                  for q in QueueWait.select().where(QueueWait.call == row)
                  .order_by(QueueWait.position)]
        return jsonify({
            **_summary(row, zone), "detail": row.detail, "segments": segments, "queues": queues,
            "path": [str(n) for n in body.get("path", [])],
            "keys": [[str(menu), str(key)] for menu, key in body.get("keys", [])],
            "collected": plain(body.get("collected", {})),
            "tickets": [{"id": str(t.get("id", "")), "type": str(t.get("type", "")),
                         "severity": t.get("severity"), "error": str(t.get("error", ""))}
                        for t in body.get("tickets", [])],
            "submits": [{"name": str(s.get("name", "")), "reference": str(s.get("reference", "")),
                         "error": str(s.get("error", ""))} for s in body.get("submits", [])]})
