"""A call's life: which flow takes a new line, the flows that follow, the record's end.

`Calls` is what the outbound socket server (fsmod) or the simulated switch
hands every new line to:

- a line carrying `sf_call_id` of an open call joins it as a new segment
  (the agent handing the caller back to a flow: the post-call question),
  in the flow named by `sf_flow`;
- a line carrying only `sf_flow` (an originated call) starts a call in that
  flow; with `sf_campaign` and `sf_target` too (a campaign call the callee
  answered) it starts at the campaign's `on answer` node with the flow's
  `target` set from the campaign store's record of that target, and, when
  the campaign has `on machine`, a machine the line detects (ChannelEvent
  "machine") moves the flow to that node once; any other
  line is routed by its dialled number, through one table built from the
  flows' `number` headers (a number in two flows is refused
  when the flows are loaded);
- a `goto flow NAME` hands the line to another flow: a new segment of the
  same call and record.

The call's id is switchflow's own, new for every call, so a record never
depends on FreeSWITCH not reusing a channel UUID. When its lines are done,
the call is still open: the caller may be talking to an agent. The record
is finalised with the switch's `CallEnd` (`Switch.watch`) and committed
once, through `runtime.sink.commit`.
"""

from __future__ import annotations

import contextlib
import logging
import uuid as _uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import gevent
from gevent.event import AsyncResult, Event

from engine.actions.queue import callcenter_queue
from engine.campaigns.ports import CampaignStore
from engine.channel.callerid import caller_number
from engine.channel.contract import CallGone, Channel
from engine.channel.switch import CallEnd, Switch
from engine.record import CallRecord, Segment
from engine.runtime import Runtime
from engine.session import CallSession, Observer

log = logging.getLogger(__name__)

HAND_BACK_CALL = "sf_call_id"    # channel variables of a line handed back to a flow
HAND_BACK_FLOW = "sf_flow"
CAMPAIGN, CAMPAIGN_TARGET, CAMPAIGN_NUMBER = "sf_campaign", "sf_target", "sf_number"
CALLER_LANG = "sf_lang"          # the caller's language, when the dialplan knows it
NO_ROUTE_CAUSE = "UNALLOCATED_NUMBER"
SEGMENTS_GRACE_S = 30.0          # how long a segment may take to stop once the call has ended


class CallsError(ValueError):
    """The flows cannot be served together; the message names what to change."""


@dataclass
class OpenCall:
    """A call between its first line and its real end."""

    record: CallRecord
    uuid: str
    lang: str | None = None         # the caller's language (else each flow's own)
    lines: int = 0                  # segments running now
    steps: int = 0                  # steps taken by all its flows (one loop guard per call)
    idle: Event = field(default_factory=Event)
    done: AsyncResult = field(default_factory=AsyncResult)

    def wait(self, timeout: float | None = None) -> CallRecord:
        """The committed record, once the switch has reported the call's end."""
        return self.done.get(timeout=timeout)


def routing_table(flows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Dialled number -> flow name, from the flows' `number` headers."""
    table: dict[str, str] = {}
    for ir in flows:
        for number in ir.get("numbers") or ():
            other = table.get(number)
            if other is not None and other != ir["flow"]:
                raise CallsError(f"number {number} is in two flows: `{other}` and "
                                 f"`{ir['flow']}` ({ir.get('source', '?')}); "
                                 "remove it from one of them")
            table[number] = ir["flow"]
    return table


class Calls:
    """Every call of one engine process, from its first line to its committed record."""

    campaigns: CampaignStore | None = None   # targets of answered campaign calls (serve sets it)

    def __init__(self, flows: Iterable[Mapping[str, Any]], runtime: Runtime, switch: Switch, *,
                 follow_goto_flow: bool = True):
        """`follow_goto_flow=False` ends a call's flow part at `goto flow` (flow tests:
        the other flow's own tests cover it)."""
        self.flows = {ir["flow"]: ir for ir in flows}
        self.routes = routing_table(self.flows.values())
        self.rt = runtime
        self.switch = switch
        self.follow = follow_goto_flow
        self._open: dict[str, OpenCall] = {}
        self._check()

    def _check(self) -> None:
        problems = []
        for ir in self.flows.values():
            for op in flow_ops(ir):
                if op["op"] == "goto" and op.get("flow") and self.follow \
                        and op["flow"] not in self.flows:
                    problems.append(f"{ir['source']}:{op['line']}: `goto flow {op['flow']}`: "
                                    "no such flow is loaded")
                if op["op"] == "queue" and \
                        callcenter_queue(self.rt.queues, op["queue"], op.get("skill")) is None:
                    problems.append(f"{ir['source']}:{op['line']}: queue `{op['queue']}` has no "
                                    "mod_callcenter queue in settings [queues]")
        if problems:
            raise CallsError("; ".join(problems))

    @property
    def open_calls(self) -> int:
        return len(self._open)

    def open_call(self, call_id: str) -> OpenCall | None:
        """The call with this id while it is in progress here (the panel's screen-pop
        reads what the caller chose and heard from its record)."""
        return self._open.get(call_id)

    # ------------------------------------------------------------ a new line

    def handle(self, channel: Channel, *, flow: str | None = None, start: str | None = None,
               variables: Mapping[str, Any] | None = None,
               observer: Observer | None = None, lang: str | None = None) -> OpenCall:
        """Run the flows this line is for; returns when the line is done with them.

        `flow`, `start` and `variables` choose the flow, its first node and
        preset variables directly (flow tests, `switchflow call`); `lang` is
        the caller's language (else the line's `sf_lang`, else each flow's).
        """
        call, name = self._admit(channel, flow)
        if lang or channel.variables.get(CALLER_LANG):
            call.lang = lang or channel.variables.get(CALLER_LANG)
        call.lines += 1
        call.idle.clear()
        try:
            if name is None:
                self._no_route(channel, call)
            else:
                machine = None
                if start is None and variables is None:
                    start, variables = self._campaign_call(channel, name)
                    machine = self._machine_node(channel, name) if start else None
                self._run(channel, call, name, start, variables, observer, machine)
        finally:
            call.lines -= 1
            if not call.lines:
                call.idle.set()
        return call

    def _admit(self, channel: Channel, flow: str | None) -> tuple[OpenCall, str | None]:
        """The open call this line belongs to (joined or new) and the flow to run."""
        given = channel.variables
        wanted = flow or given.get(HAND_BACK_FLOW)
        call_id = given.get(HAND_BACK_CALL)
        name = wanted if wanted in self.flows else None
        if wanted is None:
            name = self.routes.get(channel.called)
        if call_id and call_id in self._open:
            log.info("call=%s joined by a line handed back to flow %s", call_id, wanted)
            return self._open[call_id], name
        if call_id:
            log.warning("call=%s is not open here (handed back after its end?): "
                        "a new call in flow %s", call_id, wanted)
        record = CallRecord(call_id=str(_uuid.uuid4()), flow=name or "",
                            caller=caller_number(channel.caller),
                            called=channel.called, started_at=channel.clock.now(),
                            channel_uuid=channel.uuid)
        call = OpenCall(record, channel.uuid)
        self._open[record.call_id] = call
        gevent.spawn(self._finalise, call)
        return call, name

    def _campaign_call(self, channel: Channel,
                       name: str) -> tuple[str | None, dict[str, Any] | None]:
        """The `on answer` node and the `target` of an answered campaign call, else (None, None)."""
        given = channel.variables
        campaign, target_id = given.get(CAMPAIGN), given.get(CAMPAIGN_TARGET)
        if not campaign or not target_id:
            return None, None
        spec = (self.flows[name].get("campaigns") or {}).get(campaign)
        if spec is None or "answer" not in (spec.get("on") or {}):
            log.warning("flow %s has no campaign %s with `on answer`: the call starts at the "
                        "flow's start", name, campaign)
            return None, None
        target: dict[str, Any] = {"id": target_id, "phone": given.get(CAMPAIGN_NUMBER, "")}
        found = None
        if self.campaigns is not None and target_id.isdigit():
            try:
                found = self.campaigns.target(int(target_id))
            except Exception:
                log.exception("campaign %s target %s could not be read", campaign, target_id)
        if found is not None:
            target.update({"account": found.account, "name": found.name})
            target.update(found.data)
            target["phone"] = target["phone"] or (found.phones[0] if found.phones else "")
        else:
            log.warning("campaign %s target %s is not in the campaign store: `target` has only "
                        "its id and phone", campaign, target_id)
        return spec["on"]["answer"], {"target": target}

    def _machine_node(self, channel: Channel, name: str) -> str | None:
        """The `on machine` node of an answered campaign call's campaign, if it has one."""
        spec = (self.flows[name].get("campaigns") or {}).get(channel.variables.get(CAMPAIGN, ""))
        return ((spec or {}).get("on") or {}).get("machine")

    def _run(self, channel: Channel, call: OpenCall, name: str, start: str | None,
             variables: Mapping[str, Any] | None, observer: Observer | None,
             machine: str | None = None) -> None:
        while True:
            session = CallSession(self.flows[name], channel, self.rt, record=call.record,
                                  start=start, variables=variables, observer=observer,
                                  steps=call.steps, lang=call.lang, machine_node=machine)
            machine = None       # a flow the call goes on to has no campaign of its own
            try:
                session.run()
            finally:
                call.steps = session.steps
                if session.segment is not None:
                    call.record.segments.append(session.segment)
            if session.next_flow is None:
                return
            if not self.follow or session.next_flow not in self.flows:
                with contextlib.suppress(CallGone):
                    channel.hangup()
                return
            name, start, variables = session.next_flow, None, None

    def _no_route(self, channel: Channel, call: OpenCall) -> None:
        record = call.record
        detail = f"no flow for the dialled number {channel.called!r}"
        log.warning("call=%s %s", record.call_id, detail)
        now = channel.clock.now()
        with contextlib.suppress(CallGone):
            channel.hangup(NO_ROUTE_CAUSE)
        record.end_reason, record.detail = "no_route", detail
        record.segments.append(Segment("", now, now, "no_route", detail))

    # ------------------------------------------------------------ the real end

    def _finalise(self, call: OpenCall) -> None:
        """Wait for the switch's word that the call ended, then commit its record once."""
        record = call.record
        try:
            end = self.switch.watch(call.uuid)
            if not call.idle.wait(SEGMENTS_GRACE_S):
                log.warning("call=%s a flow was still running %.0f s after the call ended",
                            record.call_id, SEGMENTS_GRACE_S)
            complete(record, end)
        finally:
            self._open.pop(record.call_id, None)
        try:
            self.rt.sink.commit(record)
        except Exception:
            log.exception("call=%s the call record could not be committed", record.call_id)
        finally:
            call.done.set(record)


def complete(record: CallRecord, end: CallEnd) -> None:
    """The whole-call fields of a record, from the switch's report of its end."""
    record.ended_at = end.ended_at
    record.hangup_cause = end.cause
    record.hangup_by = end.hangup_by
    record.talk_ms = end.talk_ms
    answered = [v.agent for v in record.queues if v.outcome == "answered" and v.agent]
    record.agent = end.agent or (answered[-1] if answered else None)


def flow_ops(ir: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """Every op of a compiled flow, nested ones included."""
    stack: list[Mapping[str, Any]] = []
    for node in ir["nodes"].values():
        stack.extend(node.get("ops", []))
        for key_ops in node.get("keys", {}).values():
            stack.extend(key_ops)
        for event in ("nomatch", "noinput", "exhausted"):
            stack.extend(node.get(event) or [])
    while stack:
        op = stack.pop()
        yield op
        for branch in op.get("branches", []):
            stack.extend(branch["ops"])
        for handler in (op.get("on") or {}).values():
            stack.extend(handler["ops"])
