"""`CampaignStore` in memory: for `campaign simulate`, the tests and the benchmark.

It keeps the protocol's promises the way the peewee store does (one worker
per lease, recovered leases recorded as LOST attempts, DNC attempts not
counted as calls placed), so the dialler behaves the same on both. Not shared
between processes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from engine.campaigns.outcomes import FINAL_FOR_NUMBER, NOT_THE_NUMBERS_FAULT
from engine.campaigns.ports import Attempt, DncHit, Outcome, Target, TargetState

_DUE = (TargetState.PENDING, TargetState.RETRY_WAIT)


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
        self._lock = threading.Lock()

    # ------------------------------------------------------------ filling it

    def add(self, campaign: str, phones: Iterable[str], *, account: str = "", name: str = "",
            timezone: str = "Asia/Shanghai", data: Mapping | None = None) -> Target:
        with self._lock:
            tid = self._next_id
            self._next_id += 1
            target = Target(tid, campaign, account or f"A{tid:08d}", name or f"target {tid}",
                            tuple(phones), timezone, dict(data or {}))
            self.targets[tid] = target
            return target

    def add_dnc(self, number: str, list_name: str = "internal", reason: str = "",
                since: dt.datetime | None = None, until: dt.datetime | None = None) -> None:
        self.dnc_entries.append(DncEntry(number, list_name, reason,
                                         since or dt.datetime(2000, 1, 1, tzinfo=dt.UTC), until))

    # ------------------------------------------------------------ the protocol

    def claim(self, campaign: str, now: dt.datetime, limit: int, worker: str,
              lease_s: float) -> list[Target]:
        with self._lock:
            due = [t for t in self.targets.values() if t.campaign == campaign
                   and (t.state == TargetState.PENDING or
                        (t.state == TargetState.RETRY_WAIT
                         and (t.next_at is None or t.next_at <= now)))]
            epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
            due.sort(key=lambda t: (t.next_at or epoch, t.id))
            until = now + dt.timedelta(seconds=lease_s)
            out = []
            for t in due[:max(0, limit)]:
                leased = replace(t, state=TargetState.DIALLING, leased_by=worker,
                                 lease_until=until)
                self.targets[t.id] = leased
                out.append(leased)
            return out

    def renew(self, target_id: int, worker: str, until: dt.datetime) -> bool:
        with self._lock:
            t = self.targets.get(target_id)
            if t is None or t.state != TargetState.DIALLING or t.leased_by != worker:
                return False
            self.targets[target_id] = replace(t, lease_until=until)
            return True

    def finish(self, target_id: int, worker: str, attempt: Attempt | None,
               state: TargetState, next_at: dt.datetime | None = None) -> bool:
        with self._lock:
            t = self.targets.get(target_id)
            if t is None or t.state != TargetState.DIALLING or t.leased_by != worker:
                return False
            if attempt is not None:
                t = self._record(t, attempt)
            self.targets[target_id] = replace(t, state=state, next_at=next_at, leased_by="",
                                              lease_until=None)
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
        elif attempt.outcome not in NOT_THE_NUMBERS_FAULT and attempt.outcome not in (
                Outcome.ANSWERED, Outcome.MACHINE, Outcome.FAX):
            failures[attempt.number] = failures.get(attempt.number, 0) + 1
        return replace(t, attempts=t.attempts + 1, number_attempts=per,
                       number_failures=failures, closed_numbers=frozenset(closed),
                       last_outcome=attempt.outcome)

    def recover(self, campaign: str, now: dt.datetime) -> int:
        with self._lock:
            n = 0
            for t in list(self.targets.values()):
                if t.campaign == campaign and t.state == TargetState.DIALLING \
                        and t.lease_until is not None and t.lease_until < now:
                    lost = Attempt(t.id, t.phones[0] if t.phones else "", "", Outcome.LOST,
                                   t.lease_until, detail="lease expired")
                    t = self._record(t, lost)
                    self.targets[t.id] = replace(t, state=TargetState.RETRY_WAIT, next_at=now,
                                                 leased_by="", lease_until=None)
                    n += 1
            return n

    def target(self, target_id: int) -> Target | None:
        return self.targets.get(target_id)

    def counts(self, campaign: str) -> Mapping[TargetState, int]:
        out = {s: 0 for s in TargetState}
        for t in self.targets.values():
            if t.campaign == campaign:
                out[t.state] += 1
        return out

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
        return sum(1 for t in self.targets.values() if t.campaign == campaign and t.state in
                   (*_DUE, TargetState.DIALLING))
