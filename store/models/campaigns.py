"""Outbound campaigns (migration 6): campaigns, their targets and every dial,
do-not-call lists, consent, promises to pay and the notices campaigns announce.

A target is one account a campaign calls, loaded once per campaign (unique
campaign + account). Its `state` is engine.campaigns.ports.TargetState;
while a worker dials it, `leased_by` names the worker and `lease_until`
ends the lease, so a crashed worker's targets come back by themselves
(store/campaigns/store.py). `subject` says what the call is about (the
notice, the interruption, the ticket): a source skips a customer already
told about that subject by another campaign.

Lists are JSON text (the phones in order of preference, the per-number
attempt counts, the flow's `target` record, the campaign's settings), so
SQLite and PostgreSQL store them alike. Instants are UTC, naive, like
every instant in the store; days (a promised payment date) are local dates.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel
from store.models.customers import choice

CAMPAIGN_STATES = ("draft", "running", "paused", "stopped")
CAMPAIGN_MODES = ("automatic", "preview", "progressive", "predictive")
TARGET_STATES = ("pending", "dialling", "answered", "completed", "retry_wait", "failed",
                 "excluded")
OUTCOMES = ("answered", "machine", "fax", "busy", "no_answer", "rejected", "unallocated",
            "network", "abandoned", "dnc", "lost")


class Campaign(BaseModel):
    """One outbound campaign: which flow talks to the callee, how it dials, whether it runs."""

    name = peewee.CharField(max_length=100, unique=True)
    flow = peewee.CharField(max_length=100)
    mode = peewee.CharField(max_length=20, default="automatic",
                            constraints=[peewee.Check(f"mode {choice(CAMPAIGN_MODES)}")])
    state = peewee.CharField(max_length=10, default="draft",
                             constraints=[peewee.Check(f"state {choice(CAMPAIGN_STATES)}")])
    settings = peewee.TextField(default="{}")        # JSON: windows, rates, retries, sources …
    caller_id = peewee.CharField(max_length=32, default="")   # the same on every try
    consent_type = peewee.CharField(max_length=40, default="")  # "": no consent needed
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()


class CampaignTarget(BaseModel):
    """One account a campaign calls, and where it stands."""

    campaign = peewee.ForeignKeyField(Campaign, backref="targets", on_delete="CASCADE")
    account = peewee.CharField(max_length=20)
    name = peewee.CharField(max_length=200)
    phones = peewee.TextField(default="[]")          # JSON list, in order of preference
    timezone = peewee.CharField(max_length=64)       # IANA name: the callee's calling window
    data = peewee.TextField(default="{}")            # JSON: the flow's `target` record
    subject = peewee.CharField(max_length=60, default="")  # what the call is about
    state = peewee.CharField(max_length=12, default="pending",
                             constraints=[peewee.Check(f"state {choice(TARGET_STATES)}")])
    reason = peewee.CharField(max_length=200, default="")  # why excluded or failed
    attempts = peewee.IntegerField(default=0)
    number_attempts = peewee.TextField(default="{}")  # JSON: number -> calls placed
    next_at = peewee.DateTimeField(null=True)        # due again (retry_wait); null: at once
    last_outcome = peewee.CharField(max_length=20, null=True)
    leased_by = peewee.CharField(max_length=100, default="")
    lease_until = peewee.DateTimeField(null=True)
    loaded_at = peewee.DateTimeField()

    class Meta:
        indexes = (
            (("campaign", "account"), True),          # a target is never loaded twice
            (("campaign", "state", "next_at"), False),   # claim: due targets, oldest first
            (("campaign", "state", "lease_until"), False),  # recover: ended leases
            (("account", "subject"), False),          # already told about this subject?
        )


class CampaignAttempt(BaseModel):
    """One dial of a target: the number, the caller ID, what happened and when."""

    target = peewee.ForeignKeyField(CampaignTarget, backref="attempt_rows", on_delete="CASCADE")
    campaign = peewee.ForeignKeyField(Campaign, backref="attempt_rows", on_delete="CASCADE")
    number = peewee.CharField(max_length=32)
    caller_id = peewee.CharField(max_length=32, default="")
    outcome = peewee.CharField(max_length=20,
                               constraints=[peewee.Check(f"outcome {choice(OUTCOMES)}")])
    cause = peewee.CharField(max_length=60, default="")    # FreeSWITCH hangup cause
    uuid = peewee.CharField(max_length=64, default="")
    node = peewee.CharField(max_length=100, default="")
    worker = peewee.CharField(max_length=100, default="")
    started_at = peewee.DateTimeField()
    answered_at = peewee.DateTimeField(null=True)
    agent_at = peewee.DateTimeField(null=True)
    ended_at = peewee.DateTimeField(null=True)
    detail = peewee.TextField(default="")

    class Meta:
        indexes = ((("campaign", "started_at"), False),)


class DncList(BaseModel):
    """A do-not-call list (the customer asked, the regulator's list, a complaint …)."""

    name = peewee.CharField(max_length=60, unique=True)
    description = peewee.CharField(max_length=200, default="")
    created_at = peewee.DateTimeField()


class DncEntry(BaseModel):
    """A number on a list: why, since when, until when (null: for good), who put it there."""

    dnc_list = peewee.ForeignKeyField(DncList, backref="entries", on_delete="CASCADE")
    number = peewee.CharField(max_length=32, index=True)   # national form (store.campaigns)
    reason = peewee.CharField(max_length=200, default="")
    added_at = peewee.DateTimeField()
    expires_at = peewee.DateTimeField(null=True)
    added_by = peewee.CharField(max_length=100, default="")

    class Meta:
        indexes = ((("dnc_list", "number"), True),)


class Consent(BaseModel):
    """A customer's consent to calls of one campaign type (market-research surveys …),
    by account or by number; revoked consent no longer counts."""

    account = peewee.CharField(max_length=20, null=True, index=True)
    number = peewee.CharField(max_length=32, null=True, index=True)
    campaign_type = peewee.CharField(max_length=40)
    given_at = peewee.DateTimeField()
    revoked_at = peewee.DateTimeField(null=True)
    source = peewee.CharField(max_length=100, default="")   # how it was given


class PromiseToPay(BaseModel):
    """A customer's promise to pay by a date, taken on a call."""

    account = peewee.CharField(max_length=20, index=True)
    promised_on = peewee.DateField()                  # local date
    amount = peewee.DecimalField(max_digits=12, decimal_places=2, null=True)  # arrears then
    call_id = peewee.CharField(max_length=64, default="")
    campaign = peewee.CharField(max_length=100, null=True, index=True)
    created_at = peewee.DateTimeField()


class Notice(BaseModel):
    """A published rule or price change the rule_change_affected source announces,
    to the customer classes it applies to ("" = every class, else comma-separated)."""

    notice_id = peewee.CharField(max_length=40, unique=True)
    title = peewee.CharField(max_length=200)
    summary = peewee.TextField(default="")
    effective_date = peewee.DateField()
    customer_classes = peewee.CharField(max_length=100, default="")
    published_at = peewee.DateTimeField()
    announce = peewee.BooleanField(default=True)      # still to announce by phone


MODELS = (Campaign, CampaignTarget, CampaignAttempt, DncList, DncEntry, Consent, PromiseToPay,
          Notice)
