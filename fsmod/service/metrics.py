"""Prometheus metrics of one `switchflow serve` process.

Counters and histograms are updated as things happen (a call's record
committed, a lookup answered, an ESL command answered, a ticket alarm
fired); the gauges (calls in progress, link up per node, outbox depth) are
read from the running service when Prometheus scrapes, through `Gauges`, so
they can never drift from the truth. Each service has a registry of its own
(not prometheus_client's global one), so tests and two services in one
process do not mix their numbers.

| metric | kind | labels |
| --- | --- | --- |
| switchflow_calls_in_progress | gauge | flow |
| switchflow_calls_total | counter | flow, end_reason |
| switchflow_lookup_seconds | histogram | lookup, status |
| switchflow_esl_command_seconds | histogram | kind (api: the control links' probes) |
| switchflow_call_command_seconds | histogram | node, kind, application |
| switchflow_link_up | gauge | node |
| switchflow_outbox_records | gauge | |
| switchflow_ticket_alarms_total | counter | kind (warning, breach) |
| switchflow_records_kept_total | counter | (records the store did not take: in the outbox) |
| switchflow_outbox_replayed_total | counter | outcome (delivered, kept) |

switchflow_call_command_seconds times each command on the calls' outbound
sockets: kind "reply" from sending a command to its command/reply (`application`
is the application a sendmsg executes, or `hangup`, `api`, `exit` ...), kind
"complete" from a sendmsg execute to its CHANNEL_EXECUTE_COMPLETE (so a
playback's includes the prompt's length). Labels are kept few on purpose:
node names come from settings and applications from fsmod.commands, never a
uuid or a number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

LOOKUP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
ESL_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)
# a completion may take as long as the prompt, the recording or the queue wait it ends
CALL_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)


@dataclass(frozen=True)
class Gauges:
    """Where the scrape reads the gauges from (the service's own state)."""

    calls_by_flow: Callable[[], Mapping[str, int]]
    links: Callable[[], Mapping[str, bool]]      # node -> up
    outbox_depth: Callable[[], int]


class _Live(Collector):
    def __init__(self, gauges: Gauges) -> None:
        self.gauges = gauges

    def collect(self) -> Iterable[GaugeMetricFamily]:
        calls = GaugeMetricFamily("switchflow_calls_in_progress",
                                  "Calls between their first line and their record, by flow",
                                  labels=["flow"])
        for flow, n in sorted(self.gauges.calls_by_flow().items()):
            calls.add_metric([flow], n)
        yield calls
        links = GaugeMetricFamily("switchflow_link_up",
                                  "1 when the control connection to a FreeSWITCH node is up",
                                  labels=["node"])
        for node, up in sorted(self.gauges.links().items()):
            links.add_metric([node], 1 if up else 0)
        yield links
        yield GaugeMetricFamily("switchflow_outbox_records",
                                "Call records waiting in the outbox for the store",
                                value=self.gauges.outbox_depth())


class ServiceMetrics:
    """The metrics of one service, in a registry of its own."""

    def __init__(self, gauges: Gauges) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter("switchflow_calls", "Calls whose record was committed, by flow and "
                             "end reason", ["flow", "end_reason"], registry=self.registry)
        self.lookups = Histogram("switchflow_lookup_seconds", "Lookups a flow made, by lookup "
                                 "and outcome", ["lookup", "status"], buckets=LOOKUP_BUCKETS,
                                 registry=self.registry)
        self.esl = Histogram("switchflow_esl_command_seconds", "ESL command round trip, from "
                             "sending to its reply", ["kind"], buckets=ESL_BUCKETS,
                             registry=self.registry)
        self.call_commands = Histogram(
            "switchflow_call_command_seconds", "Round trip of the commands on the calls' "
            "sockets: to the reply (kind=reply), or a sendmsg execute to its completion "
            "(kind=complete), by node and application", ["node", "kind", "application"],
            buckets=CALL_BUCKETS, registry=self.registry)
        self._call_series: dict[tuple[str, str, str], Any] = {}
        self.replayed = Counter("switchflow_outbox_replayed", "Outbox records offered to the "
                                "store again, by outcome", ["outcome"], registry=self.registry)
        self.alarms = Counter("switchflow_ticket_alarms", "Ticket time-limit alarms the watcher "
                              "fired", ["kind"], registry=self.registry)
        self.kept = Counter("switchflow_records_kept", "Call records the store did not take "
                            "(kept in the outbox)", registry=self.registry)
        self.registry.register(_Live(gauges))

    def esl_round_trip(self, kind: str, seconds: float) -> None:
        """For the ESL channel and the control links: one command answered after `seconds`."""
        self.esl.labels(kind).observe(seconds)

    def call_round_trip(self, node: str, kind: str, application: str, seconds: float) -> None:
        """For the calls' sockets: one reply, or one application's completion. Two per
        command of every call: the labelled series are kept, not looked up each time."""
        key = (node, kind, application)
        series = self._call_series.get(key)
        if series is None:
            series = self._call_series[key] = self.call_commands.labels(
                node or "?", kind, application)
        series.observe(seconds)
