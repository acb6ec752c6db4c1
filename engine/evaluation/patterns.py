"""`collect … pattern` at run time: RE2, compiled once per pattern, so matching is linear."""

from __future__ import annotations

from functools import lru_cache

from engine.control import FlowError
from ivrlang.patterns import Pattern, PatternError, compile_pattern


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> Pattern | str:
    try:
        return compile_pattern(pattern)
    except PatternError as exc:
        return str(exc)


def matches(pattern: str, entry: str) -> bool:
    """True when the whole entry matches; FlowError when RE2 cannot run the pattern
    (an IR the checker never saw)."""
    compiled = _compiled(pattern)
    if isinstance(compiled, str):
        raise FlowError(f"pattern {pattern!r} is not RE2 syntax: {compiled}")
    return compiled.fullmatch(entry) is not None
