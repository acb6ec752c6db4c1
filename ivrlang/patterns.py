"""`collect … pattern` in RE2 syntax: matched in time linear in the entry, whatever the pattern.

Python's `re` backtracks: `^(\\d+)+5$` against 30 zeros runs for a minute,
and every call of the process waits with it. RE2 (the google-re2 package)
never backtracks, at the price of refusing what needs backtracking
(backreferences `\\1`, lookaround `(?=…)`). The checker compiles each
pattern here, so a pattern RE2 cannot run is an error before the flow ships;
the engine compiles it here too (engine/evaluation/patterns.py).
"""

from __future__ import annotations

from typing import Protocol

import re2

RE2_HELP = ("patterns are RE2 syntax: Python's, less backreferences (`\\1`) and lookaround "
            "(`(?=…)`, `(?!…)`); e.g. `^1[3-9][0-9]{9}$`")


class Pattern(Protocol):
    def fullmatch(self, text: str) -> object | None: ...


class PatternError(ValueError):
    """RE2 cannot compile the pattern; the message says why."""


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False      # our own message says what is wrong, not RE2's stderr
    options.never_capture = True    # a pattern only says yes or no
    return options


_OPTIONS = _options()


def compile_pattern(pattern: str) -> Pattern:
    """The compiled pattern, or PatternError with RE2's reason."""
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(str(reason) or "RE2 cannot compile it") from None
