"""What the campaign dialler needs from its store, as types and a protocol.

The dialler (engine/campaigns) decides *when* and *whether* to dial; the
store (store/campaigns on peewee, or `MemoryCampaignStore` for simulations)
keeps each target's state so that a restart resumes where it stopped and no
number is dialled twice. A target is leased before it is dialled: the lease
names the worker and ends at `until`; a lease that ends without `finish`
(a crashed worker) is recovered by `recover`, never by hand.

Times are timezone-aware UTC datetimes everywhere in this protocol.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class TargetState(StrEnum):
    PENDING = "pending"          # never tried yet
    DIALLING = "dialling"        # leased by a worker; a call may be in progress
    ANSWERED = "answered"        # answered, the flow is talking to the callee
    COMPLETED = "completed"      # reached: nothing more to do
    RETRY_WAIT = "retry_wait"    # tried; due again at next_at
    FAILED = "failed"            # out of tries or a final outcome
    EXCLUDED = "excluded"        # do-not-call, no consent, inactive account, no valid number


class Outcome(StrEnum):
    """One attempt's outcome, from FreeSWITCH's originate result and hangup cause
    (engine/campaigns/outcomes.py classifies them)."""

    ANSWERED = "answered"        # a person (or nobody detected otherwise) answered
    MACHINE = "machine"          # an answering machine was detected
    FAX = "fax"                  # a fax tone answered
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"
    UNALLOCATED = "unallocated"  # the number does not exist (final)
    NETWORK = "network"          # network or trunk trouble: try again later
    ABANDONED = "abandoned"      # answered, no agent within the connect threshold
    DNC = "dnc"                  # on a do-not-call list at dial time (final for the number)
    LOST = "lost"                # the control link went down: the call may exist


class Mode(StrEnum):
    AUTOMATIC = "automatic"      # the flow plays to the callee
    PREVIEW = "preview"          # an agent accepts or skips first, then the call is placed
    PROGRESSIVE = "progressive"  # one call per free agent
    PREDICTIVE = "predictive"    # more calls than free agents, under an abandon-rate cap


@dataclass(frozen=True)
class Target:
    """One person a campaign calls. `phones` in order of preference; `timezone` the
    callee's (IANA name) for calling windows; `data` the flow's `target` record."""

    id: int
    campaign: str
    account: str
    name: str
    phones: tuple[str, ...]
    timezone: str
    data: Mapping[str, Any] = field(default_factory=dict)
    state: TargetState = TargetState.PENDING
    attempts: int = 0                                     # calls placed to this target
    number_attempts: Mapping[str, int] = field(default_factory=dict)  # per phone number
    next_at: dt.datetime | None = None
    last_outcome: Outcome | None = None
    leased_by: str = ""
    lease_until: dt.datetime | None = None
    # added by campaign-engine: what the store derives from the attempts it recorded
    number_failures: Mapping[str, int] = field(default_factory=dict)
    """Per number: placed calls that failed through the number's fault (not busy,
    network, lost or abandoned: engine.campaigns.outcomes.NOT_THE_NUMBERS_FAULT)."""
    closed_numbers: frozenset[str] = frozenset()
    """Numbers never to dial again: an attempt on them ended UNALLOCATED."""


@dataclass(frozen=True)
class Attempt:
    """What one dial did: the number tried, with which caller ID, and how it went."""

    target_id: int
    number: str
    caller_id: str
    outcome: Outcome
    started_at: dt.datetime
    cause: str = ""              # FreeSWITCH hangup cause name (USER_BUSY …), "" if none
    uuid: str = ""               # the answered leg's uuid
    node: str = ""
    answered_at: dt.datetime | None = None
    agent_at: dt.datetime | None = None   # when an agent took the call (progressive/predictive)
    ended_at: dt.datetime | None = None
    detail: str = ""             # free text: the job body, the DNC list hit …
    # Outcome.DNC: no call was placed (the number was on a list at dial time); the
    # store does not count it in Target.attempts / number_attempts (campaign-engine)


@dataclass(frozen=True)
class DncHit:
    """`number` is on list `list_name` since `since` (reason kept for the report)."""

    number: str
    list_name: str
    reason: str
    since: dt.datetime


class CampaignStore(Protocol):
    """Target state shared by every worker of a campaign (PostgreSQL row locks, or
    one SQLite writer at a time). Every method is one transaction."""

    def claim(self, campaign: str, now: dt.datetime, limit: int, worker: str,
              lease_s: float) -> list[Target]:
        """Up to `limit` due targets (PENDING, or RETRY_WAIT with next_at <= now),
        oldest due first, each moved to DIALLING with a lease for `worker` until
        now + lease_s. Two workers never get the same target (FOR UPDATE SKIP LOCKED)."""

    def renew(self, target_id: int, worker: str, until: dt.datetime) -> bool:
        """Extend a lease this worker holds; False if it is no longer this worker's."""

    def finish(self, target_id: int, worker: str, attempt: Attempt | None,
               state: TargetState, next_at: dt.datetime | None = None) -> bool:
        """Record `attempt` (None: released without dialling, e.g. outside its window)
        and move the target to `state` (next_at for RETRY_WAIT). Only the worker that
        holds the lease may finish; False (and nothing written) otherwise."""

    def recover(self, campaign: str, now: dt.datetime) -> int:
        """Targets whose lease ended before `now` go back to RETRY_WAIT due at once
        (a call that may have been placed is recorded as an Outcome.LOST attempt);
        returns how many."""

    def target(self, target_id: int) -> Target | None: ...

    def counts(self, campaign: str) -> Mapping[TargetState, int]: ...

    def attempts(self, campaign: str, since: dt.datetime | None = None) -> Sequence[Attempt]:
        """The campaign's attempts, oldest first (abandon rate, reports, simulate)."""

    def dnc(self, number: str, at: dt.datetime) -> DncHit | None:
        """The first do-not-call entry covering `number` at `at`, if any."""
