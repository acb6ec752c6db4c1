"""PeeweeCampaignStore: the dialler's CampaignStore on SQLite or PostgreSQL.

A target is dialled only under a lease. `claim` picks due targets and leases
them in one transaction: on PostgreSQL with `SELECT … FOR UPDATE SKIP
LOCKED`, so workers in several processes take disjoint targets without
waiting for each other; on SQLite the transaction holds the write lock from
its start (BEGIN IMMEDIATE), one claimer at a time. `finish` writes only
while the lease is still the worker's, so a worker whose lease was
recovered meanwhile cannot overwrite the redial's result; `recover` hands
ended leases back as due retries, with a LOST attempt recorded because the
call may have been placed.

A campaign that needs consent (its `consent_type`) has targets without it
excluded at claim time, so consent revoked after loading still counts.
Only a running campaign hands out targets: a pause or a stop stored by
`switchflow campaign pause|stop` holds every worker process at its next claim.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence

import peewee

from engine.campaigns.outcomes import FINAL_FOR_NUMBER, NOT_THE_NUMBERS_FAULT, REACHED
from engine.campaigns.ports import Attempt, DncHit, Outcome, Target, TargetState
from store.campaigns.common import (
    aware,
    is_postgresql,
    naive,
    session,
    to_json,
    write_transaction,
)
from store.campaigns.consent import consent_given
from store.campaigns.dnc import check_dnc
from store.campaigns.errors import UnknownCampaign
from store.models.base import database
from store.models.campaigns import Campaign, CampaignAttempt, CampaignTarget

# states in which a target is leased: a call may be in progress
LEASED = (TargetState.DIALLING.value, TargetState.ANSWERED.value)


def number_history(target_ids: Sequence[int]) -> dict[int, tuple[frozenset[str], dict[str, int]]]:
    """Per target, from its recorded attempts: the numbers never to dial again (an
    unallocated number, a do-not-call hit) and each number's failures by its own fault,
    so a restarted or second worker knows them as the one that dialled did."""
    out: dict[int, tuple[set[str], dict[str, int]]] = {}
    if not target_ids:
        return {}
    rows = (CampaignAttempt
            .select(CampaignAttempt.target, CampaignAttempt.number, CampaignAttempt.outcome,
                    peewee.fn.COUNT(CampaignAttempt.id))
            .where(CampaignAttempt.target.in_(list(target_ids)))
            .group_by(CampaignAttempt.target, CampaignAttempt.number, CampaignAttempt.outcome)
            .tuples())
    for target_id, number, outcome, n in rows:
        closed, failures = out.setdefault(target_id, (set(), {}))
        seen = Outcome(outcome)
        if seen in FINAL_FOR_NUMBER:
            closed.add(number)
        elif seen not in NOT_THE_NUMBERS_FAULT and seen not in REACHED:
            failures[number] = failures.get(number, 0) + n
    return {k: (frozenset(c), f) for k, (c, f) in out.items()}


def target_of(row: CampaignTarget, campaign: str,
              history: tuple[frozenset[str], dict[str, int]] | None = None) -> Target:
    """A stored target as the protocol's Target (`history`: from number_history)."""
    closed, failures = history or (frozenset(), {})
    return Target(
        id=row.id, campaign=campaign, account=row.account, name=row.name,
        phones=tuple(json.loads(row.phones or "[]")), timezone=row.timezone,
        data=json.loads(row.data or "{}"), state=TargetState(row.state),
        attempts=row.attempts, number_attempts=json.loads(row.number_attempts or "{}"),
        next_at=aware(row.next_at),
        last_outcome=Outcome(row.last_outcome) if row.last_outcome else None,
        leased_by=row.leased_by, lease_until=aware(row.lease_until),
        number_failures=failures, closed_numbers=closed)


def attempt_of(row: CampaignAttempt) -> Attempt:
    return Attempt(
        target_id=row.target_id, number=row.number, caller_id=row.caller_id,
        outcome=Outcome(row.outcome), started_at=aware(row.started_at), cause=row.cause,
        uuid=row.uuid, node=row.node, answered_at=aware(row.answered_at),
        agent_at=aware(row.agent_at), ended_at=aware(row.ended_at), detail=row.detail)


class PeeweeCampaignStore:
    """engine.campaigns.ports.CampaignStore on the store's database (see the module doc)."""

    def __init__(self, only_running: bool = True) -> None:
        """`only_running` False: claim from a campaign in any state (simulations, tests)."""
        self._ids: dict[str, tuple[int, str]] = {}
        self.only_running = only_running

    # ------------------------------------------------------------ the protocol

    def claim(self, campaign: str, now: dt.datetime, limit: int, worker: str,
              lease_s: float) -> list[Target]:
        if limit <= 0:
            return []
        at = naive(now)
        until = naive(now + dt.timedelta(seconds=lease_s))
        with session():
            cid, consent_type = self._campaign(campaign)
            with write_transaction():
                if self.only_running and Campaign.select(Campaign.state).where(
                        Campaign.id == cid).scalar() != "running":
                    return []
                rows = self._due(cid, at, limit)
                if not rows:
                    return []
                rows, refused = self._with_consent(rows, consent_type, at)
                if refused:
                    (CampaignTarget.update(state=TargetState.EXCLUDED.value,
                                           reason=f"no {consent_type} consent", next_at=None)
                     .where(CampaignTarget.id.in_([r.id for r in refused])).execute())
                if rows:
                    (CampaignTarget.update(state=TargetState.DIALLING.value, leased_by=worker,
                                           lease_until=until)
                     .where(CampaignTarget.id.in_([r.id for r in rows])).execute())
            history = number_history([r.id for r in rows if r.attempts])
        claimed = []
        for row in rows:
            row.state, row.leased_by, row.lease_until = TargetState.DIALLING.value, worker, until
            claimed.append(target_of(row, campaign, history.get(row.id)))
        return claimed

    def renew(self, target_id: int, worker: str, until: dt.datetime) -> bool:
        with session(), write_transaction():
            return (CampaignTarget.update(lease_until=naive(until))
                    .where(CampaignTarget.id == target_id, CampaignTarget.leased_by == worker,
                           CampaignTarget.state.in_(LEASED))
                    .execute()) == 1

    def finish(self, target_id: int, worker: str, attempt: Attempt | None,
               state: TargetState, next_at: dt.datetime | None = None) -> bool:
        state = TargetState(state)
        due = None
        if state is TargetState.RETRY_WAIT:      # no time given: due at once, never lost
            due = naive(next_at) if next_at is not None else (
                naive(attempt.started_at) if attempt is not None else dt.datetime(2000, 1, 1))
        values: dict[str, object] = {"state": state.value, "next_at": due}
        if state.value not in LEASED:            # out of the call: the lease ends
            values.update(leased_by="", lease_until=None)
        if attempt is not None:
            values["last_outcome"] = Outcome(attempt.outcome).value
            if state in (TargetState.FAILED, TargetState.EXCLUDED):
                values["reason"] = _reason(attempt)
        with session():
            if is_postgresql():
                return self._finish_pg(target_id, worker, attempt, values)
            with write_transaction():
                row = CampaignTarget.get_or_none(CampaignTarget.id == target_id)
                if row is None or row.leased_by != worker or row.state not in LEASED:
                    return False
                if attempt is not None:
                    counts = json.loads(row.number_attempts or "{}")
                    counts[attempt.number] = counts.get(attempt.number, 0) + 1
                    values.update(number_attempts=to_json(counts), attempts=row.attempts + 1)
                    CampaignAttempt.insert(_attempt_row(row.id, row.campaign_id, attempt,
                                                        worker)).execute()
                CampaignTarget.update({getattr(CampaignTarget, k): v for k, v in values.items()}
                                      ).where(CampaignTarget.id == target_id).execute()
                return True

    @staticmethod
    def _finish_pg(target_id: int, worker: str, attempt: Attempt | None,
                   values: dict[str, object]) -> bool:
        """One statement, so one round trip and its own transaction: the target is
        updated only while the lease is the worker's, and the attempt is written
        only for a row the update matched."""
        sets = [f'"{k}" = %s' for k in values]
        params: list[object] = list(values.values())
        if attempt is not None:
            sets.append('"attempts" = "attempts" + 1')
            sets.append('"number_attempts" = (COALESCE(NULLIF("number_attempts", \'\'), '
                        "'{}')::jsonb || jsonb_build_object(%s::text, COALESCE(("
                        "NULLIF(\"number_attempts\", '')::jsonb ->> %s::text)::int, 0) + 1)"
                        ")::text")
            params += [attempt.number, attempt.number]
        update = (f'UPDATE "campaign_target" SET {", ".join(sets)} WHERE "id" = %s AND '
                  f'"leased_by" = %s AND "state" IN (%s, %s)')
        params += [target_id, worker, *LEASED]
        if attempt is None:
            return database.execute_sql(update, params).rowcount == 1
        row = _attempt_row(0, 0, attempt, worker)
        del row["target"], row["campaign"]
        columns = ", ".join(f'"{k}"' for k in row)
        # typed, so a None is a NULL timestamp, not text
        marks = ", ".join("%s::timestamp" if k.endswith("_at") else "%s" for k in row)
        sql = (f'WITH "done" AS ({update} RETURNING "id", "campaign_id") '
               f'INSERT INTO "campaign_attempt" ("target_id", "campaign_id", {columns}) '
               f'SELECT "id", "campaign_id", {marks} FROM "done"')
        return database.execute_sql(sql, params + list(row.values())).rowcount == 1

    def recover(self, campaign: str, now: dt.datetime) -> int:
        at = naive(now)
        with session():
            cid, _ = self._campaign(campaign)
            with write_transaction():
                query = (CampaignTarget.select()
                         .where(CampaignTarget.campaign == cid,
                                CampaignTarget.state.in_(LEASED),
                                CampaignTarget.lease_until < at))
                if is_postgresql():
                    query = query.for_update("FOR UPDATE SKIP LOCKED")
                rows = list(query)
                for row in rows:
                    was = row.state
                    CampaignAttempt.create(
                        target=row.id, campaign=cid, number="", caller_id="",
                        outcome=Outcome.LOST.value, worker=row.leased_by, started_at=at,
                        ended_at=at,
                        detail=(f"lease of {row.leased_by} ended at "
                                f"{row.lease_until:%Y-%m-%d %H:%M:%S} UTC without a result "
                                f"(target was {was}); a call may have been placed"))
                    (CampaignTarget.update(
                        state=TargetState.RETRY_WAIT.value, next_at=at, leased_by="",
                        lease_until=None, last_outcome=Outcome.LOST.value,
                        attempts=CampaignTarget.attempts + 1)
                     .where(CampaignTarget.id == row.id).execute())
        return len(rows)

    def workers(self, campaign: str | None, now: dt.datetime) -> set[str]:
        """The workers holding a live lease on the campaign's targets (any campaign's,
        for None): the processes dialling it now, which share its caps."""
        with session():
            query = (CampaignTarget.select(CampaignTarget.leased_by).distinct()
                     .where(CampaignTarget.state.in_(LEASED),
                            CampaignTarget.lease_until > naive(now)))
            if campaign is not None:
                query = query.where(CampaignTarget.campaign == self._campaign(campaign)[0])
            return set(query.scalars())

    def target(self, target_id: int) -> Target | None:
        with session():
            row = (CampaignTarget.select(CampaignTarget, Campaign.name).join(Campaign)
                   .where(CampaignTarget.id == target_id).first())
            if row is None:
                return None
            return target_of(row, row.campaign.name, number_history([row.id]).get(row.id))

    def counts(self, campaign: str) -> Mapping[TargetState, int]:
        with session():
            cid, _ = self._campaign(campaign)
            found = dict(CampaignTarget.select(CampaignTarget.state, peewee.fn.COUNT(1))
                         .where(CampaignTarget.campaign == cid)
                         .group_by(CampaignTarget.state).tuples())
        return {s: found.get(s.value, 0) for s in TargetState}

    def attempts(self, campaign: str, since: dt.datetime | None = None) -> Sequence[Attempt]:
        with session():
            cid, _ = self._campaign(campaign)
            query = CampaignAttempt.select().where(CampaignAttempt.campaign == cid)
            if since is not None:
                query = query.where(CampaignAttempt.started_at >= naive(since))
            return [attempt_of(r) for r in
                    query.order_by(CampaignAttempt.started_at, CampaignAttempt.id)]

    def dnc(self, number: str, at: dt.datetime) -> DncHit | None:
        listing = check_dnc(number, at)
        if listing is None:
            return None
        return DncHit(number=number, list_name=listing.list_name, reason=listing.reason,
                      since=listing.added_at)

    # ------------------------------------------------------------ beyond the protocol

    def forget(self, campaign: str | None = None) -> None:
        """Drop the cached campaign ids (a campaign deleted and made again)."""
        if campaign is None:
            self._ids.clear()
        else:
            self._ids.pop(campaign, None)

    # ------------------------------------------------------------ the machinery

    def _campaign(self, name: str) -> tuple[int, str]:
        if name not in self._ids:
            row = (Campaign.select(Campaign.id, Campaign.consent_type)
                   .where(Campaign.name == name).first())
            if row is None:
                raise UnknownCampaign(name)
            self._ids[name] = (row.id, row.consent_type)
        return self._ids[name]

    def _due(self, cid: int, at: dt.datetime, limit: int) -> list[CampaignTarget]:
        """Due retries (oldest due first), then never-tried targets in load order; each
        query walks the (campaign, state, next_at) index and skips rows others hold."""
        retries = (CampaignTarget.select()
                   .where(CampaignTarget.campaign == cid,
                          CampaignTarget.state == TargetState.RETRY_WAIT.value,
                          CampaignTarget.next_at <= at)
                   .order_by(CampaignTarget.next_at, CampaignTarget.id).limit(limit))
        if is_postgresql():
            retries = retries.for_update("FOR UPDATE SKIP LOCKED")
        rows = list(retries)
        if len(rows) < limit:
            fresh = (CampaignTarget.select()
                     .where(CampaignTarget.campaign == cid,
                            CampaignTarget.state == TargetState.PENDING.value)
                     .order_by(CampaignTarget.id).limit(limit - len(rows)))
            if is_postgresql():
                fresh = fresh.for_update("FOR UPDATE SKIP LOCKED")
            rows += list(fresh)
        return rows

    @staticmethod
    def _with_consent(rows: list[CampaignTarget], consent_type: str, at: dt.datetime
                      ) -> tuple[list[CampaignTarget], list[CampaignTarget]]:
        if not consent_type:
            return rows, []
        ok, refused = [], []
        for row in rows:
            phones = json.loads(row.phones or "[]")
            if consent_given(consent_type, row.account, phones, at):
                ok.append(row)
            else:
                refused.append(row)
        return ok, refused


def _attempt_row(target_id: int, campaign_id: int, attempt: Attempt, worker: str
                 ) -> dict[str, object]:
    """The campaign_attempt row of one dial (column names)."""
    def stored(instant: dt.datetime | None) -> dt.datetime | None:
        return None if instant is None else naive(instant)
    return {"target": target_id, "campaign": campaign_id, "number": attempt.number,
            "caller_id": attempt.caller_id, "outcome": Outcome(attempt.outcome).value,
            "cause": attempt.cause, "uuid": attempt.uuid, "node": attempt.node,
            "worker": worker, "started_at": naive(attempt.started_at),
            "answered_at": stored(attempt.answered_at), "agent_at": stored(attempt.agent_at),
            "ended_at": stored(attempt.ended_at), "detail": attempt.detail}


def _reason(attempt: Attempt) -> str:
    """Why a target ended failed or excluded, for the report."""
    text = Outcome(attempt.outcome).value
    if attempt.cause:
        text += f" ({attempt.cause})"
    if attempt.detail:
        text += f": {attempt.detail}"
    return text[:200]
