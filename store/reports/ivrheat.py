"""Per flow, what the IVR heat map colours: callers reaching and leaving each node, keys pressed.

The same reading of a call as the IVR report (store.reports.ivr): a caller
leaves the IVR at the node its first flow's part ended in, and only the
nodes visited up to there are that flow's (a survey after an agent is not).
Here every key press at a menu on that part counts, not only the last one,
so an edge of the flow's graph can carry how often its key was pressed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from store.reports.ivr import HOW, walks
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
    flows: dict[str, FlowHeat] = {}
    for walk in walks(period):
        h = flows.setdefault(walk.flow, FlowHeat(walk.flow))
        h.calls += 1
        visited = set(walk.ivr_path)
        h.reached.update(visited)
        if walk.node:
            h.left[walk.node] += 1
            h.how.setdefault(walk.node, Counter())[HOW.get(walk.reason, walk.reason)] += 1
        h.keys.update((str(menu), str(key)) for menu, key in walk.keys if menu in visited)
    return flows
