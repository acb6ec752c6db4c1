"""The ticket lifecycle as data: which change is allowed from which status.

    new → dispatched → accepted → in_progress → resolved → closed
    return: dispatched | accepted | in_progress → new (back to the dispatcher, with a reason)
    reopen: resolved | closed → dispatched (its team gets it again) or new (no team)

A pause (waiting for the customer or for parts) is not a status: the ticket
keeps its status and `paused_reason` says why it waits. While paused only
talking about it (note, contact, urge), resume, and the watcher's severity
and reassignment actions are allowed. The refusal names the current status
and what is allowed from it, so the person can act.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.tickets.errors import IllegalTransition

OPEN = ("new", "dispatched", "accepted", "in_progress")
NOT_CLOSED = (*OPEN, "resolved")


@dataclass(frozen=True)
class Rule:
    needs: tuple[str, ...]      # statuses it is allowed from
    while_paused: bool          # allowed while the ticket is paused
    paused: bool | None = None  # True: only when paused; False: only when not; None: either


RULES: dict[str, Rule] = {
    "dispatch": Rule(("new", "dispatched"), False),
    "accept": Rule(("dispatched",), False),
    "start": Rule(("accepted",), False),
    "note": Rule(NOT_CLOSED, True),
    "contact": Rule(NOT_CLOSED, True),
    "urge": Rule(OPEN, True),
    "pause": Rule(("dispatched", "accepted", "in_progress"), False, paused=False),
    "resume": Rule(OPEN, True, paused=True),
    "return": Rule(("dispatched", "accepted", "in_progress"), False),
    "resolve": Rule(("accepted", "in_progress"), False),
    "close": Rule(("resolved",), False),
    "reopen": Rule(("resolved", "closed"), False),
    "severity": Rule(OPEN, True),
    "reassign": Rule(OPEN, True),
}

# verbs people use (the watcher's severity/reassign are not offered in messages)
OFFERED = ("dispatch", "accept", "start", "note", "contact", "urge", "pause", "resume",
           "return", "resolve", "close", "reopen")


def allowed(status: str, paused: bool) -> list[str]:
    """The changes a person may make to a ticket in this status."""
    return [verb for verb in OFFERED if _permits(RULES[verb], status, paused)]


def _permits(rule: Rule, status: str, paused: bool) -> bool:
    if status not in rule.needs:
        return False
    if rule.paused is not None and rule.paused != paused:
        return False
    return rule.while_paused or not paused


def check(verb: str, number: str, status: str, paused_reason: str | None) -> None:
    """Raise IllegalTransition, naming the status and what is allowed, unless `verb` may run."""
    rule = RULES[verb]
    paused = paused_reason is not None
    if _permits(rule, status, paused):
        return
    now = f"it is {status}" + (f", paused ({paused_reason})" if paused else "")
    if status in rule.needs and rule.paused is True:
        why = "it is not paused"
    elif status in rule.needs and rule.paused is False:
        why = "it is already paused"
    elif status in rule.needs:
        why = "resume it first"
    else:
        why = f"{verb} needs {' or '.join(rule.needs)}"
    can = allowed(status, paused)
    options = f"; allowed now: {', '.join(can)}" if can else "; nothing more can be done to it"
    raise IllegalTransition(f"cannot {verb} ticket {number}: {now} ({why}){options}")
