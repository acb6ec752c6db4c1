"""Outbound campaigns: when and whether to dial each target (windows, pacing, retries,
predictive abandon cap), against a CampaignStore (ports.py)."""
