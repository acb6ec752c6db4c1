"""What `switchflow campaign status` and `report` print, as typed figures.

The abandon rate is over calls a person answered: abandoned / (answered +
abandoned), where an abandoned call is one answered with no agent within the
connect threshold (the dialler records it so). Answering machines and fax
tones are not in it. The reach rate is targets a person answered at least
once over the targets that could be dialled (excluded ones left out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import peewee

from engine.campaigns.ports import Mode, Outcome, TargetState
from store.campaigns.common import aware, campaign_row, naive, session, utcnow
from store.latefees import CENT
from store.models.campaigns import CampaignAttempt, CampaignTarget, PromiseToPay

RATE_WINDOW = dt.timedelta(minutes=1)
PERSON = (Outcome.ANSWERED.value, Outcome.ABANDONED.value)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class CampaignStatus:
    """Live progress: counts per target state, calls, the current rate, the abandon rate."""

    name: str
    flow: str
    mode: Mode
    state: str
    total: int
    counts: Mapping[TargetState, int]
    attempts: int
    calls_last_minute: int
    rate: float                      # calls placed per second over the last minute
    answered: int                    # calls a person answered (abandoned ones included)
    abandoned: int
    abandon_rate: float | None       # None until a person answered
    next_due: dt.datetime | None = None  # aware UTC: the earliest target due (None: none left)

    @property
    def done(self) -> int:
        """Targets with nothing more to do."""
        return sum(self.counts[s] for s in (TargetState.COMPLETED, TargetState.FAILED,
                                            TargetState.EXCLUDED))

    @property
    def progress(self) -> float:
        """The share of targets done, 0..1 (the bar)."""
        return self.done / self.total if self.total else 1.0


@dataclass(frozen=True)
class CampaignReport:
    """How a campaign went: reach, outcomes, promises to pay, transfers, abandons."""

    name: str
    flow: str
    mode: Mode
    state: str
    targets: int
    dialable: int                    # targets minus excluded
    reached: int                     # targets a person answered at least once
    reach_rate: float | None
    attempts: int
    outcomes: Mapping[Outcome, int]
    states: Mapping[TargetState, int]
    excluded: Mapping[str, int]      # reason -> targets
    promises: int
    promised_amount: Decimal
    transfers: int                   # calls an agent took
    abandon_rate: float | None
    first_call: dt.datetime | None = None
    last_call: dt.datetime | None = None
    attempts_per_target: Mapping[int, int] = field(default_factory=dict)  # calls -> targets


def _states(cid: int) -> dict[TargetState, int]:
    found = dict(CampaignTarget.select(CampaignTarget.state, peewee.fn.COUNT(1))
                 .where(CampaignTarget.campaign == cid).group_by(CampaignTarget.state).tuples())
    return {s: found.get(s.value, 0) for s in TargetState}


def _outcomes(cid: int, since: dt.datetime | None = None) -> dict[Outcome, int]:
    query = (CampaignAttempt.select(CampaignAttempt.outcome, peewee.fn.COUNT(1))
             .where(CampaignAttempt.campaign == cid))
    if since is not None:
        query = query.where(CampaignAttempt.started_at >= since)
    found = dict(query.group_by(CampaignAttempt.outcome).tuples())
    return {o: found.get(o.value, 0) for o in Outcome}


def campaign_status(name: str, now: dt.datetime | None = None) -> CampaignStatus:
    """The campaign's progress at `now` (aware; the wall clock by default)."""
    at = naive(now or utcnow())
    with session():
        row = campaign_row(name)
        counts = _states(row.id)
        outcomes = _outcomes(row.id)
        recent = (CampaignAttempt.select()
                  .where(CampaignAttempt.campaign == row.id,
                         CampaignAttempt.started_at > at - RATE_WINDOW,
                         CampaignAttempt.started_at <= at,
                         CampaignAttempt.outcome != Outcome.LOST.value).count())
        due = (CampaignTarget.select(peewee.fn.MIN(peewee.fn.COALESCE(CampaignTarget.next_at, at)))
               .where(CampaignTarget.campaign == row.id,
                      CampaignTarget.state.in_((TargetState.PENDING.value,
                                                TargetState.RETRY_WAIT.value))).scalar())
    placed = sum(n for o, n in outcomes.items() if o is not Outcome.DNC)
    answered = outcomes[Outcome.ANSWERED] + outcomes[Outcome.ABANDONED]
    return CampaignStatus(
        name=row.name, flow=row.flow, mode=Mode(row.mode), state=row.state,
        total=sum(counts.values()), counts=counts, attempts=placed, calls_last_minute=recent,
        rate=recent / RATE_WINDOW.total_seconds(), answered=answered,
        abandoned=outcomes[Outcome.ABANDONED],
        abandon_rate=_ratio(outcomes[Outcome.ABANDONED], answered),
        next_due=aware(_as_datetime(due)))


def campaign_report(name: str) -> CampaignReport:
    """The campaign's results so far (or final, once it stopped)."""
    with session():
        row = campaign_row(name)
        states = _states(row.id)
        outcomes = _outcomes(row.id)
        reached = (CampaignAttempt.select(CampaignAttempt.target).distinct()
                   .where(CampaignAttempt.campaign == row.id,
                          CampaignAttempt.outcome.in_(PERSON)).count())
        transfers = (CampaignAttempt.select()
                     .where(CampaignAttempt.campaign == row.id,
                            CampaignAttempt.agent_at.is_null(False)).count())
        promises = (PromiseToPay.select(peewee.fn.COUNT(PromiseToPay.id),
                                        peewee.fn.SUM(PromiseToPay.amount))
                    .where(PromiseToPay.campaign == row.name).tuples().first())
        excluded = dict(CampaignTarget.select(CampaignTarget.reason, peewee.fn.COUNT(1))
                        .where(CampaignTarget.campaign == row.id,
                               CampaignTarget.state == TargetState.EXCLUDED.value)
                        .group_by(CampaignTarget.reason).tuples())
        first, last = (CampaignAttempt.select(peewee.fn.MIN(CampaignAttempt.started_at),
                                              peewee.fn.MAX(CampaignAttempt.started_at))
                       .where(CampaignAttempt.campaign == row.id).tuples().first())
        spread = dict(CampaignTarget.select(CampaignTarget.attempts, peewee.fn.COUNT(1))
                      .where(CampaignTarget.campaign == row.id)
                      .group_by(CampaignTarget.attempts).tuples())
    total = sum(states.values())
    dialable = total - states[TargetState.EXCLUDED]
    answered = outcomes[Outcome.ANSWERED] + outcomes[Outcome.ABANDONED]
    return CampaignReport(
        name=row.name, flow=row.flow, mode=Mode(row.mode), state=row.state, targets=total,
        dialable=dialable, reached=reached, reach_rate=_ratio(reached, dialable),
        attempts=sum(n for o, n in outcomes.items() if o is not Outcome.DNC),
        outcomes=outcomes, states=states, excluded={k or "unknown": v for k, v in
                                                    excluded.items()},
        promises=promises[0] or 0, promised_amount=Decimal(str(promises[1] or 0)).quantize(CENT),
        transfers=transfers, abandon_rate=_ratio(outcomes[Outcome.ABANDONED], answered),
        first_call=aware(_as_datetime(first)), last_call=aware(_as_datetime(last)),
        attempts_per_target=dict(sorted(spread.items())))


def _as_datetime(value: object) -> dt.datetime | None:
    """MIN/MAX over a datetime column: SQLite hands back text."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))
