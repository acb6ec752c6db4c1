"""Did-you-mean suggestions for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like `name`, if one is close enough to be a typo."""
    pool = sorted(set(candidates))
    if not pool:
        return None
    found = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if found:
        return found[0]
    lowered = {c.lower(): c for c in pool}
    return lowered.get(name.lower())


def did_you_mean(name: str, candidates: Iterable[str], fmt: str = "`{}`") -> str:
    """A help text `did you mean `x`?`, or "" when nothing is close."""
    best = closest(name, candidates)
    return f"did you mean {fmt.format(best)}?" if best else ""
