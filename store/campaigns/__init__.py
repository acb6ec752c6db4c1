"""Outbound campaigns in the store: the dialler's CampaignStore on peewee and
everything an operator does to a campaign's data (docs/campaigns-data.md).

`switchflow campaign …` (cli/campaign.py) calls these by name.
"""

from store.campaigns.consent import consent_given, give_consent, revoke_consent
from store.campaigns.csvimport import ImportReport, RejectedRow, import_csv
from store.campaigns.dnc import DncListing, add_dnc, check_dnc, dnc_lists, list_dnc, remove_dnc
from store.campaigns.errors import CampaignError, UnknownCampaign
from store.campaigns.manage import (
    CampaignInfo,
    create_campaign,
    get_campaign,
    list_campaigns,
    set_state,
    update_settings,
)
from store.campaigns.notices import publish_notice, withdraw_notice
from store.campaigns.promises import (
    MAX_PROMISE_DAYS,
    Promise,
    payment_day,
    promises,
    record_promise,
)
from store.campaigns.reports import CampaignReport, CampaignStatus, campaign_report, campaign_status
from store.campaigns.sources import SOURCES, LoadReport, Skipped, args_from_flow, load_targets
from store.campaigns.targets import PeeweeCampaignStore

__all__ = [
    "MAX_PROMISE_DAYS",
    "SOURCES",
    "CampaignError",
    "CampaignInfo",
    "CampaignReport",
    "CampaignStatus",
    "DncListing",
    "ImportReport",
    "LoadReport",
    "PeeweeCampaignStore",
    "Promise",
    "RejectedRow",
    "Skipped",
    "UnknownCampaign",
    "add_dnc",
    "args_from_flow",
    "campaign_report",
    "campaign_status",
    "check_dnc",
    "consent_given",
    "create_campaign",
    "dnc_lists",
    "get_campaign",
    "give_consent",
    "import_csv",
    "list_campaigns",
    "list_dnc",
    "load_targets",
    "payment_day",
    "promises",
    "publish_notice",
    "record_promise",
    "remove_dnc",
    "revoke_consent",
    "set_state",
    "update_settings",
    "withdraw_notice",
]
