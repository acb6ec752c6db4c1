"""Per flow, what the IVR heat map colours: callers reaching and leaving each node, keys pressed.

The same reading of a call as the IVR report (store.reports.ivr): a caller
leaves the IVR at the node its first flow's part ended in, and only the
nodes visited up to there are that flow's (a survey after an agent is not).
Here every key press at a menu on that part counts, not only the last one,
so an edge of the flow's graph can carry how often its key was pressed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from store.models.base import database
from store.models.calls import CallRow, CallSegment
from store.reports.ivr import HOW
from store.reports.model import Period


@dataclass
class FlowHeat:
    flow: str
    calls: int = 0
    reached: Counter[str] = field(default_factory=Counter)        # node -> calls reaching it
    left: Counter[str] = field(default_factory=Counter)           # node -> calls leaving there
    how: dict[str, Counter[str]] = field(default_factory=dict)    # node -> how they left -> calls
    keys: Counter[tuple[str, str]] = field(default_factory=Counter)  # (menu, key) -> presses


def heat(period: Period) -> dict[str, FlowHeat]:
    """Each flow that took calls started in the period, with its counts."""
    lo, hi = period.utc_bounds()
    with database.connection_context():
        calls = list(CallRow.select(CallRow.id, CallRow.flow, CallRow.end_reason, CallRow.body)
                     .where(CallRow.started_at >= lo, CallRow.started_at < hi))
        first = {s.call_id: s for s in CallSegment.select().join(CallRow)
                 .where(CallRow.started_at >= lo, CallRow.started_at < hi,
                        CallSegment.position == 0)}
    flows: dict[str, FlowHeat] = {}
    for call in calls:
        body = json.loads(call.body)
        path, keys = body.get("path") or [], body.get("keys") or []
        segment = first.get(call.id)
        name = segment.flow if segment else call.flow
        node = segment.node if segment else (path[-1] if path else "")
        reason = segment.reason if segment else call.end_reason
        ivr_path = path[:path.index(node) + 1] if node in path else path
        h = flows.setdefault(name, FlowHeat(name))
        h.calls += 1
        h.reached.update(set(ivr_path))
        if node:
            h.left[node] += 1
            h.how.setdefault(node, Counter())[HOW.get(reason, reason)] += 1
        visited = set(ivr_path)
        h.keys.update((str(menu), str(key)) for menu, key in keys if menu in visited)
    return flows
