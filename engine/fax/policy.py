"""When a fax job is called again, and when it stops: HylaFAX's two counters and a window.

Every call placed is a *dial* (busy and no answer included); a call a fax
machine (or anything) answered is a *try*. A job stops as delivered, or
failed when either limit is reached, when the far end cannot take the fax
(final T.30 results, an unallocated or unroutable number, a rejected call),
or when its lifetime ends. Busy is called again after `busy_retry`, no
answer after `no_answer_retry`, a retryable fax failure after
`failed_retry` with a fallback (results.py). A document the far end's
spandsp refused as a file (codes 41–47) is drawn again and sent at once,
not counted as a try. Calls go out only inside the delivery window, local
time: a retry that would fall outside waits for the next opening.

Pure: the store applies `next_step` to a job's row (store.faxjobs).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from .results import FALLBACKS, FaxResult, Verdict, judge

UTC = dt.UTC
MAX_RENDERS = 3    # a document refused this many times is not drawn again


class CallKind(enum.StrEnum):
    ANSWERED = "answered"        # the far end answered: `result` holds txfax's outcome
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"        # CALL_REJECTED: the far end refused the call
    NO_ROUTE = "no_route"        # unallocated number, no route, bad number format
    FAILED = "failed"            # the network could not place it this time
    LOST = "lost"                # our link went down: the call may or may not have happened


NO_ROUTE_CAUSES = frozenset({"UNALLOCATED_NUMBER", "NO_ROUTE_DESTINATION", "NO_ROUTE_TRANSIT_NET",
                             "INVALID_NUMBER_FORMAT", "NUMBER_CHANGED",
                             "INCOMPATIBLE_DESTINATION"})


def call_kind(cause: str) -> CallKind:
    """A failed originate's cause (`-ERR USER_BUSY` …) as the kind of call it was."""
    cause = cause.strip().upper()
    if cause == "USER_BUSY":
        return CallKind.BUSY
    if cause in ("NO_ANSWER", "NO_USER_RESPONSE", "ALLOTTED_TIMEOUT", "ORIGINATOR_CANCEL"):
        return CallKind.NO_ANSWER
    if cause == "CALL_REJECTED":
        return CallKind.REJECTED
    if cause in NO_ROUTE_CAUSES:
        return CallKind.NO_ROUTE
    return CallKind.FAILED


@dataclass(frozen=True)
class CallOutcome:
    """How one fax call went, as the sender saw it."""

    kind: CallKind
    hangup_cause: str = ""
    result: FaxResult | None = None   # ANSWERED: txfax's result (None: none came in time)
    detail: str = ""


@dataclass(frozen=True)
class FaxPolicy:
    max_dials: int = 12
    max_tries: int = 3
    busy_retry: dt.timedelta = dt.timedelta(minutes=3)
    no_answer_retry: dt.timedelta = dt.timedelta(minutes=5)
    failed_retry: dt.timedelta = dt.timedelta(minutes=5)
    lifetime: dt.timedelta = dt.timedelta(hours=24)
    window: tuple[dt.time, dt.time] | None = None     # local opening hours
    zone: dt.tzinfo = field(default=UTC)

    @classmethod
    def from_settings(cls, settings) -> FaxPolicy:
        from engine.calendars.clock import get_zone

        fax = settings.fax
        return cls(fax.max_dials, fax.max_tries, dt.timedelta(milliseconds=fax.busy_retry),
                   dt.timedelta(milliseconds=fax.no_answer_retry),
                   dt.timedelta(milliseconds=fax.failed_retry),
                   dt.timedelta(milliseconds=fax.lifetime), parse_window(fax.window),
                   get_zone(settings.engine.timezone))

    def in_window(self, when: dt.datetime) -> dt.datetime:
        """`when`, or the next moment the window opens (aware UTC in, aware UTC out)."""
        if self.window is None:
            return when
        start, end = self.window
        local = when.astimezone(self.zone)
        t = local.time()
        if (start <= t < end) if start < end else (t >= start or t < end):
            return when
        day = local.date() if t < start else local.date() + dt.timedelta(days=1)
        opening = dt.datetime.combine(day, start, self.zone)
        return opening.astimezone(UTC)


def parse_window(text: str) -> tuple[dt.time, dt.time] | None:
    """"08:00-21:00" -> (08:00, 21:00); "" -> None (any time); "24:00" is midnight."""
    if not text:
        return None
    a, b = text.split("-")

    def at(s: str) -> dt.time:
        h, m = (int(x) for x in s.split(":"))
        return dt.time(0, 0) if h == 24 else dt.time(h, m)
    start, end = at(a), at(b)
    return None if start == end else (start, end)


@dataclass(frozen=True)
class JobCounters:
    """What the policy needs to know of a job."""

    dials: int
    tries: int
    renders: int
    max_dials: int
    max_tries: int
    pages: int
    fallbacks: tuple[str, ...]
    expires_at: dt.datetime


@dataclass(frozen=True)
class Step:
    """What becomes of the job after one call."""

    state: str                      # retry_wait, queued (re-render), delivered, failed
    next_at: dt.datetime | None
    reason: str
    dials: int
    tries: int
    renders: int
    fallbacks: tuple[str, ...]
    verdict: str                    # the attempt's own verdict: delivered, retry, final …
    rerender: bool = False


def next_step(job: JobCounters, outcome: CallOutcome, now: dt.datetime,
              policy: FaxPolicy) -> Step:
    dials = job.dials + 1
    tries = job.tries
    renders = job.renders
    fallbacks = job.fallbacks
    rerender = False
    if outcome.kind == CallKind.ANSWERED:
        tries += 1
        if outcome.result is None:
            verdict, reason, wait = Verdict.RETRY, outcome.detail or "no fax result came", \
                policy.failed_retry
        else:
            judged = judge(outcome.result, job.pages)
            verdict, reason, wait = judged.verdict, judged.reason, policy.failed_retry
            fallbacks = tuple(f for f in FALLBACKS if f in {*fallbacks, *judged.fallbacks})
            if verdict == Verdict.DELIVERED:
                return Step("delivered", None, "OK", dials, tries, renders, fallbacks,
                            verdict.value)
            if verdict == Verdict.DOCUMENT:
                tries -= 1                 # our file's fault: not the far end's try
                renders += 1
                if renders >= MAX_RENDERS:
                    return Step("failed", None, f"document refused {renders} times: {reason}",
                                dials, tries, renders, fallbacks, verdict.value)
                return _retry(job, "queued", now, f"document refused, drawn again: {reason}",
                              dials, tries, renders, fallbacks, verdict.value, policy,
                              dt.timedelta(0), rerender=True)
            if verdict == Verdict.FINAL:
                return Step("failed", None, reason, dials, tries, renders, fallbacks,
                            verdict.value)
        if tries >= job.max_tries:
            return Step("failed", None, f"{reason} ({tries} tries)", dials, tries, renders,
                        fallbacks, verdict.value)
        return _retry(job, "retry_wait", now, reason, dials, tries, renders, fallbacks,
                      verdict.value, policy, wait, rerender)
    cause = f" ({outcome.hangup_cause})" if outcome.hangup_cause else ""
    if outcome.kind in (CallKind.REJECTED, CallKind.NO_ROUTE):
        words = "the call was rejected" if outcome.kind == CallKind.REJECTED \
            else "the number cannot be reached"
        return Step("failed", None, words + cause, dials, tries, renders, fallbacks, "final")
    wait = {CallKind.BUSY: policy.busy_retry,
            CallKind.NO_ANSWER: policy.no_answer_retry}.get(outcome.kind, policy.failed_retry)
    words = {CallKind.BUSY: "busy", CallKind.NO_ANSWER: "no answer",
             CallKind.LOST: "the link to FreeSWITCH was lost during the call"
             }.get(outcome.kind, "the call failed")
    reason = words + cause + (f": {outcome.detail}" if outcome.detail else "")
    return _retry(job, "retry_wait", now, reason, dials, tries, renders, fallbacks, "retry",
                  policy, wait)


def _retry(job: JobCounters, state: str, now: dt.datetime, reason: str, dials: int, tries: int,
           renders: int, fallbacks: tuple[str, ...], verdict: str, policy: FaxPolicy,
           wait: dt.timedelta, rerender: bool = False) -> Step:
    if dials >= job.max_dials:
        return Step("failed", None, f"{reason} ({dials} dials)", dials, tries, renders,
                    fallbacks, verdict)
    at = policy.in_window(now + wait)
    if at > job.expires_at:
        return Step("failed", None, f"{reason}; lifetime ended", dials, tries, renders,
                    fallbacks, verdict)
    return Step(state, at, reason, dials, tries, renders, fallbacks, verdict, rerender)
