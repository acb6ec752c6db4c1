"""Which FreeSWITCH nodes the control connections reach, and their timing.

Read from settings `[esl]` (`host`, `port`, `password`, `nodes`, the timing
keys): one node at host:port named "fs", plus any listed in `nodes` as
`NAME=HOST:PORT,…`. The password is required outside demo mode
(`Settings.esl_password` refuses to go on without one), so a control
connection never starts with FreeSWITCH's well-known default by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.settings import Settings


@dataclass(frozen=True)
class LinkTiming:
    """Seconds. `api_timeout` bounds every api reply and bgapi acknowledgement;
    the heartbeat watchdog calls a link dead after `heartbeat_misses` silent
    `heartbeat_interval`s; reconnects wait `reconnect_min` doubling to
    `reconnect_max`, each wait jittered down to half; `lost_grace` is how long
    a down link's calls are still waited for."""

    api_timeout: float = 10.0
    heartbeat_interval: float = 20.0
    heartbeat_misses: int = 3
    reconnect_min: float = 1.0
    reconnect_max: float = 30.0
    lost_grace: float = 60.0
    connect_timeout: float = 5.0

    @property
    def silence_limit(self) -> float:
        return self.heartbeat_interval * self.heartbeat_misses


@dataclass(frozen=True)
class NodeConfig:
    name: str
    host: str
    port: int
    password: str = field(repr=False)


@dataclass(frozen=True)
class ControlConfig:
    nodes: tuple[NodeConfig, ...]
    timing: LinkTiming
    outbound_host: str = "127.0.0.1"
    outbound_port: int = 8084


def control_config(settings: Settings) -> ControlConfig:
    """The nodes and timing from settings; SettingsError without a password
    (outside demo mode)."""
    esl = settings.esl
    password = settings.esl_password()
    nodes = [NodeConfig("fs", esl.host, esl.port, password)]
    for item in filter(None, esl.nodes.split(",")):
        name, _, address = item.partition("=")
        host, _, port = address.rpartition(":")
        nodes.append(NodeConfig(name, host, int(port), password))
    names = [n.name for n in nodes]
    if len(set(names)) != len(names):
        from engine.settings import SettingsError
        raise SettingsError(f"esl.nodes: node names must differ (got {', '.join(names)}; "
                            '"fs" is the node at esl.host:esl.port)')
    timing = LinkTiming(
        api_timeout=esl.api_timeout / 1000, heartbeat_interval=esl.heartbeat_interval / 1000,
        heartbeat_misses=esl.heartbeat_misses, reconnect_min=esl.reconnect_min / 1000,
        reconnect_max=max(esl.reconnect_max, esl.reconnect_min) / 1000,
        lost_grace=esl.lost_grace / 1000)
    host, _, port = esl.outbound.rpartition(":")
    return ControlConfig(tuple(nodes), timing, host, int(port))
