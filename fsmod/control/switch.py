"""The engine's Switch on FreeSWITCH: `FsSwitch.watch(uuid) -> CallEnd`.

A flow's socket session ends long before the call when an agent takes it;
the call's real end comes on the control connection as the channel's
CHANNEL_HANGUP_COMPLETE (fsmod.control.ends reads it). FsSwitch keeps:

- ends that arrive before `watch` is called (for `keep_unwatched` seconds:
  the switch also reports legs nobody watches, agent legs, loopback halves);
- ends of a reused UUID handed to watchers in the order they called `watch`;
- nothing waits for ever: when a node's link is lost, its watched calls are
  checked against `show channels` as soon as it is back (a call that ended
  meanwhile returns with hangup_by "switch"), and if it stays down for
  `lost_grace` seconds every call watched on it returns with hangup_by
  "switch"; a periodic audit does the same check while links are up, for an
  event that never came.

A call's node is the node whose events named it, or the one given by
`attribute(uuid, node)` (the outbound server knows which node connected).
"""

from __future__ import annotations

import collections
import json
import logging
import time
from dataclasses import dataclass, field

import gevent
from gevent.event import AsyncResult

from engine.channel.switch import CallEnd
from fsmod.commands.api import ApiCommand
from fsmod.control.ends import Track, call_end, lost_end, note
from fsmod.control.link import ControlError, LinkState
from fsmod.control.nodes import Control
from fsmod.esl.events import Event

log = logging.getLogger(__name__)

TRACKED = frozenset({"CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_HANGUP",
                     "CHANNEL_HANGUP_COMPLETE"})
RECHECK_DELAY = 0.5
"""Seconds between finding a watched call missing from `show channels` and
ending its watch: its CHANNEL_HANGUP_COMPLETE may be on the way."""


@dataclass
class _Node:
    up: bool = False
    lost_at: float = 0.0           # time.time() of the last loss
    generation: int = 0            # bumped at every loss and every return


@dataclass
class _Watched:
    track: Track
    waiters: collections.deque[AsyncResult] = field(default_factory=collections.deque)


class FsSwitch:
    """engine.channel.switch.Switch over the control connections of `control`."""

    def __init__(self, control: Control, *, keep_unwatched: float = 300.0,
                 audit_interval: float = 60.0) -> None:
        self.control = control
        self.keep_unwatched = keep_unwatched
        self.audit_interval = audit_interval
        self.grace = control.config.timing.lost_grace
        self._tracks: dict[str, Track] = {}
        self._watched: dict[str, _Watched] = {}
        self._ends: dict[str, collections.deque[CallEnd]] = {}
        self._kept: collections.deque[tuple[float, str]] = collections.deque()
        self._ended_by_switch: dict[str, float] = {}
        self._seen: dict[tuple[str, str, str, str], float] = {}
        self._seen_order: collections.deque[tuple[float, tuple[str, str, str, str]]] = \
            collections.deque()
        self._nodes = {name: _Node(up=link.is_up) for name, link in control.links.items()}
        self._audit: gevent.Greenlet | None = None
        control.subscribe(self._on_event, self._on_state)

    # ---- the Switch protocol -----------------------------------------------------------

    def watch(self, uuid: str) -> CallEnd:
        """Wait until channel `uuid` has really ended and say how (see the module)."""
        if self._audit is None and self.audit_interval > 0:
            self.start()
        kept = self._ends.get(uuid)
        if kept:
            end = kept.popleft()
            if not kept:
                del self._ends[uuid]
            return end
        watched = self._watched.get(uuid)
        if watched is None:
            track = self._tracks.setdefault(uuid, Track())
            watched = self._watched[uuid] = _Watched(track)
        result: AsyncResult = AsyncResult()
        watched.waiters.append(result)
        try:
            return result.get()
        finally:
            if result in watched.waiters:
                watched.waiters.remove(result)
            if not watched.waiters and self._watched.get(uuid) is watched:
                del self._watched[uuid]

    # ---- for the other parts of fsmod --------------------------------------------------

    def attribute(self, uuid: str, node: str) -> None:
        """Say which node carries channel `uuid` (the outbound server knows)."""
        self._tracks.setdefault(uuid, Track()).node = node

    def node_of(self, uuid: str) -> str | None:
        """The node channel `uuid` is on, as far as its events or `attribute` said."""
        track = self._tracks.get(uuid)
        return track.node or None if track is not None else None

    def note_engine_hangup(self, uuid: str) -> None:
        """The engine is hanging this channel up: its end is the engine's."""
        self._tracks.setdefault(uuid, Track()).engine_hangup = True

    def start(self) -> FsSwitch:
        if self.audit_interval > 0 and self._audit is None:
            self._audit = gevent.spawn(self._audit_loop)
        return self

    def stop(self) -> None:
        """Return every watch now (hangup_by "switch"): the service is stopping."""
        if self._audit is not None:
            self._audit.kill(block=False)
            self._audit = None
        for uuid in list(self._watched):
            self._end_lost(uuid)

    @property
    def watching(self) -> int:
        return sum(len(w.waiters) for w in self._watched.values())

    # ---- events ------------------------------------------------------------------------

    def observe(self, node: str, event: Event) -> None:
        """An event of the call seen elsewhere: the ESL channel passes its own
        session's CHANNEL_HANGUP_COMPLETE (it has it with linger), so a call's
        end is known even while the control link is down. The same end
        arriving twice (here and on the control link) counts once."""
        self._on_event(node, event)

    def _on_event(self, node: str, event: Event) -> None:
        name = event.name
        if name not in TRACKED:
            return
        uuid = event.unique_id
        if not uuid:
            return
        if name != "CHANNEL_HANGUP_COMPLETE":
            track = self._tracks.setdefault(uuid, Track())
            track.node = node
            note(track, event)
            return
        stamp = (uuid, event.get("Core-UUID", ""), event.get("Event-Sequence", ""),
                 event.get("Event-Date-Timestamp", ""))
        if stamp in self._seen:
            return                                  # the same end, from the other path
        now = time.monotonic()
        self._seen[stamp] = now
        self._seen_order.append((now, stamp))
        while self._seen_order and now - self._seen_order[0][0] > self.keep_unwatched:
            self._seen.pop(self._seen_order.popleft()[1], None)
        track = self._tracks.pop(uuid, None) or Track()
        track.node = node
        if uuid in self._ended_by_switch:
            # its watch already returned (the link was down); this is that call's end
            del self._ended_by_switch[uuid]
            return
        end = call_end(event, track)
        watched = self._watched.get(uuid)
        if watched is not None and watched.waiters:
            watched.waiters.popleft().set(end)
            if watched.waiters:
                # a reused UUID: the next call's watcher keeps a fresh track
                self._tracks[uuid] = watched.track = Track(node=node)
            return
        self._keep(uuid, end)

    def _keep(self, uuid: str, end: CallEnd) -> None:
        now = time.monotonic()
        self._ends.setdefault(uuid, collections.deque()).append(end)
        self._kept.append((now, uuid))
        while self._kept and now - self._kept[0][0] > self.keep_unwatched:
            _, old = self._kept.popleft()
            ends = self._ends.get(old)
            if ends:
                ends.popleft()
                if not ends:
                    del self._ends[old]
        limit = now - self.keep_unwatched
        for old, at in list(self._ended_by_switch.items()):
            if at < limit:
                del self._ended_by_switch[old]

    # ---- links lost and back -----------------------------------------------------------

    def _on_state(self, node: str, state: LinkState) -> None:
        info = self._nodes.setdefault(node, _Node())
        if state == LinkState.UP:
            info.up = True
            info.generation += 1
            gevent.spawn(self._reconcile, node)
        elif info.up or state == LinkState.AUTH_FAILED:
            info.up = False
            info.lost_at = time.time()
            info.generation += 1
            # tracks of unwatched channels on that node will get no more events
            for uuid, track in list(self._tracks.items()):
                if track.node == node and uuid not in self._watched:
                    del self._tracks[uuid]
            gevent.spawn_later(self.grace, self._grace_over, node, info.generation)

    def _grace_over(self, node: str, generation: int) -> None:
        info = self._nodes[node]
        if info.up or info.generation != generation:
            return
        mine = [u for u, w in self._watched.items() if w.track.node in (node, "")]
        if mine:
            log.warning("%s: link down for %g s: %d watched call(s) reported ended by the "
                        "switch", node, self.grace, len(mine))
        for uuid in mine:
            if self._watched[uuid].track.node == "" and self._anywhere(uuid):
                continue
            self._end_lost(uuid, int(info.lost_at * 1e6))

    def _anywhere(self, uuid: str) -> bool:
        """Whether an up node other than the lost ones still has `uuid`."""
        for name, info in self._nodes.items():
            if info.up:
                live = self._live(name)
                if live is None or uuid in live:
                    return True
        return False

    def _live(self, node: str) -> set[str] | None:
        """The node's channel UUIDs (`show channels as json`); None if unknown."""
        try:
            text = self.control.api(ApiCommand("show channels as json"), node)
        except ControlError as error:
            log.info("%s: cannot list channels: %s", node, error)
            return None
        try:
            table = json.loads(text)
        except ValueError:
            log.warning("%s: `show channels as json` answered %r", node, text[:80])
            return None
        rows = table.get("rows") or [] if isinstance(table, dict) else []
        return {row.get("uuid", "") for row in rows if isinstance(row, dict)}

    def _reconcile(self, node: str) -> None:
        """After a link comes back (or on audit): end the watches of calls gone meanwhile."""
        if not self._watched:
            return
        live = self._live(node)
        if live is None:
            return
        single = len(self._nodes) == 1
        missing = [u for u, w in self._watched.items()
                   if u not in live and (w.track.node == node or (single and not w.track.node))]
        if not missing:
            return
        gevent.sleep(RECHECK_DELAY)
        live = self._live(node)
        if live is None:
            return
        info = self._nodes[node]
        for uuid in missing:
            if uuid in self._watched and uuid not in live:
                log.info("%s: call %s ended while its events were lost", node, uuid)
                self._end_lost(uuid, int(info.lost_at * 1e6))

    def _end_lost(self, uuid: str, lost_us: int = 0) -> None:
        watched = self._watched.get(uuid)
        if watched is None:
            return
        end = lost_end(watched.track, lost_us)
        self._tracks.pop(uuid, None)
        self._ended_by_switch[uuid] = time.monotonic()
        while watched.waiters:
            watched.waiters.popleft().set(end)

    def _audit_loop(self) -> None:
        while True:
            gevent.sleep(self.audit_interval)
            for name, info in list(self._nodes.items()):
                if info.up:
                    gevent.spawn(self._reconcile, name)

