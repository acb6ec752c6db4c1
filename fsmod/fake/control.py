"""The fake switch's control side beyond the basic api: mod_callcenter's
agents and tiers (`callcenter_config`) with their CUSTOM `callcenter::info`
events, the member events of a queued call (fired by the callcenter
application through `cc_member`), and `uuid_exists`.

Forms are those of captures inbound-callcenter-control and
inbound-callcenter-agent-answers: `+OK\\n` answers, the `|` tables of
`queue list agents|members`, `CC-Action` events with the CC-* headers in
the captured order. A mixin of FakeFreeSWITCH.
"""

from __future__ import annotations

import shlex
import time
import uuid as uuidlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gevent

from fsmod.fake.call import FRAME
from fsmod.vocab import EventName

if TYPE_CHECKING:
    from fsmod.fake.call import FakeCall
    from fsmod.fake.events import Identity

AGENT_COLUMNS = ("name|instance_id|uuid|type|contact|status|state|max_no_answer|wrap_up_time|"
                 "reject_delay_time|busy_delay_time|no_answer_delay_time|last_bridge_start|"
                 "last_bridge_end|last_offered_call|last_status_change|no_answer_count|"
                 "calls_answered|talk_time|ready_time|external_calls_count")
MEMBER_COLUMNS = ("queue|instance_id|uuid|session_uuid|cid_number|cid_name|system_epoch|"
                  "joined_epoch|rejoined_epoch|bridge_epoch|abandoned_epoch|base_score|"
                  "skill_score|serving_agent|serving_system|state|score")
ORIGIN = ("mod_callcenter.c", "cc_agent_update", 1067)


@dataclass
class FakeAgent:
    name: str
    kind: str = "callback"
    contact: str = ""
    status: str = "Logged Out"
    state: str = "Waiting"
    changed: int = 0


class CallcenterControl:
    """`api_callcenter_config`, `api_uuid_exists`, `cc_member` (see the module)."""

    calls: dict[str, FakeCall]
    identity: Identity

    def fire(self, name: str, headers: list[tuple[str, str]], body: str = "",
             unique_id: str = "") -> None:
        raise NotImplementedError

    @property
    def agents(self) -> dict[str, FakeAgent]:
        found = self.__dict__.get("_cc_agents")
        if found is None:
            found = self.__dict__["_cc_agents"] = {}
        return found

    @property
    def tiers(self) -> set[tuple[str, str]]:
        found = self.__dict__.get("_cc_tiers")
        if found is None:
            found = self.__dict__["_cc_tiers"] = set()
        return found

    def _cc_fire(self, rows: list[tuple[str, str]], function: str = "cc_agent_update",
                 line: int = 1067, call: FakeCall | None = None, now: bool = False) -> None:
        """A `callcenter::info` event, fired after the reply of the command that
        caused it (as the real switch's agent and member threads do), or at once
        (`now`: a member thread's sequence of events); with `call`, as a channel
        event of that leg (member-queue-start and -end carry the member's
        channel, bridge-agent-start and -end the agent's)."""
        origin = ("mod_callcenter.c", function, line)
        if call is not None:
            headers = self.identity.channel_event(EventName.CUSTOM, call, rows,
                                                  "callcenter::info", origin)
            uuid = call.uuid
        else:
            headers = self.identity.core(EventName.CUSTOM.value, "callcenter::info", origin)
            headers += rows
            uuid = ""
        if now:
            self.fire(EventName.CUSTOM.value, headers, "", uuid)
        else:
            gevent.spawn(self.fire, EventName.CUSTOM.value, headers, "", uuid)

    def _live(self, uuid: str) -> FakeCall | None:
        call = self.calls.get(uuid)
        return None if call is None or call.gone else call

    def api_uuid_hold(self, args: str) -> str:
        """`uuid_hold [off|toggle] UUID`: loopback legs keep no hold state, so
        `off` fails and `toggle` holds again (capture inbound-call-control)."""
        words = args.split()
        mode = words[0] if words and words[0] in ("off", "toggle") else ""
        call = self._live(words[-1] if words else "")
        if call is None:
            return "-ERR No such channel!\n"
        if mode == "off":
            return "-ERR Operation failed\n"
        call.fire(EventName.CHANNEL_HOLD)
        return "+OK Success\n"

    def api_uuid_broadcast(self, args: str) -> str:
        """`uuid_broadcast UUID PATH [aleg|bleg|both]`: the leg plays PATH within
        what it runs (a parked leg: CHANNEL_EXECUTE playback, park goes on)."""
        words = args.split()
        call = self._live(words[0]) if words else None
        if len(words) < 2 or call is None:
            return "-ERR No such channel!\n"
        leg = words[2] if len(words) > 2 else "aleg"
        targets = [call] if leg == "aleg" else []
        partner = call.bridge_partner
        if leg in ("bleg", "both") and partner is not None:
            targets = [call, partner] if leg == "both" else [partner]
        for target in targets:
            gevent.spawn_later(10 * FRAME * self.scale, target.broadcast, "playback",
                               words[1])  # type: ignore[attr-defined]
        return "+OK Message sent\n"

    def api_uuid_bridge(self, args: str) -> str:
        """`uuid_bridge A B`: `+OK B`; both legs stop what they run and execute
        uuid_bridge (CHANNEL_EXECUTE on each), A fires CHANNEL_BRIDGE;
        `-ERR Invalid uuid` when either is missing."""
        words = args.split()
        if len(words) != 2:
            return "-ERR Invalid uuid\n"
        a, b = self._live(words[0]), self._live(words[1])
        if a is None or b is None:
            return "-ERR Invalid uuid\n"
        stamp = str(int(time.time()))
        for one, other in ((a, b), (b, a)):
            one.bridge_partner, one.bridge_first = other, one is a
            one.other, one.other_type = other.as_other_leg(), "originatee"
            one.transfer_source = f"{stamp}:{uuidlib.uuid4()}:uuid_br:{other.uuid}"
            one.state, one.state_number = "CS_SOFT_EXECUTE", 3
            one.on_hangup(one.interrupt_bridge)
        gevent.spawn_later(3 * FRAME * self.scale, self._bridge_now, a, b)  # type: ignore
        return f"+OK {b.uuid}\n"

    def _bridge_now(self, a: FakeCall, b: FakeCall) -> None:
        for one, other in ((a, b), (b, a)):
            if not one.gone:
                one.pending.clear()
                one.dialplan_leg = True
                one.enqueue("uuid_bridge", other.uuid, str(uuidlib.uuid4()))
                one.move()

    def api_uuid_transfer(self, args: str) -> str:
        """`uuid_transfer UUID [-bleg|-both] DEST [XML CONTEXT]`: the leg runs the
        extension DEST (`extensions`, else answer and park); a leg moved out of a
        uuid_bridge leaves its partner, which unbridges and hangs up."""
        words = [w for w in args.split() if not w.startswith("-")]
        call = self._live(words[0]) if words else None
        if call is None or len(words) < 2:
            return "-ERR No such channel!\n"
        gevent.spawn(call.transfer, self.extension(words[1]), words[1])
        return "+OK\n"

    def api_uuid_exists(self, args: str) -> str:
        call = self.calls.get(args.strip())
        return "true" if call is not None and not call.gone else "false"

    def api_callcenter_config(self, args: str) -> str:
        try:
            words = shlex.split(args)
        except ValueError:
            return "-ERR Invalid syntax\n"
        if words[:2] == ["agent", "add"] and len(words) >= 3:
            if words[2] in self.agents:
                return "-ERR Agent already exist!\n"
            kind = words[3] if len(words) > 3 else "callback"
            self.agents[words[2]] = FakeAgent(words[2], kind)
            self._cc_fire([("CC-Agent", words[2]), ("CC-Agent-Type", kind),
                           ("CC-Action", "agent-add")], "cc_agent_add", 0)
            return "+OK\n"
        if words[:2] == ["agent", "del"] and len(words) == 3:
            if self.agents.pop(words[2], None) is None:
                return "-ERR Invalid Agent!\n"
            # no event: 1.10.12 sends none for a removed agent (both callcenter captures)
            self.tiers.difference_update({t for t in self.tiers if t[1] == words[2]})
            return "+OK\n"
        if words[:2] == ["agent", "get"] and len(words) == 4 and words[2] in ("status", "state"):
            agent = self.agents.get(words[3])
            if agent is None:
                return "-ERR Invalid Agent!\n"
            value = agent.status if words[2] == "status" else agent.state
            self._cc_fire([("CC-Agent", agent.name), ("CC-Action", f"agent-{words[2]}-get"),
                           (f"CC-Agent-{words[2].title()}", value)], "cc_agent_get", 970)
            return value
        if words[:2] == ["agent", "set"] and len(words) == 5:
            agent = self.agents.get(words[3])
            if agent is None:
                return "-ERR Invalid Agent!\n"
            what, value = words[2], words[4]
            if what == "status":
                agent.status, agent.changed = value, int(time.time())
                self._cc_fire([("CC-Agent", agent.name), ("CC-Action", "agent-status-change"),
                               ("CC-Agent-Status", value)])
            elif what == "state":
                agent.state = value
                self._cc_fire([("CC-Agent", agent.name), ("CC-Action", "agent-state-change"),
                               ("CC-Agent-State", value)])
            elif what == "contact":
                agent.contact = value
                self._cc_fire([("CC-Agent", agent.name), ("CC-Action", "agent-contact-change"),
                               ("CC-Agent-Contact", value)])
            else:
                return "-ERR Invalid Agent Update!\n"
            return "+OK\n"
        if words[:2] == ["tier", "add"] and len(words) >= 4:
            if words[3] not in self.agents:
                return "-ERR Invalid Agent!\n"
            self.tiers.add((words[2], words[3]))
            return "+OK\n"
        if words[:2] == ["tier", "del"] and len(words) == 4:
            self.tiers.discard((words[2], words[3]))
            return "+OK\n"
        if words[:3] == ["queue", "list", "agents"] and len(words) == 4:
            rows = [AGENT_COLUMNS]
            for queue, name in sorted(self.tiers):
                if queue == words[3] and name in self.agents:
                    a = self.agents[name]
                    rows.append(f"{a.name}|single_box||{a.kind}|{a.contact}|{a.status}|{a.state}"
                                f"|0|0|0|0|0|0|0|0|{a.changed}|0|0|0|0|0")
            return _table(rows)
        if words[:3] == ["queue", "list", "members"] and len(words) == 4:
            rows = [MEMBER_COLUMNS]
            for call in self.calls.values():
                v = call.variables
                if v.get("cc_queue") == words[3] and v.get("cc_side") == "member" \
                        and not call.gone and "cc_cause" not in v:
                    rows.append(f"{words[3]}|single_box|{v.get('cc_member_uuid', '')}|"
                                f"{call.uuid}|{call.script.caller}|{call.script.caller_name}|"
                                f"{v.get('cc_queue_joined_epoch', '0')}|"
                                f"{v.get('cc_queue_joined_epoch', '0')}|0|0|0|0|0|||Waiting|0")
            return _table(rows)
        if words[:2] == ["queue", "load"] or words[:2] == ["queue", "reload"]:
            return "+OK\n"
        return "-ERR Invalid syntax\n"

    def cc_member(self, call: FakeCall, action: str, extra: list[tuple[str, str]] = (), *,
                  leg: FakeCall | None = None, now: bool = False) -> None:
        """A member event of the queued call `call` (member-queue-start …), and
        the queue's members-count where mod_callcenter sends one with it. It
        carries the member's channel, or `leg`'s (the agent's, for
        bridge-agent-start and -end), or none (agent-offering, bridge-agent-fail)."""
        v = call.variables
        queue = v.get("cc_queue", "")
        name = [("CC-Member-CID-Name", call.script.caller_name)] if call.script.caller_name else []
        rows = [("CC-Queue", queue), ("CC-Action", action), *extra,
                ("CC-Member-UUID", v.get("cc_member_uuid", "")),
                ("CC-Member-Session-UUID", call.uuid), *name,
                ("CC-Member-CID-Number", call.script.caller)]
        channel = leg or (None if action in ("agent-offering", "bridge-agent-fail") else call)
        function = ("callcenter_function" if action == "member-queue-start"
                    or ("CC-Cause", "Cancel") in extra else "outbound_agent_thread_run")
        self._cc_fire(rows, function, 0, channel, now)
        if action == "member-queue-start" or ("CC-Cause", "Cancel") in extra:
            self.cc_count(call, now)     # a member bridged to an agent was counted then

    def available_agent(self, queue: str) -> FakeAgent | None:
        """An agent of `queue` (a tier) who can be offered a member now."""
        for tier_queue, name in sorted(self.tiers):
            agent = self.agents.get(name)
            if tier_queue == queue and agent is not None and agent.contact \
                    and agent.status == "Available" and agent.state == "Waiting":
                return agent
        return None

    def cc_count(self, call: FakeCall, now: bool = False) -> None:
        """members-count of `call`'s queue: the members still waiting."""
        queue = call.variables.get("cc_queue", "")
        waiting = sum(1 for c in self.calls.values()
                      if c.variables.get("cc_queue") == queue and c.variables.get("cc_side")
                      == "member" and not c.gone and "cc_cause" not in c.variables)
        self._cc_fire([("CC-Queue", queue), ("CC-Action", "members-count"),
                       ("CC-Count", str(waiting)), ("CC-Selection", "Single-Queue")],
                      "cc_queue_count", 878, None, now)

    def cc_agent_state(self, name: str, state: str, now: bool = False) -> None:
        agent = self.agents.get(name)
        if agent is not None:
            agent.state = state
        self._cc_fire([("CC-Agent", name), ("CC-Action", "agent-state-change"),
                       ("CC-Agent-State", state)], now=now)


def _table(rows: list[str]) -> str:
    """A `queue list` answer: the header only above rows (an empty list is `+OK`)."""
    return "\n".join(rows) + "\n+OK\n" if len(rows) > 1 else "+OK\n"
