"""What `switchflow status` shows, as the running serve reports it on /status (JSON).

The service builds a `ServiceStatus` from its live state; `fetch_status`
reads it back over HTTP from the metrics port. When nothing answers there,
`ServeNotRunning` says so in words an operator can act on.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any


class ServeNotRunning(Exception):
    """No `switchflow serve` answered at the status address."""


@dataclass(frozen=True)
class NodeStatus:
    """One FreeSWITCH node's control connection."""

    name: str
    address: str
    up: bool
    detail: str = ""          # why it is down, or since when it is up


@dataclass(frozen=True)
class FlowCounts:
    flow: str
    in_progress: int
    ended: dict[str, int] = field(default_factory=dict)    # end reason -> calls


@dataclass(frozen=True)
class WatcherStatus:
    running: bool
    passes: int = 0
    alarms_fired: int = 0
    last_pass_at: str = ""    # ISO time, UTC
    last_error: str = ""


@dataclass(frozen=True)
class ServiceStatus:
    pid: int
    started_at: str           # ISO time, UTC
    state: str                # "running" or "draining"
    demo: bool
    nodes: list[NodeStatus]
    calls_in_progress: int
    flows: list[FlowCounts]
    watcher: WatcherStatus
    outbox_records: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ServiceStatus:
        data: dict[str, Any] = json.loads(text)
        return cls(**{**data,
                      "nodes": [NodeStatus(**n) for n in data["nodes"]],
                      "flows": [FlowCounts(**f) for f in data["flows"]],
                      "watcher": WatcherStatus(**data["watcher"])})


def fetch_status(host: str, port: int, timeout: float = 3.0) -> ServiceStatus:
    """The running serve's status; ServeNotRunning when nothing (or something else) answers."""
    url = f"http://{host}:{port}/status"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            text = reply.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        raise ServeNotRunning(f"{url} answered {exc.code}: is that port another program's? "
                              "(setting serve.metrics_port)") from None
    except (urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", exc)
        raise ServeNotRunning(f"switchflow serve is not running: nothing answers at {url} "
                              f"({why}); start it with `switchflow serve`, or set "
                              "serve.metrics_host / serve.metrics_port to where it "
                              "listens") from None
    try:
        return ServiceStatus.from_json(text)
    except (ValueError, KeyError, TypeError):
        raise ServeNotRunning(f"{url} did not answer as switchflow serve does: is that port "
                              "another program's? (setting serve.metrics_port)") from None
