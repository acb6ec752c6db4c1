"""The `switchflow serve` process: calls, the ticket watcher and the HTTP endpoint, one hub.

Everything runs as greenlets of one gevent hub (the caller patched the
process before importing the store: store.db.hub_friendly):

- the telephony side (`Telephony`): the outbound socket server that hands
  each new line to `Service.handle_line`, and the control connections whose
  `Switch` tells `engine.lifecycle.Calls` when each call really ended;
- the ticket watcher (store.tickets.watcher.run_watcher), when the store is used;
- the outbox replay: every serve.outbox_replay, records the store refused before
  ([paths] outbox) are offered to it again, yielding to the calls after each one;
- the HTTP endpoint: /metrics (Prometheus) and /status (`switchflow status`);
- later the panel and the campaign and fax workers: `Service.workers`, each
  a callable run as a greenlet from start to shutdown (stopped by GreenletExit).

Shutdown (SIGTERM, SIGINT, or `stop()`): stop taking calls; let the calls in
progress finish for up to serve.drain; then stop the flows still running
(each line's greenlet gets GreenletExit, the engine's way to end a call it
cannot go on with: the segment ends `stopped`) and hang their lines up; close
the control links (a call still with an agent is then reported ended by the
switch); wait until every call record went through the sink (into the store,
or into the outbox when the store is down). A second signal skips the wait
for calls to finish. `run()` returns the exit status, 0 after a clean
shutdown.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import gevent
from gevent.event import Event
from gevent.pywsgi import WSGIServer

from engine.channel.contract import Channel
from engine.channel.switch import Switch
from engine.lifecycle import Calls, OpenCall
from engine.record import CallRecord
from engine.runtime import Runtime
from engine.seams.records import OUTBOX_FILE, REPLAY_GIVE_UP, replay
from engine.settings import Settings
from fsmod.campaigns import campaign_workers
from fsmod.faxsend import serve_fax_worker

from .http import status_app
from .logs import CallContext, call_context, update_call
from .metrics import Gauges, ServiceMetrics
from .status import FlowCounts, NodeStatus, ServiceStatus, WatcherStatus

log = logging.getLogger(__name__)

# the cause a line still in a flow is hung up with at shutdown: FreeSWITCH's for a hangup an
# API client asked for (SYSTEM_SHUTDOWN would say FreeSWITCH itself went down)
SHUTDOWN_CAUSE = "MANAGER_REQUEST"
LINES_STOP_S = 10.0        # how long stopped flows may take to leave their lines
ENDS_GRACE_S = 5.0         # how long the switch may take to report the ends of lines hung up
RECORDS_WAIT_S = 60.0      # how long the sink may take with the last records (retries, outbox)
WORKERS_STOP_S = 5.0       # how long workers may take to end after GreenletExit
LineHandler = Callable[..., None]


class ServiceError(Exception):
    """The service cannot start; the message says what to change."""


class Telephony(Protocol):
    """The FreeSWITCH side of the service (fsmod's outbound server and control links)."""

    switch: Switch

    def start(self, lines: LineHandler,
              round_trip: Callable[[str, float], None] | None = None, *,
              call_commands: Callable[[str, str, str, float], None] | None = None) -> None:
        """Start accepting calls; each new line goes to `lines(channel, node=NAME)`,
        run in a greenlet of its own that ends when the line is done. `round_trip(kind,
        seconds)` is told how long the control links' commands took, `call_commands(node,
        kind, application, seconds)` those on the calls' sockets (the metrics)."""

    def stop_accepting(self) -> None:
        """Take no new call (lines handed back to a flow of a call in progress may still come)."""

    def nodes(self) -> list[NodeStatus]:
        """Each FreeSWITCH node's control link, as it is now."""

    def close(self) -> None:
        """Close everything; watchers of calls not yet ended return (ended by the switch)."""


class MeasuredRegistry:
    """The runtime's lookup registry, each lookup's time observed into the metrics."""

    def __init__(self, registry: Any, metrics: ServiceMetrics) -> None:
        self._registry = registry
        self._metrics = metrics

    def call_lookup(self, name: str, args: list, kwargs: dict,
                    timeout_ms: int | None = None) -> Any:
        outcome = self._registry.call_lookup(name, args, kwargs, timeout_ms)
        self._metrics.lookups.labels(name, outcome.status).observe(
            (outcome.elapsed_ms or 0.0) / 1000)
        return outcome

    def __getattr__(self, name: str) -> Any:
        return getattr(self._registry, name)


class CountingSink:
    """The runtime's sink (a CommittingSink) with the service's counts around each commit."""

    def __init__(self, sink: Any, service: Service) -> None:
        self.sink = sink
        self.service = service

    def commit(self, record: CallRecord) -> None:
        try:
            self.sink.commit(record)
        finally:
            self.service._ended(record)


@dataclass(frozen=True)
class CallChange:
    """What observers of the calls are told (the panel's wallboard counts calls in each
    flow with these): `admitted` a line entered `flow`, `flow` it moved on to another,
    `left` the line left the flows (queued to an agent, hung up), `ended` the call's
    record was committed. `at` is aware UTC."""

    kind: str          # admitted | flow | left | ended
    call_id: str
    flow: str
    caller: str
    at: dt.datetime


CallObserver = Callable[[CallChange], None]


class ServiceCalls(Calls):
    """engine.lifecycle.Calls that tells the service each new call (its id, for the logs),
    and its `observers` (plain callables, so fsmod needs nothing of theirs) when a line
    enters, moves between, leaves the flows and when the call ends."""

    service: Service

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.observers: list[CallObserver] = []
        self._line_calls: dict[gevent.Greenlet, CallRecord] = {}   # each line's call

    def tell(self, kind: str, record: CallRecord, flow: str | None = None) -> None:
        """Tell every observer; one that fails is logged, never stops the call."""
        if not self.observers:
            return
        change = CallChange(kind, record.call_id, flow if flow is not None else record.flow,
                            record.caller or "", dt.datetime.now(dt.UTC))
        for observer in list(self.observers):
            try:
                observer(change)
            except Exception:
                log.exception("call observer failed on %s of call=%s", kind, record.call_id)

    def handle(self, channel: Channel, *, observer: Any = None, **kwargs: Any) -> OpenCall:
        me = gevent.getcurrent()

        def observe(kind: str, value: Any) -> None:
            if kind == "end" and value == "goto_flow":   # the record's detail: the next flow
                record = self._line_calls.get(me)
                if record is not None and record.detail:
                    self.tell("flow", record, record.detail)
            if observer is not None:
                observer(kind, value)

        try:
            return super().handle(channel, observer=observe, **kwargs)
        finally:
            record = self._line_calls.pop(me, None)
            if record is not None:
                self.tell("left", record)

    def _admit(self, channel: Channel, flow: str | None) -> tuple[OpenCall, str | None]:
        call, name = super()._admit(channel, flow)
        self._line_calls[gevent.getcurrent()] = call.record
        self.service._admitted(call.record)
        self.tell("admitted", call.record, name or "")
        update_call(call_id=call.record.call_id, flow=name or "")
        log.info("line from %s to %s%s", call.record.caller or "?", channel.called or "?",
                 " (handed back)" if call.record.segments else "")
        return call, name


@dataclass
class _Watcher:
    running: bool = False
    passes: int = 0
    alarms: int = 0
    last_pass_at: str = ""
    last_error: str = ""
    stop: Event = field(default_factory=Event)   # gevent's: waiting on it yields


class _LastError(logging.Handler):
    """Keeps the watcher's last error for `switchflow status` (the watcher logs, goes on)."""

    def __init__(self, watcher: _Watcher) -> None:
        super().__init__(logging.ERROR)
        self.watcher = watcher

    def emit(self, record: logging.LogRecord) -> None:
        self.watcher.last_error = record.getMessage()


class Service:
    """One serve process: build it, `start()`, then `run()` until a signal (or `stop()`)."""

    def __init__(self, settings: Settings, flows: Iterable[Mapping[str, Any]], runtime: Runtime,
                 telephony: Telephony, *, policies: Any = None, demo: bool = False,
                 workers: Iterable[Callable[[], None]] = (),
                 watcher_now: Callable[[], dt.datetime] | None = None) -> None:
        """`policies`: the tickets' time-limit policies; with them the ticket watcher runs
        (the store is in use). `workers`: more greenlets to run for the service's life.
        `watcher_now`: the watcher's clock (default the wall clock; tests move it on)."""
        self.settings = settings
        self.demo = demo
        self.telephony = telephony
        self.policies = policies
        self.workers = list(workers)
        self.watcher_now = watcher_now
        self.metrics = ServiceMetrics(Gauges(self._in_progress_by_flow, self._links,
                                             self._outbox_depth))
        self.runtime = replace(runtime, sink=CountingSink(runtime.sink, self),
                               registry=MeasuredRegistry(runtime.registry, self.metrics))
        self.calls = ServiceCalls(flows, self.runtime, telephony.switch)
        self.calls.service = self
        self.started_at = dt.datetime.now(dt.UTC)
        self.state = "starting"
        self._live: dict[str, str] = {}                 # call id -> its first flow
        self._ended_counts: dict[str, Tally[str]] = {}  # flow -> end reason -> calls
        self._lines: dict[gevent.Greenlet, Channel] = {}
        self._all_ended = Event()
        self._all_ended.set()
        self._stopping = Event()
        self._hurry = Event()
        self._done = Event()
        self._watcher = _Watcher()
        self._greenlets: list[gevent.Greenlet] = []
        self._http: WSGIServer | None = None
        self._committer = runtime.sink if hasattr(runtime.sink, "outbox") else None

    # ------------------------------------------------------------ starting

    @property
    def http_port(self) -> int:
        assert self._http is not None, "start() the service first"
        return self._http.server_port

    def start(self) -> Service:
        """The HTTP endpoint, the watcher, the workers, then the calls."""
        serve = self.settings.serve
        self._http = WSGIServer((serve.metrics_host, serve.metrics_port),
                                status_app(self.metrics.registry, self.status), log=None,
                                error_log=logging.getLogger("fsmod.service.http"))
        try:
            self._http.start()
        except OSError as exc:
            raise ServiceError(f"cannot listen on {serve.metrics_host}:{serve.metrics_port} "
                               f"for metrics and status: {exc.strerror or exc} (settings "
                               "serve.metrics_host, serve.metrics_port)") from None
        try:
            self.telephony.start(self.handle_line, self.metrics.esl_round_trip,
                                 call_commands=self.metrics.call_round_trip)
        except OSError as exc:
            self._http.stop(timeout=1)
            self.telephony.close()
            raise ServiceError(f"cannot take calls: {exc.strerror or exc} (is another serve "
                               "running? settings [outbound])") from None
        if self.policies is not None:
            self._greenlets.append(gevent.spawn(self._watch_tickets))
        if self._committer is not None and self.settings.serve.outbox_replay > 0:
            self._greenlets.append(gevent.spawn(self._replay_outbox))
        from fsmod.dispatch import dispatch_workers
        self.workers.extend(dispatch_workers(self))     # voice dispatch (fsmod/dispatch.py)
        self.workers.extend(campaign_workers(self))     # campaign dialler (fsmod/campaigns)
        self._greenlets.extend(gevent.spawn(worker) for worker in self.workers)
        self._greenlets.extend(gevent.spawn(w) for w in [serve_fax_worker(self)] if w)  # fax jobs
        self.state = "running"
        log.info("serving %d flows; metrics and status on http://%s:%d/ (demo=%s)",
                 len(self.calls.flows), serve.metrics_host, self.http_port, self.demo)
        return self

    # ------------------------------------------------------------ calls

    def handle_line(self, channel: Channel, node: str = "") -> None:
        """A new line from FreeSWITCH: run its flows, in this greenlet, with its log fields."""
        me = gevent.getcurrent()
        self._lines[me] = channel
        ctx = CallContext(call_id=channel.variables.get("sf_call_id", ""), uuid=channel.uuid,
                          node=node)
        try:
            with call_context(ctx):
                self.calls.handle(channel, observer=self._observe)
        except gevent.GreenletExit:
            with contextlib.suppress(BaseException):
                channel.hangup(SHUTDOWN_CAUSE)
            raise
        finally:
            self._lines.pop(me, None)

    @staticmethod
    def _observe(kind: str, value: Any) -> None:
        if kind == "flow":
            update_call(flow=str(value))

    def _admitted(self, record: CallRecord) -> None:
        self._live[record.call_id] = record.flow
        self._all_ended.clear()

    def _ended(self, record: CallRecord) -> None:
        flow = self._live.pop(record.call_id, record.flow)
        self.calls.tell("ended", record, flow)
        reason = record.end_reason or "unknown"
        self._ended_counts.setdefault(flow, Tally())[reason] += 1
        self.metrics.calls.labels(flow, reason).inc()
        if not record.committed:
            self.metrics.kept.inc()
        log.info("call=%s uuid=%s flow=%s ended: %s, hung up by %s (%s)%s", record.call_id,
                 record.channel_uuid, flow, reason, record.hangup_by or "?",
                 record.hangup_cause or "?", "" if record.committed else "; record in the outbox")
        if not self._live:
            self._all_ended.set()

    def _in_progress_by_flow(self) -> dict[str, int]:
        return dict(Tally(self._live.values()))

    def _links(self) -> dict[str, bool]:
        return {node.name: node.up for node in self.telephony.nodes()}

    def _outbox_depth(self) -> int:
        """Lines waiting in the outbox, a replay's own file included."""
        if self._committer is None:
            return 0
        depth = 0
        for path in self._committer.outbox.files():
            with path.open("rb") as f:
                depth += sum(1 for line in f if line.strip())
        return depth

    # ------------------------------------------------------------ the ticket watcher

    def _watch_tickets(self) -> None:
        from store.tickets.watcher import run_watcher

        def said(report: Any) -> None:
            w = self._watcher
            w.passes += 1
            w.last_pass_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            w.last_error = ""
            for fired in report.fired:
                w.alarms += 1
                kind = fired.key.split("/")[2]      # clock/cycle/kind[/period]
                self.metrics.alarms.labels(kind).inc()

        errors = _LastError(self._watcher)
        watcher_log = logging.getLogger("store.tickets.watcher")
        watcher_log.addHandler(errors)
        self._watcher.running = True
        try:
            run_watcher(self.policies, self.settings.serve.watcher_interval / 1000,
                        stop=self._watcher.stop, zone=self.settings.engine.timezone,
                        on_pass=said, **({"now": self.watcher_now} if self.watcher_now else {}))
        finally:
            self._watcher.running = False
            watcher_log.removeHandler(errors)

    # ------------------------------------------------------------ the outbox replay

    def _replay_outbox(self) -> None:
        """Offer the outbox to the store every serve.outbox_replay until the shutdown.
        A store still down refuses a few and the rest wait for the next round; a
        replay cut short by the shutdown is picked up by the next one (a record
        offered twice is stored once)."""
        committer = self._committer
        interval = self.settings.serve.outbox_replay / 1000
        while not self._stopping.wait(interval):
            if not committer.outbox.files():
                continue
            try:
                report = replay(committer.outbox, committer.sink, give_up_after=REPLAY_GIVE_UP,
                                between=gevent.sleep)
            except OSError as exc:
                log.error("outbox replay failed: %s (the records stay in %s)", exc,
                          committer.outbox.folder)
                continue
            if report.delivered:
                self.metrics.replayed.labels("delivered").inc(report.delivered)
            if report.kept:
                self.metrics.replayed.labels("kept").inc(report.kept)

    # ------------------------------------------------------------ status

    def status(self) -> ServiceStatus:
        flows = sorted({*self.calls.flows, *self._ended_counts})
        live = self._in_progress_by_flow()
        w = self._watcher
        return ServiceStatus(
            pid=os.getpid(), started_at=self.started_at.isoformat(timespec="seconds"),
            state=self.state, demo=self.demo, nodes=self.telephony.nodes(),
            calls_in_progress=len(self._live),
            flows=[FlowCounts(f, live.get(f, 0), dict(self._ended_counts.get(f, {})))
                   for f in flows],
            watcher=WatcherStatus(w.running, w.passes, w.alarms, w.last_pass_at, w.last_error),
            outbox_records=self._outbox_depth())

    # ------------------------------------------------------------ stopping

    def stop(self) -> None:
        """Begin the shutdown (a first signal); called again, end the calls at once."""
        if self._stopping.is_set():
            if not self._hurry.is_set():
                log.warning("second stop: ending the calls in progress now")
            self._hurry.set()
            return
        self._stopping.set()
        self.state = "draining"
        self.telephony.stop_accepting()
        gevent.spawn(self._shutdown)

    def run(self) -> int:
        """Serve until stopped by SIGTERM/SIGINT (or `stop()`); the exit status."""
        handlers = [gevent.signal_handler(sig, self._signalled, sig)
                    for sig in (signal.SIGTERM, signal.SIGINT)]
        try:
            self._done.wait()
        finally:
            for handler in handlers:
                handler.cancel()
        return 0

    def _signalled(self, sig: int) -> None:
        log.info("%s received", signal.Signals(sig).name)
        self.stop()

    def _stop_workers(self) -> None:
        """Workers (ticket watcher, dialler, fax sender, dispatch) get GreenletExit; one
        that is slow to end (a query the database takes long to cancel) is logged and
        left behind, never allowed to stop the shutdown itself."""
        with contextlib.suppress(gevent.Timeout):
            gevent.killall(self._greenlets, timeout=WORKERS_STOP_S)
        left = [g for g in self._greenlets if not g.dead]
        if left:
            log.warning("%d worker(s) still ending at exit: %s", len(left), _names(left))

    def _shutdown(self) -> None:
        try:
            drain = self.settings.serve.drain / 1000
            log.info("taking no new calls; %d in progress may finish within %.0f s",
                     len(self._live), drain)
            gevent.wait([self._all_ended, self._hurry], timeout=drain, count=1)
            if self._lines:
                log.warning("stopping %d calls still in a flow", len(self._lines))
                gevent.killall(list(self._lines), block=True, timeout=LINES_STOP_S)
            # the switch reports the ends of the lines just hung up on the control link
            self._all_ended.wait(ENDS_GRACE_S)
            self.telephony.close()
            if not self._all_ended.wait(RECORDS_WAIT_S):
                log.error("%d call records not yet through the sink at exit: %s",
                          len(self._live), ", ".join(sorted(self._live)))
            self._watcher.stop.set()
            self._stop_workers()
            if self._http is not None:
                self._http.stop(timeout=1)
            log.info("stopped")
        finally:
            self.state = "stopped"
            self._done.set()


def _names(greenlets: list[gevent.Greenlet]) -> str:
    return ", ".join(sorted({getattr(g, "name", "") or repr(g._run) for g in greenlets}))


def outbox_file(settings: Settings) -> str:
    """Where records the store did not take are kept (for messages)."""
    return str(settings.paths.outbox / OUTBOX_FILE)
