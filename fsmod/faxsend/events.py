"""mod_spandsp's results as the control connection hears them.

A fax call's txfax result is a CUSTOM `spandsp::txfaxresult` event with
`fax-success`, `fax-result-code`, `fax-result-text`,
`fax-document-transferred-pages` / `-total-pages` (captures
inbound-fax-control, inbound-fax-failures-control). It may come before the
originate's BACKGROUND_JOB (the job's `+OK <uuid>` is read after the fax in
capture inbound-fax-control) and before or after the channel's
CHANNEL_HANGUP_COMPLETE (after it when the far end dropped the call, code
49), so results are kept by the job key the call carries (`sf_fax_job`)
and by channel uuid until the sender asks for them. A busy number gives
`-ERR USER_BUSY` and no fax event at all.

`spandsp::rxfaxresult` of a call marked `sf_fax_inbox` (the fax number's
dialplan sets it) is a fax received: `on_received` gets it.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from dataclasses import dataclass

import gevent.event

from engine.fax.results import FaxResult
from fsmod.esl.events import Event

KEEP_S = 3600.0          # results nobody asked for are forgotten after this long
KEEP_MAX = 10_000


@dataclass(frozen=True)
class FaxOutcome:
    """A txfax result and the channel it came from."""

    result: FaxResult
    uuid: str
    hangup_cause: str = ""


@dataclass(frozen=True)
class ReceivedEvent:
    """An rxfax result on the fax number."""

    node: str
    uuid: str
    caller: str
    destination: str
    path: str
    result: FaxResult
    remote_station: str


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def fax_result(event: Event) -> FaxResult:
    """The result headers of a spandsp result event, typed."""
    return FaxResult(success=event.get("fax-success") == "1",
                     code=_int(event.get("fax-result-code")),
                     text=event.get("fax-result-text") or "",
                     pages=_int(event.get("fax-document-transferred-pages")),
                     total_pages=_int(event.get("fax-document-total-pages")),
                     ecm_used=event.get("fax-ecm-used") == "on",
                     t38_used=(event.get("fax-t38-status") or "off") not in ("off", ""))


class FaxEvents:
    """Subscribe it to fsmod.control.Control (`control.subscribe(events.on_event)`)."""

    def __init__(self, on_received: Callable[[ReceivedEvent], None] | None = None) -> None:
        self.on_received = on_received
        self._results: collections.OrderedDict[str, tuple[float, FaxOutcome]] = \
            collections.OrderedDict()
        self._hangups: collections.OrderedDict[str, tuple[float, str]] = \
            collections.OrderedDict()
        self._changed = gevent.event.Event()

    def on_event(self, node: str, event: Event) -> None:
        if event.name == "CUSTOM" and event.subclass == "spandsp::txfaxresult":
            variables = event.variables
            outcome = FaxOutcome(fax_result(event), event.unique_id,
                                 event.get("Hangup-Cause") or "")
            for key in (variables.get("sf_fax_job"), event.unique_id):
                if key:
                    self._keep(self._results, key, outcome)
        elif event.name == "CUSTOM" and event.subclass == "spandsp::rxfaxresult":
            variables = event.variables
            if variables.get("sf_fax_inbox") and self.on_received is not None:
                self.on_received(ReceivedEvent(
                    node, event.unique_id,
                    event.get("Caller-Caller-ID-Number") or event.get("Caller-ANI") or "",
                    event.get("Caller-Destination-Number") or "",
                    variables.get("fax_filename") or "", fax_result(event),
                    event.get("fax-remote-station-id") or ""))
        elif event.name == "CHANNEL_HANGUP_COMPLETE":
            cause = event.get("Hangup-Cause") or ""
            for key in (event.variables.get("sf_fax_job"), event.unique_id):
                if key:
                    self._keep(self._hangups, key, cause)
        else:
            return
        self._changed.set()

    def _keep(self, store: collections.OrderedDict, key: str, value: object) -> None:
        now = time.monotonic()
        store[key] = (now, value)
        store.move_to_end(key)
        while store and (len(store) > KEEP_MAX or next(iter(store.values()))[0] < now - KEEP_S):
            store.popitem(last=False)

    def hangup_cause(self, key: str) -> str:
        kept = self._hangups.get(key)
        return kept[1] if kept else ""

    def wait(self, keys: tuple[str, ...], timeout: float,
             gone: Callable[[], bool] = lambda: False, grace: float = 0.0) -> FaxOutcome | None:
        """The txfax result of the call known by any of `keys`, waiting up to `timeout`
        seconds; once `gone()` (the call ended) at most `grace` seconds more."""
        deadline = time.monotonic() + timeout
        ended_at: float | None = None
        while True:
            for key in keys:
                kept = self._results.pop(key, None)
                if kept is not None:
                    for other in keys:
                        self._results.pop(other, None)
                    return kept[1]
            now = time.monotonic()
            if ended_at is None and gone():
                ended_at = now
            limit = deadline if ended_at is None else min(deadline, ended_at + grace)
            if now >= limit:
                return None
            self._changed.clear()
            self._changed.wait(min(limit - now, 0.5))

    def wait_hangup(self, keys: tuple[str, ...], timeout: float) -> str:
        """The hangup cause of the call known by any of `keys`, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            cause = next((c for c in map(self.hangup_cause, keys) if c), "")
            now = time.monotonic()
            if cause or now >= deadline:
                return cause
            self._changed.clear()
            self._changed.wait(min(deadline - now, 0.5))
