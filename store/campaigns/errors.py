"""The errors campaign management raises: worded for the operator, never a traceback."""

from __future__ import annotations


class CampaignError(Exception):
    """Bad input to campaign management (an unknown campaign, a bad state change …);
    the message says what to do."""


class UnknownCampaign(CampaignError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no campaign named {name!r}: `switchflow campaign create` makes one")
        self.name = name
