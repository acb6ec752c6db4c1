"""`CampaignStore` in memory: for `campaign simulate`, the tests and the benchmark.

It keeps the protocol's promises the way the peewee store does (one worker
per lease, recovered leases recorded as LOST attempts, DNC attempts not
counted as calls placed), so the dialler behaves the same on both. Not shared
between processes.
"""

from __future__ import annotations

import datetime as dt
import heapq
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from engine.campaigns.outcomes import FINAL_FOR_NUMBER, NOT_THE_NUMBERS_FAULT, REACHED
from engine.campaigns.ports import Attempt, DncHit, Outcome, Target, TargetState

_DUE = (TargetState.PENDING, TargetState.RETRY_WAIT)
_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class DncEntry:
    number: str
    list_name: str
    reason: str
    since: dt.datetime
    until: dt.datetime | None = None


class MemoryCampaignStore:
    """Targets, attempts and do-not-call entries of any number of campaigns."""

    def __init__(self) -> None:
        self.targets: dict[int, Target] = {}
        self._attempts: list[tuple[str, Attempt]] = []
        self.dnc_entries: list[DncEntry] = []
        self.dials: list[tuple[int, str]] = []     # (target, number) of every placed call
        self._next_id = 1
        self._lock = threading.RLock()
        # due targets by (due time, id), stale entries skipped; counts kept as they change
        self._due: dict[str, list[tuple[dt.datetime, int]]] = {}
        self._counts: dict[str, dict[TargetState, int]] = {}
        self._leased: dict[str, set[int]] = {}

    def _set(self, t: Target) -> None:
        """Store `t`, keeping the due index and the counts."""
        old = self.targets.get(t.id)
        counts = self._counts.setdefault(t.campaign, {s: 0 for s in TargetState})
        if old is not None:
            counts[old.state] -= 1
        counts[t.state] += 1
        self.targets[t.id] = t
        leased = self._leased.setdefault(t.campaign, set())
        if t.state == TargetState.DIALLING:
            leased.add(t.id)
        else:
            leased.discard(t.id)
        if t.state in _DUE and (old is None or old.state not in _DUE
                                or old.next_at != t.next_at):
            heapq.heappush(self._due.setdefault(t.campaign, []), (t.next_at or _EPOCH, t.id))

    def _is_due_entry(self, at: dt.datetime, tid: int) -> bool:
        t = self.targets.get(tid)
        return t is not None and t.state in _DUE and (t.next_at or _EPOCH) == at

    def next_due(self, campaign: str) -> dt.datetime | None:
        """When the next target of `campaign` is due (None: none waits). Not in the
        protocol: the dialler uses it, when a store has it, to sleep until then."""
        with self._lock:
            heap = self._due.get(campaign, [])
            while heap and not self._is_due_entry(*heap[0]):
                heapq.heappop(heap)
            return heap[0][0] if heap else None

    # ------------------------------------------------------------ filling it

    def add(self, campaign: str, phones: Iterable[str], *, account: str = "", name: str = "",
            timezone: str = "Asia/Shanghai", data: Mapping | None = None) -> Target:
        with self._lock:
            tid = self._next_id
            self._next_id += 1
            target = Target(tid, campaign, account or f"A{tid:08d}", name or f"target {tid}",
                            tuple(phones), timezone, dict(data or {}))
            self._set(target)
            return target

    def add_dnc(self, number: str, list_name: str = "internal", reason: str = "",
                since: dt.datetime | None = None, until: dt.datetime | None = None) -> None:
        self.dnc_entries.append(DncEntry(number, list_name, reason,
                                         since or dt.datetime(2000, 1, 1, tzinfo=dt.UTC), until))

    # ------------------------------------------------------------ the protocol

    def claim(self, campaign: str, now: dt.datetime, limit: int, worker: str,
              lease_s: float) -> list[Target]:
        with self._lock:
            heap = self._due.get(campaign, [])
            until = now + dt.timedelta(seconds=lease_s)
            out: list[Target] = []
            while heap and len(out) < max(0, limit):
                at, tid = heap[0]
                if not self._is_due_entry(at, tid):
                    heapq.heappop(heap)
                    continue
                if at > now:
                    break
                heapq.heappop(heap)
                leased = replace(self.targets[tid], state=TargetState.DIALLING,
                                 leased_by=worker, lease_until=until)
                self._set(leased)
                out.append(leased)
            return out

    def renew(self, target_id: int, worker: str, until: dt.datetime) -> bool:
        with self._lock:
            t = self.targets.get(target_id)
            if t is None or t.state != TargetState.DIALLING or t.leased_by != worker:
                return False
            self._set(replace(t, lease_until=until))
            return True

    def finish(self, target_id: int, worker: str, attempt: Attempt | None,
               state: TargetState, next_at: dt.datetime | None = None) -> bool:
        with self._lock:
            t = self.targets.get(target_id)
            if t is None or t.state != TargetState.DIALLING or t.leased_by != worker:
                return False
            if attempt is not None:
                t = self._record(t, attempt)
            self._set(replace(t, state=state, next_at=next_at, leased_by="", lease_until=None))
            return True

    def _record(self, t: Target, attempt: Attempt) -> Target:
        self._attempts.append((t.campaign, attempt))
        if attempt.outcome == Outcome.DNC:
            return replace(t, last_outcome=attempt.outcome)
        if attempt.outcome != Outcome.LOST or attempt.detail != "lease expired":
            self.dials.append((t.id, attempt.number))
        per = dict(t.number_attempts)
        per[attempt.number] = per.get(attempt.number, 0) + 1
        failures = dict(t.number_failures)
        closed = set(t.closed_numbers)
        if attempt.outcome in FINAL_FOR_NUMBER:
            closed.add(attempt.number)
        elif attempt.outcome not in NOT_THE_NUMBERS_FAULT and attempt.outcome not in REACHED:
            failures[attempt.number] = failures.get(attempt.number, 0) + 1
        return replace(t, attempts=t.attempts + 1, number_attempts=per,
                       number_failures=failures, closed_numbers=frozenset(closed),
                       last_outcome=attempt.outcome)

    def recover(self, campaign: str, now: dt.datetime) -> int:
        with self._lock:
            n = 0
            for tid in list(self._leased.get(campaign, ())):
                t = self.targets[tid]
                if t.lease_until is not None and t.lease_until < now:
                    lost = Attempt(t.id, t.phones[0] if t.phones else "", "", Outcome.LOST,
                                   t.lease_until, detail="lease expired")
                    t = self._record(t, lost)
                    self._set(replace(t, state=TargetState.RETRY_WAIT, next_at=now,
                                      leased_by="", lease_until=None))
                    n += 1
            return n

    def target(self, target_id: int) -> Target | None:
        return self.targets.get(target_id)

    def workers(self, campaign: str | None, now: dt.datetime) -> set[str]:
        """Workers holding a live lease on the campaign (any, for None): they share its caps."""
        with self._lock:
            leased = (self._leased.get(campaign, ()) if campaign is not None
                      else [tid for ids in self._leased.values() for tid in ids])
            return {t.leased_by for tid in leased
                    if (t := self.targets[tid]).lease_until is not None and t.lease_until > now}

    def counts(self, campaign: str) -> Mapping[TargetState, int]:
        with self._lock:
            return dict(self._counts.get(campaign) or {s: 0 for s in TargetState})

    def attempts(self, campaign: str, since: dt.datetime | None = None) -> Sequence[Attempt]:
        return [a for c, a in self._attempts
                if c == campaign and (since is None or a.started_at >= since)]

    def dnc(self, number: str, at: dt.datetime) -> DncHit | None:
        for e in self.dnc_entries:
            if e.number == number and e.since <= at and (e.until is None or at < e.until):
                return DncHit(e.number, e.list_name, e.reason, e.since)
        return None

    def pending(self, campaign: str) -> int:
        """Targets still to be called (pending, retry-wait or dialling)."""
        counts = self.counts(campaign)
        return sum(counts[s] for s in (*_DUE, TargetState.DIALLING))
