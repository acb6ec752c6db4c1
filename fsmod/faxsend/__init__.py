"""Fax jobs sent through FreeSWITCH: `originate {vars}ENDPOINT &txfax(FILE)` on the
control connection, the result from mod_spandsp's CUSTOM events, and faxes
received on the fax number kept in the store."""

from fsmod.faxsend.events import FaxEvents, FaxOutcome
from fsmod.faxsend.sender import FaxSender, run_fax_sender, serve_fax_worker

__all__ = ["FaxEvents", "FaxOutcome", "FaxSender", "run_fax_sender", "serve_fax_worker"]
