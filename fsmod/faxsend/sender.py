"""The fax sender: claim due jobs, draw their document, call, record the result.

One pass (`FaxSender.pass_once`) claims up to `concurrency` due jobs from
the store (row locks, leases: store.faxjobs) and sends each in a greenlet:
the document is rendered once per job (again after the far end refused the
file), then `bgapi originate {origination_caller_id_number=…,
originate_timeout=…,sf_fax_job=JOB-ATTEMPT,fax_ident=…[,fax_use_ecm=false…]}
ENDPOINT &txfax(FILE)` is placed through fsmod.control's Originator. A
failed originate (`-ERR USER_BUSY` …) is the call's outcome; an answered one
waits for mod_spandsp's txfax result (FaxEvents) up to [fax] call_deadline,
after which the call is hung up and the try counted without a result. The
store applies the retry policy (engine.fax.policy).

`run_fax_sender` repeats passes every [fax] poll until stopped;
`serve_fax_worker(service)` is what `switchflow serve` runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gevent
from gevent.event import Event as GEvent

from engine.fax.policy import CallKind, CallOutcome, FaxPolicy, call_kind
from engine.fax.renderer import pages_in
from engine.fax.results import channel_variables
from engine.seams.documents import DocumentRenderer, RenderError
from fsmod.commands import validate
from fsmod.commands.api import uuid_kill
from fsmod.commands.apps import txfax
from fsmod.control.link import ControlError
from fsmod.control.originate import OriginateRequest, Originator
from fsmod.faxsend.events import FaxEvents, ReceivedEvent

log = logging.getLogger(__name__)

RESULT_GRACE_S = 30.0
"""After the fax call's channel is gone, how long its txfax result may still take
(capture inbound-fax-failures-control: it follows the hangup by milliseconds)."""


HANGUP_WAIT_S = 10.0
"""After a txfax result, how long the channel's hangup (its cause) is waited for."""


@dataclass(frozen=True)
class SenderConfig:
    owner: str
    endpoint: str = "sofia/gateway/pstn/{target}"
    caller_id: str = ""
    station_id: str = ""
    ring_timeout_s: int = 60
    call_deadline_s: float = 900.0
    lease: dt.timedelta = dt.timedelta(minutes=30)
    concurrency: int = 2
    poll_s: float = 5.0
    result_grace_s: float = RESULT_GRACE_S

    @classmethod
    def from_settings(cls, settings: Any, owner: str | None = None) -> SenderConfig:
        fax = settings.fax
        return cls(owner or default_owner(), settings.dial.number, fax.caller_id,
                   fax.station_id, max(1, fax.ring_timeout // 1000), fax.call_deadline / 1000,
                   dt.timedelta(milliseconds=fax.lease), fax.concurrency, fax.poll / 1000)


def default_owner() -> str:
    """Who holds a claimed job: this host and process (shown in `fax show`)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FaxSender:
    def __init__(self, config: SenderConfig, originator: Originator, events: FaxEvents,
                 renderer: DocumentRenderer, policy: FaxPolicy,
                 now: Callable[[], dt.datetime] = _wall_clock,
                 connection: Callable[[], Any] | None = None) -> None:
        """`connection()`: a context manager giving this greenlet a store connection
        (store.lookups.lookup_connection in serve; tests may pass none)."""
        self.config = config
        self.originator = originator
        self.events = events
        self.renderer = renderer
        self.policy = policy
        self.now = now
        self._connection = connection

    def _store(self):
        return self._connection() if self._connection is not None else contextlib.nullcontext()

    def pass_once(self) -> list[Any]:
        """Claim the due jobs (up to `concurrency`), send them, return their views."""
        from store.faxjobs import claim_due

        with self._store():
            claimed = claim_due(self.config.owner, self.now(), self.config.lease, self.policy,
                                limit=self.config.concurrency)
        if not claimed:
            return []
        greenlets = [gevent.spawn(self._send_logged, job) for job in claimed]
        gevent.joinall(greenlets)
        return [g.value for g in greenlets if g.successful() and g.value is not None]

    def _send_logged(self, job: Any) -> Any:
        from store.faxjobs import FaxQueueError

        try:
            return self.send(job)
        except FaxQueueError as exc:       # cancelled, or its lease ran out, meanwhile
            log.warning("fax job %s: %s", job.id, exc)
        except Exception:
            log.exception("fax job %s: sending failed; its lease returns it to the queue",
                          job.id)
        return None

    def send(self, job: Any) -> Any:
        """Send one claimed job (store.faxjobs.Claimed); the job's view afterwards."""
        from store.faxjobs import fail_job, finish_attempt, set_document, start_attempt

        owner = self.config.owner
        path, pages = job.file, job.pages
        if not path or not Path(path).is_file():
            try:
                path = str(self.renderer.render(job.document, job.params, job.lang))
            except RenderError as exc:
                with self._store():
                    return fail_job(job.id, owner, f"not rendered: {exc}", self.now())
            pages = pages_in(path)
            with self._store():
                set_document(job.id, owner, path, pages)
        key = f"{job.id}-{job.attempt}"
        variables = {"sf_fax_job": key, **channel_variables(job.fallbacks)}
        if self.config.station_id:
            variables["fax_ident"] = self.config.station_id
        try:
            request = OriginateRequest(
                endpoint=self.config.endpoint.replace("{target}", job.destination),
                caller_id_number=self.config.caller_id, timeout_s=self.config.ring_timeout_s,
                job=str(job.id), variables=variables)
            application = txfax(path)
            request.channel_variables()
        except validate.CommandValueError as exc:
            with self._store():
                return fail_job(job.id, owner, f"cannot be dialled: {exc}", self.now())
        with self._store():
            start_attempt(job.id, owner, self.now(), fallbacks=job.fallbacks)
        outcome, uuid = self._call(request, application, key)
        log.info("fax job %s attempt %s to %s: %s %s", job.id, job.attempt, job.destination,
                 outcome.kind.value, outcome.hangup_cause)
        with self._store():
            return finish_attempt(job.id, owner, outcome, self.now(), self.policy,
                                  channel_uuid=uuid)

    def _call(self, request: OriginateRequest, application: Any,
              key: str) -> tuple[CallOutcome, str]:
        report = self.originator.originate(request, application=application,
                                           timeout=request.timeout_s + 30)
        if report.lost:
            return CallOutcome(CallKind.LOST, detail=report.result.text), ""
        result = report.result
        if not report.answered:
            word = result.cause.value if result.cause is not None else result.outcome.value
            return CallOutcome(call_kind(word), word), ""
        uuid = result.uuid
        keys = (key, uuid)
        got = self.events.wait(keys, self.config.call_deadline_s,
                               gone=lambda: any(self.events.hangup_cause(k) for k in keys),
                               grace=self.config.result_grace_s)
        cause = next((c for c in map(self.events.hangup_cause, keys) if c), "")
        if got is None:
            if not cause:
                with contextlib.suppress(ControlError):
                    self.originator.control.api(uuid_kill(uuid), report.node)
            return CallOutcome(CallKind.ANSWERED, cause,
                               detail=f"no fax result within {self.config.call_deadline_s:g} s"
                               ), uuid
        # a fax machine hangs up once the result is in: keep the cause with the result
        cause = cause or self.events.wait_hangup(keys, HANGUP_WAIT_S) or got.hangup_cause
        return CallOutcome(CallKind.ANSWERED, cause, got.result), uuid


def keep_received(settings: Any, connection: Callable[[], Any] | None = None
                  ) -> Callable[[ReceivedEvent], None]:
    """FaxEvents' `on_received`: the fax goes into the store's inbox with the caller's number."""
    from store.faxjobs.inbox import store_received

    def keep(received: ReceivedEvent) -> None:
        r = received.result
        try:
            with connection() if connection else contextlib.nullcontext():
                store_received(caller=received.caller, destination=received.destination,
                               path=received.path, pages=r.pages, success=r.success,
                               result_code=r.code, result_text=r.text,
                               remote_station=received.remote_station,
                               channel_uuid=received.uuid, node=received.node,
                               at=dt.datetime.now(dt.UTC))
        except Exception:
            log.exception("received fax from %s (%s) not stored", received.caller, received.path)

    # the event reader must not wait on the store
    return lambda received: gevent.spawn(keep, received)


def run_fax_sender(sender: FaxSender, stop: GEvent | None = None) -> None:
    """Passes every `poll` seconds until `stop` is set (or the greenlet is killed)."""
    stop = stop or GEvent()
    while not stop.is_set():
        try:
            sender.pass_once()
        except Exception:
            log.exception("fax sender pass failed; trying again in %.0f s",
                          sender.config.poll_s)
        stop.wait(sender.config.poll_s)


def serve_fax_worker(service: Any) -> Callable[[], None] | None:
    """The fax sender for `switchflow serve` (None without the store or a control link):
    it shares the service's control connections and takes jobs from the store."""
    telephony = service.telephony
    control = getattr(telephony, "control", None)
    if control is None or service.policies is None:     # no FreeSWITCH control, or no store
        return None
    from engine.fax.policy import FaxPolicy
    from engine.fax.renderer import FaxRenderer
    from store.lookups import lookup_connection

    settings = service.settings
    events = FaxEvents(keep_received(settings, lookup_connection))
    control.subscribe(events.on_event)
    originator = Originator(control, switch=getattr(telephony, "switch", None))
    sender = FaxSender(SenderConfig.from_settings(settings), originator, events,
                       FaxRenderer.from_settings(settings), FaxPolicy.from_settings(settings),
                       connection=lookup_connection)
    return lambda: run_fax_sender(sender)
