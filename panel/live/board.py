"""The wallboard's live state: agents, queues, calls in the IVR and today's figures.

Truth comes from FreeSWITCH and the store, never from a guess:

- agents: mod_callcenter's `callcenter::info` events (agent-status-change,
  agent-state-change, agent-contact-change; fsmod.control.callcenter.cc_event),
  the time in state counted from the event's own timestamp; seeded on start
  (and again when a control link comes back) from `callcenter_config agent
  list` and `queue list agents` of every queue in [queues];
- the agent's phone: `sofia::register` / `unregister` / `expire` events when the
  control link carries them, `sofia_contact` at seeding, and a bridge to the
  agent that failed with USER_NOT_REGISTERED. An agent whose phone is gone is
  flagged `reachable: false` and not counted as available, whatever its status;
- queues: member-queue-start adds a waiting caller (joined at CC-Member-Joined-Time),
  bridge-agent-start and member-queue-end (or the caller's channel hanging up)
  remove it, so no caller stays "waiting" after it is gone; the longest wait is
  counted from the oldest join;
- calls in the IVR per flow: the serve process's call observers
  (fsmod.service.service.CallChange: admitted, moved by `goto flow`, left, ended);
- today's figures: store.reports (service level with its formula named, abandon
  rate with short abandons excluded, ASA), average handle time and occupancy,
  recomputed when calls end (at most every KPI_MIN_GAP_S) and every KPI_EVERY_S.

Every change is published on the bus topic `board` as the whole new row
(`agent`, `queue`, `ivr`, `kpis`), so applying one twice is harmless; a page
that (re)connects fetches `snapshot()` once.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from fsmod.commands.api import ApiCommand
from fsmod.control.callcenter import (
    AgentEvent,
    CallCenter,
    CcAction,
    MemberEvent,
    QueueCount,
    cc_event,
    table,
)
from fsmod.esl.events import Event

log = logging.getLogger(__name__)

TOPIC = "board"
KPI_EVERY_S = 60.0
KPI_MIN_GAP_S = 5.0
REGISTER_SUBCLASSES = {"sofia::register": True, "sofia::unregister": False,
                       "sofia::expire": False}
PHONE_GONE_CAUSES = frozenset({"USER_NOT_REGISTERED", "SUBSCRIBER_ABSENT"})
_CONTACT_USER = re.compile(r"(?:^|[}\]])\s*user/([A-Za-z0-9_.+-]{1,64})@([A-Za-z0-9_.-]{1,64})")


class Publisher(Protocol):
    def publish(self, topic: str, kind: str, data: Mapping[str, Any]) -> int: ...


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(instant: dt.datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(dt.UTC).isoformat(timespec="seconds")


def _epoch(value: str | int | None) -> dt.datetime | None:
    try:
        seconds = int(value or 0)
    except (TypeError, ValueError):
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC) if seconds > 0 else None


def phone_user(contact: str) -> str:
    """`1001@default` of an agent contact `{…}user/1001@default`, "" for another kind."""
    found = _CONTACT_USER.search(contact or "")
    return f"{found.group(1)}@{found.group(2)}" if found else ""


@dataclass
class AgentLine:
    """One agent as the wallboard shows it."""

    agent: str
    status: str = ""           # mod_callcenter's: Available, On Break, Logged Out …
    state: str = ""            # Waiting, Receiving, In a queue call, Idle
    since: dt.datetime | None = None   # the last change of status or state (aware UTC)
    queues: list[str] = field(default_factory=list)
    contact: str = ""
    phone: str = "unknown"     # registered | unregistered | unknown
    call_uuid: str = ""        # the caller's channel while bridged to this agent
    call_node: str = ""
    caller: str = ""

    @property
    def reachable(self) -> bool:
        return self.phone != "unregistered"

    @property
    def available(self) -> bool:
        """Ready for the next caller: Available, waiting, and its phone not known gone."""
        return self.status.startswith("Available") and self.state == "Waiting" \
            and self.reachable

    def as_json(self) -> dict[str, Any]:
        return {"agent": self.agent, "status": self.status, "state": self.state,
                "since": _iso(self.since), "queues": sorted(self.queues),
                "phone": self.phone, "reachable": self.reachable, "available": self.available,
                "on_call": bool(self.call_uuid), "caller": self.caller}


@dataclass
class Waiting:
    session_uuid: str
    queue: str
    caller: str
    caller_name: str
    joined_at: dt.datetime
    node: str = ""


@dataclass
class QueueLine:
    name: str
    waiting: dict[str, Waiting] = field(default_factory=dict)

    def as_json(self, now: dt.datetime) -> dict[str, Any]:
        oldest = min((w.joined_at for w in self.waiting.values()), default=None)
        callers = sorted(self.waiting.values(), key=lambda w: w.joined_at)
        return {"queue": self.name, "waiting": len(self.waiting),
                "oldest_since": _iso(oldest),
                "longest_wait_s": None if oldest is None
                else max(0, int((now - oldest).total_seconds())),
                "callers": [{"caller": w.caller, "name": w.caller_name,
                             "since": _iso(w.joined_at)} for w in callers]}


@dataclass(frozen=True)
class Kpis:
    """Today's figures (local day in [engine] timezone), each with how it is computed."""

    day: str
    service_level: float | None     # percent
    service_level_formula: str
    abandon_rate: float | None      # percent, short abandons excluded
    abandon_formula: str
    asa_s: float | None
    aht_s: float | None
    aht_formula: str
    occupancy: float | None         # percent
    occupancy_formula: str
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int


class Board:
    """The live state behind `/supervisor`; feed it events, read `snapshot()`."""

    def __init__(self, bus: Publisher, *, queues: Iterable[str] = (),
                 now: Callable[[], dt.datetime] = utc_now,
                 kpis: Callable[[], Kpis | None] | None = None,
                 on_status: Callable[[str, str, dt.datetime], None] | None = None) -> None:
        """`kpis` computes today's figures; `on_status(agent, status, at)` is told each
        status change mod_callcenter reports (the agent activity log)."""
        self.bus = bus
        self.now = now
        self.queue_names = sorted(set(queues))
        self.agents: dict[str, AgentLine] = {}
        self.queues: dict[str, QueueLine] = {q: QueueLine(q) for q in self.queue_names}
        self.ivr: dict[str, str] = {}          # call id -> the flow its line is in
        self.kpis: Kpis | None = None
        self._kpi_source = kpis
        self._on_status = on_status
        self._kpis_at: float | None = None

    # ---------------------------------------------------------------- reading

    def agent(self, name: str) -> AgentLine | None:
        return self.agents.get(name)

    def ivr_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(f for f in self.ivr.values() if f).items()))

    def snapshot(self) -> dict[str, Any]:
        now = self.now()
        return {"now": _iso(now),
                "agents": [a.as_json() for _, a in sorted(self.agents.items())],
                "queues": [q.as_json(now) for _, q in sorted(self.queues.items())],
                "ivr": self.ivr_counts(),
                "kpis": None if self.kpis is None else asdict(self.kpis)}

    # ---------------------------------------------------------------- publishing

    def _agent_changed(self, line: AgentLine) -> None:
        self.bus.publish(TOPIC, "agent", line.as_json())

    def _queue_changed(self, queue: str) -> None:
        self.bus.publish(TOPIC, "queue", self._queue(queue).as_json(self.now()))

    def _queue(self, name: str) -> QueueLine:
        if name not in self.queues:
            self.queues[name] = QueueLine(name)
        return self.queues[name]

    def _line(self, name: str) -> AgentLine:
        if name not in self.agents:
            self.agents[name] = AgentLine(name)
        return self.agents[name]

    # ---------------------------------------------------------------- FreeSWITCH events

    def on_event(self, node: str, event: Event) -> None:
        """One event of a control link (Control.subscribe's on_event)."""
        if event.name == "CUSTOM" and event.subclass in REGISTER_SUBCLASSES:
            self._registration(event)
            return
        if event.name in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"):
            self._hangup(event.unique_id)
            return
        typed = cc_event(node, event)
        at = self._event_time(event)
        if isinstance(typed, AgentEvent):
            self._agent_event(typed, at)
        elif isinstance(typed, MemberEvent):
            self._member_event(typed, at)
        elif isinstance(typed, QueueCount) and typed.count == 0 \
                and self._queue(typed.queue).waiting:
            # mod_callcenter says nobody waits: whoever we still hold left unseen
            self._queue(typed.queue).waiting.clear()
            self._queue_changed(typed.queue)

    def _event_time(self, event: Event) -> dt.datetime:
        micros = event.get("Event-Date-Timestamp")
        if micros and micros.isdigit():
            return dt.datetime.fromtimestamp(int(micros) / 1_000_000, dt.UTC)
        return self.now()

    def _agent_event(self, e: AgentEvent, at: dt.datetime) -> None:
        if e.action == CcAction.AGENT_DEL:
            if self.agents.pop(e.agent, None) is not None:
                self.bus.publish(TOPIC, "agent-gone", {"agent": e.agent})
            return
        line = self._line(e.agent)
        if e.action == CcAction.AGENT_STATUS_CHANGE and e.status is not None:
            line.status, line.since = e.status.value, at
            if self._on_status is not None:
                try:
                    self._on_status(e.agent, e.status.value, at)
                except Exception:
                    log.exception("agent %s: its status change could not be logged", e.agent)
        elif e.action == CcAction.AGENT_STATE_CHANGE and e.state is not None:
            line.state, line.since = e.state.value, at
        elif e.action == CcAction.AGENT_CONTACT_CHANGE:
            line.contact = e.contact
        elif e.action == CcAction.AGENT_ADD:
            line.status = line.status or "Logged Out"
            line.since = line.since or at
        self._agent_changed(line)

    def _member_event(self, e: MemberEvent, at: dt.datetime) -> None:
        queue = self._queue(e.queue)
        if e.action in (CcAction.MEMBER_QUEUE_START, CcAction.MEMBER_QUEUE_RESUME):
            queue.waiting[e.session_uuid] = Waiting(
                e.session_uuid, e.queue, e.caller_number, e.caller_name,
                _epoch(e.joined_at) or at, e.node)
            self._queue_changed(e.queue)
        elif e.action == CcAction.BRIDGE_AGENT_START:
            queue.waiting.pop(e.session_uuid, None)
            self._queue_changed(e.queue)
            if e.agent:
                line = self._line(e.agent)
                line.call_uuid, line.call_node, line.caller = e.session_uuid, e.node, \
                    e.caller_number
                if line.phone == "unknown":
                    line.phone = "registered"    # it answered: the phone is there
                self._agent_changed(line)
        elif e.action in (CcAction.BRIDGE_AGENT_END, CcAction.MEMBER_QUEUE_END):
            if queue.waiting.pop(e.session_uuid, None) is not None:
                self._queue_changed(e.queue)
            self._call_over(e.session_uuid)
        elif e.action == CcAction.BRIDGE_AGENT_FAIL and e.agent \
                and e.hangup_cause in PHONE_GONE_CAUSES:
            line = self._line(e.agent)
            line.phone = "unregistered"
            self._agent_changed(line)

    def _call_over(self, session_uuid: str) -> None:
        for line in self.agents.values():
            if line.call_uuid and line.call_uuid == session_uuid:
                line.call_uuid = line.call_node = line.caller = ""
                self._agent_changed(line)

    def _hangup(self, uuid: str) -> None:
        if not uuid:
            return
        for queue in self.queues.values():
            if queue.waiting.pop(uuid, None) is not None:
                self._queue_changed(queue.name)
        self._call_over(uuid)

    def _registration(self, event: Event) -> None:
        user = event.get("from-user") or event.get("username") or ""
        host = event.get("from-host") or event.get("realm") or event.get("domain_name") or ""
        if not user:
            return
        registered = REGISTER_SUBCLASSES[event.subclass]
        for line in self.agents.values():
            phone = phone_user(line.contact)
            if phone and phone.split("@")[0] == user and (
                    not host or phone.split("@")[1] in (host, "default", "${domain_name}")):
                line.phone = "registered" if registered else "unregistered"
                self._agent_changed(line)

    # ---------------------------------------------------------------- the engine's calls

    def on_call(self, change: Any) -> None:
        """fsmod.service.service.CallChange: where each call's line is in the flows."""
        if change.kind in ("admitted", "flow") and change.flow:
            self.ivr[change.call_id] = change.flow
        elif change.kind in ("left", "ended", "admitted", "flow"):
            self.ivr.pop(change.call_id, None)
        self.bus.publish(TOPIC, "ivr", {"flows": self.ivr_counts()})
        if change.kind == "ended":
            self.refresh_kpis(min_gap=KPI_MIN_GAP_S)

    # ---------------------------------------------------------------- figures

    def refresh_kpis(self, min_gap: float = 0.0) -> None:
        """Recompute today's figures (not more often than `min_gap` seconds) and publish."""
        if self._kpi_source is None:
            return
        stamp = self.now().timestamp()
        if min_gap and self._kpis_at is not None and stamp - self._kpis_at < min_gap:
            return
        self._kpis_at = stamp
        try:
            self.kpis = self._kpi_source()
        except Exception:
            log.exception("today's figures could not be computed (the wallboard keeps the last)")
            return
        if self.kpis is not None:
            self.bus.publish(TOPIC, "kpis", asdict(self.kpis))

    # ---------------------------------------------------------------- seeding

    def seed(self, control: Any, node: str | None = None) -> None:
        """Read agents, tiers and waiting callers from FreeSWITCH, so a panel started
        while the centre is busy is not blank; then publish the whole board."""
        center = CallCenter(control, node)
        try:
            rows = table(control.api(ApiCommand("callcenter_config agent list"), node))
        except Exception as exc:   # the link is down: the events will fill the board
            log.warning("cannot read mod_callcenter's agents: %s", exc)
            rows = []
        for row in rows:
            self._seed_agent(row)
        for queue in self.queue_names:
            try:
                for row in center.agents(queue):
                    self._seed_agent(row)
                    line = self.agents.get(row.get("name", ""))
                    if line is not None and queue not in line.queues:
                        line.queues.append(queue)
                members = center.members(queue)
            except Exception as exc:
                log.warning("cannot read queue %s from mod_callcenter: %s", queue, exc)
                continue
            waiting = self._queue(queue).waiting
            for row in members:
                if row.get("state", "Waiting") not in ("Waiting", "Trying"):
                    continue
                uuid = row.get("session_uuid", "")
                if uuid:
                    waiting[uuid] = Waiting(uuid, queue, row.get("cid_number", ""),
                                            row.get("cid_name", ""),
                                            _epoch(row.get("joined_epoch")) or self.now(),
                                            node or "")
        for line in self.agents.values():
            self._seed_phone(control, line, node)
        self.bus.publish(TOPIC, "snapshot", self.snapshot())

    def _seed_agent(self, row: Mapping[str, str]) -> None:
        name = row.get("name", "")
        if not name:
            return
        line = self._line(name)
        line.status = row.get("status", line.status)
        line.state = row.get("state", line.state)
        line.contact = row.get("contact", line.contact)
        line.since = _epoch(row.get("last_status_change")) or line.since or self.now()

    def _seed_phone(self, control: Any, line: AgentLine, node: str | None) -> None:
        user = phone_user(line.contact)
        if not user:
            return
        try:
            answer = control.api(ApiCommand(f"sofia_contact {user}"), node).strip()
        except Exception:
            return
        if answer.startswith("-ERR"):
            return                      # no mod_sofia here (the fake switch): unknown
        line.phone = "unregistered" if "not_registered" in answer else "registered"
