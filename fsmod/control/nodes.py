"""Several FreeSWITCH nodes at once: one `ControlLink` per node, one API.

`Control` starts and stops every link, says whether they are up and in
what state (`status()` for `switchflow status`), sends api/bgapi to a named
node, and fans every node's events out to the subscribers (the engine's
`FsSwitch`, the callcenter event stream of the panel) with the node's name,
so each call and each originate is attributed to its node.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import gevent

from fsmod.commands.api import ApiCommand
from fsmod.control.config import ControlConfig
from fsmod.control.link import ControlLink, Job, LinkLost, LinkState
from fsmod.esl.events import Event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NodeStatus:
    """One node's link as `switchflow status` shows it."""

    name: str
    host: str
    port: int
    state: str                 # LinkState value
    up_since: float | None     # epoch seconds
    last_heartbeat_age: float | None   # seconds since the last HEARTBEAT (None: none yet)
    ups: int
    drops: int
    last_error: str


class Control:
    """The control connections to every configured FreeSWITCH node."""

    def __init__(self, config: ControlConfig, *, event_format: str = "plain",
                 filters: tuple[tuple[str, str], ...] = ()) -> None:
        self.config = config
        self._event_subscribers: list[Callable[[str, Event], None]] = []
        self._state_subscribers: list[Callable[[str, LinkState], None]] = []
        self.links: dict[str, ControlLink] = {
            node.name: ControlLink(node, config.timing, on_event=self._event,
                                   on_state=self._state, event_format=event_format,
                                   filters=filters)
            for node in config.nodes
        }

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self) -> Control:
        for link in self.links.values():
            link.start()
        return self

    def stop(self) -> None:
        gevent.joinall([gevent.spawn(link.stop) for link in self.links.values()], timeout=5)

    def wait_up(self, timeout: float) -> bool:
        """True when every node is up within `timeout`; AuthFailed for a node
        that refused our password (a configuration error, not retried)."""
        deadline = time.monotonic() + timeout
        up = True
        for link in self.links.values():
            up = link.wait_up(max(0.0, deadline - time.monotonic())) and up
        return up

    @property
    def is_up(self) -> bool:
        """Every node's link is up."""
        return all(link.is_up for link in self.links.values())

    def status(self) -> list[NodeStatus]:
        now = time.monotonic()
        return [NodeStatus(link.name, link.node.host, link.node.port, link.state.value,
                           link.up_since,
                           None if link.last_heartbeat is None or not link.is_up
                           else round(now - link.last_heartbeat, 1),
                           link.ups, link.drops, link.last_error)
                for link in self.links.values()]

    # ---- events ------------------------------------------------------------------------

    def subscribe(self, on_event: Callable[[str, Event], None] | None = None,
                  on_state: Callable[[str, LinkState], None] | None = None) -> None:
        """Be told `(node, event)` for every event and `(node, state)` for every link
        state change."""
        if on_event is not None:
            self._event_subscribers.append(on_event)
        if on_state is not None:
            self._state_subscribers.append(on_state)

    def _event(self, node: str, event: Event) -> None:
        for handler in self._event_subscribers:
            try:
                handler(node, event)
            except Exception:
                log.exception("%s: event subscriber failed on %s", node, event.name)

    def _state(self, node: str, state: LinkState) -> None:
        for handler in self._state_subscribers:
            try:
                handler(node, state)
            except Exception:
                log.exception("%s: link state subscriber failed", node)

    # ---- commands ----------------------------------------------------------------------

    def link(self, node: str | None = None) -> ControlLink:
        """The named node's link, or (no name) the first node that is up."""
        if node is not None:
            try:
                return self.links[node]
            except KeyError:
                raise LinkLost(f"no FreeSWITCH node named {node!r} "
                               f"(nodes: {', '.join(self.links)})") from None
        for link in self.links.values():
            if link.is_up:
                return link
        raise LinkLost("no FreeSWITCH node is up: "
                       + "; ".join(f"{s.name} {s.state}" for s in self.status()))

    def api(self, command: ApiCommand, node: str | None = None,
            timeout: float | None = None) -> str:
        return self.link(node).api(command, timeout)

    def bgapi(self, command: ApiCommand, node: str | None = None,
              timeout: float | None = None) -> Job:
        return self.link(node).bgapi(command, timeout)
