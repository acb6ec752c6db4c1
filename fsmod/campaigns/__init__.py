"""The campaign dialler on FreeSWITCH: calls placed with originate, the serve worker."""

from fsmod.campaigns.dialer import FsDialer
from fsmod.campaigns.worker import campaign_workers

__all__ = ["FsDialer", "campaign_workers"]
