"""The IVR report: where callers leave the IVR, per node and key.

A caller leaves the IVR when the flow that took the call ends its part
(the call's first segment): at the node it ended in, for the reason it ended
(hung up, queued to an agent, transferred …). The key is the last menu key
the caller pressed before leaving ("—" when none): keys are recorded in
order as (menu, key) with the nodes visited (the call record's `path` and
`keys`, kept in the record's JSON), and those of menus the caller reached
before the node they left from are theirs to this point. Flows that run
after an agent (a satisfaction survey) are not the IVR the caller came in
through and are left out.

Besides the exits, each node: how many calls reached it and how many left there.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from store.models.base import database
from store.models.calls import CallRow, CallSegment
from store.reports.model import Chart, Column, Metric, Period, Report, Table, percent

HOW = {
    "caller_hangup": "caller hung up",
    "hangup": "flow ended the call",
    "queued": "queued for an agent",
    "transferred": "transferred",
    "goto_flow": "went to another flow",
    "queue_timeout": "queue timed out",
    "queue_noagent": "no agent",
    "queue_abandoned": "hung up in the queue",
    "no_input": "no input (tries used up)",
    "max_call_time": "call too long",
    "loop_guard": "loop guard",
    "error": "flow error",
    "fell_off": "flow ended",
}


@dataclass(frozen=True)
class Exit:
    flow: str
    node: str
    key: str          # "menu:key", or "—"
    how: str


def last_key(path: list[str], keys: list, node: str) -> str:
    """The last key pressed at a menu visited before the caller reached `node`."""
    reached = path[:path.index(node) + 1] if node in path else path
    before = set(reached)
    for menu, key in reversed(keys):
        if menu in before:
            return f"{menu}:{key}"
    return "—"


@dataclass(frozen=True)
class Walk:
    """One call's part in its first flow: where it left the IVR and what it did there."""

    flow: str
    node: str                 # where the first flow's part ended ("" if nowhere)
    reason: str               # how it ended (a segment's end reason)
    path: list[str]           # every node of the call
    ivr_path: list[str]       # the nodes up to `node`: the IVR's part
    keys: list                # (menu, key) of the whole call


def walks(period: Period) -> list[Walk]:
    """Each call started in the period, read as the IVR reports read it: a caller
    leaves the IVR at the node its first flow's part ended in."""
    lo, hi = period.utc_bounds()
    with database.connection_context():
        calls = list(CallRow.select(CallRow.id, CallRow.flow, CallRow.end_reason, CallRow.body)
                     .where(CallRow.started_at >= lo, CallRow.started_at < hi))
        first = {s.call_id: s for s in CallSegment.select().join(CallRow)
                 .where(CallRow.started_at >= lo, CallRow.started_at < hi,
                        CallSegment.position == 0)}
    found = []
    for call in calls:
        body = json.loads(call.body)
        path, keys = body.get("path") or [], body.get("keys") or []
        segment = first.get(call.id)
        node = segment.node if segment else (path[-1] if path else "")
        found.append(Walk(segment.flow if segment else call.flow, node,
                          segment.reason if segment else call.end_reason, path,
                          path[:path.index(node) + 1] if node in path else path, keys))
    return found


def exits(period: Period) -> tuple[list[Exit], Counter[str]]:
    """Each call's IVR exit, and how many calls reached each node."""
    found, reached = [], Counter()
    for walk in walks(period):
        reached.update(set(walk.ivr_path))
        found.append(Exit(walk.flow, walk.node or "—", last_key(walk.path, walk.keys, walk.node),
                          HOW.get(walk.reason, walk.reason)))
    return found, reached


def build(period: Period) -> Report:
    found, reached = exits(period)
    total = len(found)
    counted = Counter(found)
    rows = tuple((e.flow, e.node, e.key, e.how, n, percent(n, total))
                 for e, n in sorted(counted.items(),
                                    key=lambda item: (-item[1], item[0].node, item[0].key)))
    table = Table("exits", "where callers left the IVR (node, last key, how)",
                  (Column("flow", "flow", "text"), Column("node", "node", "text"),
                   Column("key", "last key", "text"), Column("how", "how", "text"),
                   Column("calls", "calls"), Column("share", "share", "percent")), rows)
    left = Counter(e.node for e in found)
    hung_up = Counter(e.node for e in found if e.how == HOW["caller_hangup"])
    nodes = Table("nodes", "calls per node: reached, left there, hung up there",
                  (Column("node", "node", "text"), Column("reached", "reached"),
                   Column("left", "left here"), Column("hung_up", "hung up here"),
                   Column("left_share", "left of those reaching", "percent")),
                  tuple((node, n, left[node], hung_up[node], percent(left[node], n))
                        for node, n in sorted(reached.items(), key=lambda i: (-i[1], i[0]))))
    by_how = Counter(e.how for e in found)
    summary = (Metric("calls", "calls", total),
               *(Metric(k, how, by_how[how]) for k, how in HOW.items() if by_how[how]),
               *(Metric(how, how, n) for how, n in sorted(by_how.items())
                 if how not in HOW.values()))
    top = rows[:12]
    chart = Chart("Where callers leave the IVR (node · last key)",
                  tuple(f"{r[1]} · {r[2]}" for r in reversed(top)),
                  tuple((how, tuple(r[4] if r[3] == how else 0 for r in reversed(top)))
                        for how in dict.fromkeys(r[3] for r in top)),
                  value_label="calls", horizontal=True) if top else None
    notes = ("A call leaves the IVR where its first flow's part ended; flows after an agent "
             "(surveys) are not counted.",
             "The key is the last menu key pressed before leaving (menu:key).",
             f"Calls are those started in the period, local time ({period.zone}).")
    return Report("ivr", "IVR exits", period, summary, (table, nodes), chart, notes)
