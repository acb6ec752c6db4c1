"""Campaigns themselves: create one, move it through draft → running ⇄ paused → stopped.

The state is stored, so every worker process sees a pause or a stop: a
campaign that is not running hands out no targets (PeeweeCampaignStore.claim).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.campaigns.ports import Mode
from store.campaigns.common import (
    aware,
    campaign_row,
    naive,
    session,
    to_json,
    utcnow,
    write_transaction,
)
from store.campaigns.errors import CampaignError
from store.models.campaigns import CAMPAIGN_STATES, Campaign

# state -> the states it may move to
MOVES: dict[str, tuple[str, ...]] = {
    "draft": ("running", "stopped"),
    "running": ("paused", "stopped"),
    "paused": ("running", "stopped"),
    "stopped": (),
}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


@dataclass(frozen=True)
class CampaignInfo:
    """A campaign as stored."""

    name: str
    flow: str
    mode: Mode
    state: str
    caller_id: str
    consent_type: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


def info_of(row: Campaign) -> CampaignInfo:
    return CampaignInfo(row.name, row.flow, Mode(row.mode), row.state, row.caller_id,
                        row.consent_type, json.loads(row.settings or "{}"),
                        aware(row.created_at), aware(row.updated_at))


def create_campaign(name: str, flow: str, *, mode: Mode | str = Mode.AUTOMATIC,
                    caller_id: str = "", settings: Mapping[str, Any] | None = None,
                    consent_type: str = "", now: dt.datetime | None = None) -> CampaignInfo:
    """Make a campaign in state draft. `settings` is kept as given (JSON): the
    dialler's windows, rates and retries, and for sources `timezone` (the flow's)
    and `area_timezones` (postcode prefix -> IANA zone). `consent_type` set: only
    customers who consented to that type of call are dialled."""
    if not NAME.fullmatch(name or ""):
        raise CampaignError(f"{name!r} is not a campaign name: letters, digits, _ . - "
                            "(up to 100, starting with a letter or digit)")
    if not flow:
        raise CampaignError("a campaign needs the flow that talks to the callee")
    try:
        mode = Mode(mode)
    except ValueError:
        raise CampaignError(f"{mode!r} is not a dialling mode: one of "
                            f"{', '.join(m.value for m in Mode)}") from None
    when = naive(now or utcnow())
    with session(), write_transaction():
        if Campaign.select().where(Campaign.name == name).exists():
            raise CampaignError(f"a campaign named {name!r} exists already: choose another "
                                "name")
        row = Campaign.create(name=name, flow=flow, mode=mode.value, state="draft",
                              settings=to_json(dict(settings or {})), caller_id=caller_id[:32],
                              consent_type=consent_type[:40], created_at=when, updated_at=when)
    return info_of(row)


def get_campaign(name: str) -> CampaignInfo:
    """The campaign named `name` (UnknownCampaign when there is none)."""
    with session():
        return info_of(campaign_row(name))


def list_campaigns() -> list[CampaignInfo]:
    """Every campaign, newest first."""
    with session():
        return [info_of(r) for r in Campaign.select().order_by(Campaign.created_at.desc(),
                                                               Campaign.id.desc())]


def set_state(name: str, state: str, *, now: dt.datetime | None = None) -> CampaignInfo:
    """Move the campaign to `state` (start: running, pause: paused, resume: running,
    stop: stopped); the same state again is no change. A stopped campaign stays stopped."""
    if state not in CAMPAIGN_STATES:
        raise CampaignError(f"{state!r} is not a campaign state: one of "
                            f"{', '.join(CAMPAIGN_STATES)}")
    with session(), write_transaction():
        row = campaign_row(name)
        if row.state != state:
            if state not in MOVES[row.state]:
                raise CampaignError(f"campaign {name!r} is {row.state}: it cannot become "
                                    f"{state}" + (" (make a new campaign)"
                                                  if row.state == "stopped" else ""))
            row.state = state
            row.updated_at = naive(now or utcnow())
            row.save()
        return info_of(row)


def update_settings(name: str, settings: Mapping[str, Any],
                    now: dt.datetime | None = None) -> CampaignInfo:
    """Merge `settings` into the campaign's."""
    with session(), write_transaction():
        row = campaign_row(name)
        merged = {**json.loads(row.settings or "{}"), **settings}
        row.settings = to_json(merged)
        row.updated_at = naive(now or utcnow())
        row.save()
        return info_of(row)
