"""The agent's screen, live: the screen-pop when a queued call reaches the
agent, and the agent's own status and state, both as FreeSWITCH reports them.

`start(ctx)` subscribes to the control connection. mod_callcenter's
`bridge-agent-start` (CC-Action, capture inbound-callcenter-agent-answers)
names the agent (CC-Agent) and carries the agent leg's channel variables,
among them what the engine's queue action exported (engine/actions/queue.py
`screen_pop`: `sf_call_id`, `sf_caller`, `sf_account`, `sf_path`,
`sf_flow`). For an agent that belongs to a panel user, the caller's record
is built from the store and published on topic `agent:<username>`, kind
`screenpop`; `agent-status-change` / `agent-state-change` are published as
kind `state`. What is published is also kept (`AgentDesk`), so a page
opened later shows the same, and a call action can be checked against the
call the agent really has.

Wrap-up: mod_callcenter keeps no wrap-up status; after `bridge-agent-end`
it puts the agent back to `Waiting` and offers no call until its
wrap_up_time has passed (the panel's `[panel] wrap_up`, rendered into
callcenter.conf). The desk shows "Wrap-up" until then, counted from the
bridge's end as FreeSWITCH reports it.

The IVR path never carries a secret: collected values are not shown at all
(only which variable was asked for), prompts and spoken texts are the
engine's masked trace.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import gevent
import peewee
from gevent.queue import JoinableQueue

from fsmod.control.callcenter import AgentEvent, CcAction, MemberEvent, cc_event
from fsmod.esl.events import Event

if TYPE_CHECKING:
    from panel.context import PanelContext

log = logging.getLogger(__name__)

RECENT_CALLS = 5
IVR_STEPS = 30
CHART_W, CHART_H, CHART_PAD = 240, 80, 14
SHOWN_ACTIONS = ("play", "say", "lookup", "queue", "ticket", "fax", "submit", "transfer",
                 "goto")


def topic(username: str) -> str:
    """The live topic of one agent's screen."""
    return f"agent:{username}"


# ---------------------------------------------------------------- what the screen shows


@dataclass(frozen=True)
class UsageBar:
    label: str          # "2026-03"
    volume: float       # m³
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class UsageChart:
    """A year of usage as bars of an inline SVG (coordinates in the viewBox)."""

    width: int
    height: int
    bars: tuple[UsageBar, ...]
    top: float          # the largest month, the chart's scale


@dataclass(frozen=True)
class IvrStep:
    node: str
    action: str
    detail: str         # the prompt heard, the key chosen, the variable asked for


@dataclass(frozen=True)
class RecentCall:
    at: str             # local, "2026-11-27 09:12"
    flow: str
    end_reason: str
    agent: str


@dataclass(frozen=True)
class TicketLine:
    number: str
    type: str
    severity: int
    status: str
    created: str        # local


@dataclass(frozen=True)
class ScreenPop:
    """One queued call as the agent's screen shows it."""

    call_id: str                  # switchflow's id of the call (sf_call_id)
    member_uuid: str              # the caller's channel: what call actions act on
    agent_uuid: str               # the agent's leg
    queue: str
    flow: str
    caller: str
    account: str = ""             # "" when the caller keyed in none and no phone matched
    customer_name: str = ""
    customer_class: str = ""
    address: str = ""
    amount_due: str = ""          # money as text, 2 places ("" without a customer)
    due_date: str = ""
    arrears: str = ""
    late_fee: str = ""
    balance: str = ""
    meter: str = ""
    meter_status: str = ""
    last_reading: str = ""
    last_reading_on: str = ""
    usage: UsageChart | None = None
    open_tickets: tuple[TicketLine, ...] = ()
    recent_calls: tuple[RecentCall, ...] = ()
    ivr_path: tuple[str, ...] = ()
    ivr_steps: tuple[IvrStep, ...] = ()
    keys: tuple[tuple[str, str], ...] = ()    # (menu, key chosen)
    started: str = ""             # when the bridge began, local
    ended: str = ""               # when it ended ("" while it lasts)
    note: str = ""                # what the agent should know about this screen-pop

    def as_data(self) -> dict[str, Any]:
        """The screen-pop event's JSON data (lists, as a browser reads them)."""
        return _plain(asdict(self))


@dataclass
class AgentLive:
    """One agent as FreeSWITCH last reported it, and the call it has."""

    agent: str
    status: str = ""              # Available, On Break, Logged Out … ("" until reported)
    state: str = ""               # Waiting, Receiving, In a queue call, Idle
    wrap_up_until: dt.datetime | None = None
    call: ScreenPop | None = None
    consulting: str = ""          # the consulted party's leg during a consulted transfer

    def shown_status(self, now: dt.datetime) -> str:
        """What `#agent-status` says."""
        if not self.status:
            return "unknown"
        if self.wrap_up_until is not None and now < self.wrap_up_until \
                and self.state in ("Waiting", "Idle", ""):
            return "Wrap-up"
        return self.status

    def as_data(self, now: dt.datetime) -> dict[str, Any]:
        return {"agent": self.agent, "status": self.status, "state": self.state,
                "shown": self.shown_status(now),
                "wrap_up_until": self.wrap_up_until.isoformat() if self.wrap_up_until else "",
                "call_id": self.call.call_id if self.call else "",
                "in_call": bool(self.call and not self.call.ended)}


# ---------------------------------------------------------------- the payload from the store


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def usage_chart(months: Sequence[Any]) -> UsageChart | None:
    """Bars for up to 12 months (`UsageMonth`s, oldest first); None without usage."""
    months = list(months)[-12:]
    if not months:
        return None
    top = max(float(m.volume) for m in months) or 1.0
    inner_h = CHART_H - CHART_PAD
    step = CHART_W // 12
    bars = []
    for i, m in enumerate(months):
        height = round(float(m.volume) / top * (inner_h - 2))
        bars.append(UsageBar(m.month.strftime("%Y-%m"), float(m.volume), i * step + 2,
                             inner_h - height, step - 4, height))
    return UsageChart(CHART_W, CHART_H, tuple(bars), top)


def ivr_steps(record: Any) -> tuple[tuple[IvrStep, ...], tuple[tuple[str, str], ...]]:
    """What the caller chose and heard, from the live call record (engine.record.CallRecord).

    Values the caller keyed in are never shown, only which one was asked for;
    prompts and spoken texts come from the trace, which the engine masks."""
    steps: list[IvrStep] = []
    for entry in record.trace[-IVR_STEPS * 2:]:
        args = entry.args or {}
        if entry.action == "play":
            steps.append(IvrStep(entry.node, "heard", str(args.get("prompt", ""))))
        elif entry.action == "say":
            steps.append(IvrStep(entry.node, "heard", str(args.get("text", ""))))
        elif entry.action == "collect":
            steps.append(IvrStep(entry.node, "asked for", str(args.get("var", ""))))
        elif entry.action in SHOWN_ACTIONS:
            name = args.get("name") or args.get("type") or args.get("queue") or \
                args.get("document") or args.get("node") or args.get("flow") or ""
            steps.append(IvrStep(entry.node, entry.action, str(name)))
    keys = tuple((str(menu), str(key)) for menu, key in record.keys)
    return tuple(steps[-IVR_STEPS:]), keys


def _live_record(calls: Any, call_id: str) -> Any:
    """The record of a call still open in this process's engine, or None."""
    if calls is None or not call_id:
        return None
    open_call = calls.open_call(call_id)
    return open_call.record if open_call is not None else None


def _customer_account(account: str, caller: str) -> str:
    """The account the caller keyed in, else the one whose phone is calling."""
    from store.phones import phone_owners

    if account:
        return account
    owner = phone_owners([caller]).get(caller) if caller else None
    return owner.account if owner is not None else ""


def _recent_calls(caller: str, phones: Sequence[str], zone: dt.tzinfo,
                  call_id: str) -> tuple[RecentCall, ...]:
    from store.models.calls import CallRow
    from store.selfservice import local

    numbers = {caller, *phones} - {""}
    if not numbers:
        return ()
    rows = (CallRow.select().where(CallRow.caller.in_(sorted(numbers)), CallRow.call_id != call_id)
            .order_by(CallRow.started_at.desc()).limit(RECENT_CALLS))
    return tuple(RecentCall(local(r.started_at, zone).strftime("%Y-%m-%d %H:%M"), r.flow,
                            r.end_reason, r.agent or "") for r in rows)


def build_screenpop(event: MemberEvent, variables: Mapping[str, str], *, today: dt.date,
                    zone: dt.tzinfo, rule: Any, calls: Any = None,
                    now: dt.datetime | None = None) -> ScreenPop:
    """The screen-pop of a `bridge-agent-start`: the agent leg's `sf_*` variables,
    the customer from the store, the IVR path from the engine's live record."""
    from store.customerview import customer_view
    from store.lookups import lookup_connection

    call_id = variables.get("sf_call_id", "")
    caller = variables.get("sf_caller") or event.caller_number
    path = tuple(p for p in (variables.get("sf_path") or "").split(">") if p)
    record = _live_record(calls, call_id)
    steps, keys = ivr_steps(record) if record is not None else ((), ())
    started = (now or dt.datetime.now(dt.UTC)).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    base = dict(call_id=call_id, member_uuid=event.session_uuid, agent_uuid=event.agent_uuid,
                queue=event.queue, flow=variables.get("sf_flow", ""), caller=caller,
                ivr_path=path, ivr_steps=steps, keys=keys, started=started)
    try:
        with lookup_connection():
            account = _customer_account(variables.get("sf_account", ""), caller)
            view = customer_view(account, today, rule, zone) if account else None
            recent = _recent_calls(caller, view.phones if view else (), zone, call_id)
    except peewee.PeeweeException as exc:
        log.warning("call=%s screen-pop without the caller's record: %s", call_id, exc)
        return ScreenPop(**base, note="the store did not answer: the caller's record "
                         "is not shown; the call actions work")
    if view is None:
        return ScreenPop(**base, recent_calls=recent)
    meter = view.meter
    return ScreenPop(
        **base, account=view.account, customer_name=view.name,
        customer_class=view.customer_class, address=view.address,
        amount_due=money(view.amount_due),
        due_date=view.due_date.isoformat() if view.due_date else "",
        arrears=money(view.arrears), late_fee=money(view.late_fee), balance=money(view.balance),
        meter=meter.number if meter else "", meter_status=meter.status if meter else "",
        last_reading=str(meter.last_reading) if meter and meter.last_reading is not None else "",
        last_reading_on=meter.last_reading_on.isoformat()
        if meter and meter.last_reading_on else "",
        usage=usage_chart(view.usage),
        open_tickets=tuple(TicketLine(t.number or "", t.type, t.severity, t.status,
                                      t.created.strftime("%Y-%m-%d %H:%M"))
                           for t in view.open_tickets),
        recent_calls=recent)


# ---------------------------------------------------------------- the live desk


UserOf = Callable[[str], "str | None"]   # mod_callcenter agent name -> panel username


class AgentDesk:
    """Every panel agent's live state in this process, fed by FreeSWITCH's events.

    The events are handled in the desk's own greenlet, in the order they came:
    building a screen-pop reads the store, and the control connection's reader
    (which also tells the engine when calls end) must never wait for it."""

    def __init__(self, ctx: PanelContext, user_of: UserOf | None = None) -> None:
        self.ctx = ctx
        self.user_of = user_of or username_for_agent
        self.agents: dict[str, AgentLive] = {}
        self._inbox: JoinableQueue = JoinableQueue()
        self._worker: gevent.Greenlet | None = None

    def live(self, agent: str) -> AgentLive:
        found = self.agents.get(agent)
        if found is None:
            found = self.agents[agent] = AgentLive(agent)
        return found

    def now(self) -> dt.datetime:
        return self.ctx.now()

    def on_event(self, node: str, event: Event) -> None:
        """The control connection's event handler: mod_callcenter's agent and bridge
        events are queued for the desk's greenlet (never raises, never waits)."""
        try:
            typed = cc_event(node, event)
        except Exception:
            log.exception("screen-pop: event %s not read", event.headers.get("CC-Action"))
            return
        if isinstance(typed, AgentEvent) or (
                isinstance(typed, MemberEvent) and typed.agent and typed.action in (
                    CcAction.BRIDGE_AGENT_START, CcAction.BRIDGE_AGENT_END)):
            variables = dict(event.variables) if isinstance(typed, MemberEvent) else {}
            self._inbox.put((typed, variables))
            if self._worker is None or self._worker.dead:
                self._worker = gevent.spawn(self._drain)

    def settle(self, timeout: float | None = 5.0) -> bool:
        """Wait until every event queued so far is handled (tests, shutdown)."""
        return bool(self._inbox.join(timeout))

    def _drain(self) -> None:
        while True:
            typed, variables = self._inbox.get()
            try:
                if isinstance(typed, AgentEvent):
                    self._agent_event(typed)
                elif typed.action == CcAction.BRIDGE_AGENT_START:
                    self._bridged(typed, variables)
                else:
                    self._unbridged(typed)
            except Exception:   # one bad event must not stop the others
                log.exception("screen-pop: event %s not handled", typed.action)
            finally:
                self._inbox.task_done()

    def _publish_state(self, live: AgentLive) -> None:
        username = self.user_of(live.agent)
        if username:
            self.ctx.bus.publish(topic(username), "state", live.as_data(self.now()))

    def _agent_event(self, event: AgentEvent) -> None:
        if event.action not in (CcAction.AGENT_STATUS_CHANGE, CcAction.AGENT_STATE_CHANGE):
            return
        live = self.live(event.agent)
        if event.status is not None:
            live.status = event.status.value
        if event.state is not None:
            live.state = event.state.value
        self._publish_state(live)

    def _bridged(self, event: MemberEvent, variables: Mapping[str, str]) -> None:
        username = self.user_of(event.agent)
        if not username:
            return
        settings = self.ctx.settings
        from engine.calendars.clock import get_zone
        from store.latefees import LateFeeRule

        zone = get_zone(settings.engine.timezone)
        now = self.now()
        pop = build_screenpop(event, variables, today=now.astimezone(zone).date(), zone=zone,
                              rule=LateFeeRule.from_settings(settings), calls=self.ctx.calls,
                              now=now)
        live = self.live(event.agent)
        live.call, live.wrap_up_until, live.consulting = pop, None, ""
        self.ctx.bus.publish(topic(username), "screenpop", pop.as_data())

    def _unbridged(self, event: MemberEvent) -> None:
        live = self.live(event.agent)
        if live.call is None or live.call.member_uuid != event.session_uuid:
            return
        from engine.calendars.clock import get_zone

        ended = (dt.datetime.fromtimestamp(event.ended_at, dt.UTC) if event.ended_at
                 else self.now())
        zone = get_zone(self.ctx.settings.engine.timezone)
        live.call = _replace(live.call, ended=ended.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"))
        wrap = self.ctx.settings.panel.wrap_up
        live.wrap_up_until = ended + dt.timedelta(milliseconds=wrap) if wrap else None
        self._publish_state(live)
        username = self.user_of(live.agent)
        if wrap and username:       # tell the page when the wrap-up is over
            gevent.spawn_later(wrap / 1000, self._wrap_up_over, username, live)

    def _wrap_up_over(self, username: str, live: AgentLive) -> None:
        if live.wrap_up_until is not None and self.now() >= live.wrap_up_until:
            self.ctx.bus.publish(topic(username), "state", live.as_data(self.now()))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _replace(pop: ScreenPop, **changes: Any) -> ScreenPop:
    from dataclasses import replace

    return replace(pop, **changes)


def username_for_agent(agent: str) -> str | None:
    """The panel user whose mod_callcenter agent is `agent` (store users table)."""
    from store.lookups import lookup_connection
    from store.users import username_for_agent as find

    with lookup_connection():
        return find(agent)


_DESKS: dict[int, AgentDesk] = {}


def desk(ctx: PanelContext) -> AgentDesk:
    """The desk of this panel (one per PanelContext)."""
    found = _DESKS.get(id(ctx))
    if found is None or found.ctx is not ctx:
        found = _DESKS[id(ctx)] = AgentDesk(ctx)
    return found


def start(ctx: PanelContext) -> None:
    """Follow mod_callcenter's events on the control connection (serve start)."""
    if ctx.control is None:
        log.info("screen-pop: no FreeSWITCH control connection; no screen-pops")
        return
    ctx.control.subscribe(on_event=desk(ctx).on_event)
