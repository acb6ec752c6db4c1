"""mod_callcenter on the control connection: agents, tiers, queues, and its
`callcenter::info` events as typed values for the panel.

Commands go through fsmod.commands.api's checked builders and come back as
`CcResult` (ok, the text) or tables (`queue list agents|members`: a
`|`-separated header row, rows, `+OK`; capture inbound-callcenter-control).
Events (CUSTOM `callcenter::info`, header `CC-Action`; captures
inbound-callcenter-control and inbound-callcenter-agent-answers) become
`AgentEvent` (agent-add, agent-del, agent-status-change, agent-state-change,
agent-contact-change, agent-offering), `MemberEvent` (member-queue-start,
member-queue-end, bridge-agent-start, bridge-agent-end, bridge-agent-fail,
member-queue-resume) or `QueueCount` (members-count); an action we do not
know is kept as `OtherCcEvent` with its headers, never dropped silently.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from fsmod.commands import api as cmd
from fsmod.commands.api import AgentState, AgentStatus
from fsmod.control.link import ControlError
from fsmod.control.nodes import Control
from fsmod.esl.events import Event
from fsmod.vocab import Subclass


class CcAction(enum.StrEnum):
    AGENT_ADD = "agent-add"
    AGENT_DEL = "agent-del"
    AGENT_STATUS_CHANGE = "agent-status-change"
    AGENT_STATE_CHANGE = "agent-state-change"
    AGENT_CONTACT_CHANGE = "agent-contact-change"
    AGENT_OFFERING = "agent-offering"
    MEMBER_QUEUE_START = "member-queue-start"
    MEMBER_QUEUE_END = "member-queue-end"
    MEMBER_QUEUE_RESUME = "member-queue-resume"
    BRIDGE_AGENT_START = "bridge-agent-start"
    BRIDGE_AGENT_END = "bridge-agent-end"
    BRIDGE_AGENT_FAIL = "bridge-agent-fail"
    MEMBERS_COUNT = "members-count"


AGENT_ACTIONS = frozenset({CcAction.AGENT_ADD, CcAction.AGENT_DEL, CcAction.AGENT_STATUS_CHANGE,
                           CcAction.AGENT_STATE_CHANGE, CcAction.AGENT_CONTACT_CHANGE})
MEMBER_ACTIONS = frozenset({CcAction.AGENT_OFFERING, CcAction.MEMBER_QUEUE_START,
                            CcAction.MEMBER_QUEUE_END, CcAction.MEMBER_QUEUE_RESUME,
                            CcAction.BRIDGE_AGENT_START, CcAction.BRIDGE_AGENT_END,
                            CcAction.BRIDGE_AGENT_FAIL})


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _status(value: str | None) -> AgentStatus | None:
    try:
        return AgentStatus(value) if value else None
    except ValueError:
        return None


def _state(value: str | None) -> AgentState | None:
    try:
        return AgentState(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class AgentEvent:
    """An agent changed: added, removed, its status (Available, On Break …) or
    its state (Waiting, Receiving, In a queue call …)."""

    node: str
    action: CcAction
    agent: str
    status: AgentStatus | None = None
    state: AgentState | None = None
    contact: str = ""


@dataclass(frozen=True)
class MemberEvent:
    """A caller (member) in a queue: joined, offered to an agent, bridged,
    unbridged, gone. `session_uuid` is the caller's channel; `cause` is
    `CC-Cause` (Terminated, Cancel) at member-queue-end; `cancel_reason`
    (BREAK_OUT, TIMEOUT …) when the caller left unanswered; `hangup_cause`
    is `CC-Hangup-Cause` of an agent bridge; times are epoch seconds."""

    node: str
    action: CcAction
    queue: str
    session_uuid: str
    member_uuid: str = ""
    caller_number: str = ""
    caller_name: str = ""
    agent: str = ""
    agent_uuid: str = ""
    cause: str = ""
    cancel_reason: str = ""
    hangup_cause: str = ""
    joined_at: int | None = None
    answered_at: int | None = None
    ended_at: int | None = None

    @property
    def talk_s(self) -> int | None:
        """Seconds bridged to the agent (bridge-agent-end, member-queue-end)."""
        if self.answered_at and self.ended_at:
            return max(0, self.ended_at - self.answered_at)
        return None


@dataclass(frozen=True)
class QueueCount:
    """How many callers wait in a queue (members-count)."""

    node: str
    queue: str
    count: int
    action: CcAction = CcAction.MEMBERS_COUNT


@dataclass(frozen=True)
class OtherCcEvent:
    node: str
    action: str
    headers: Mapping[str, str]


CcEvent = AgentEvent | MemberEvent | QueueCount | OtherCcEvent


def cc_event(node: str, event: Event) -> CcEvent | None:
    """The typed callcenter event in `event`, or None if it is not one."""
    if event.name != "CUSTOM" or event.subclass != Subclass.CALLCENTER_INFO:
        return None
    h = event.headers
    raw = h.get("CC-Action", "")
    try:
        action = CcAction(raw)
    except ValueError:
        return OtherCcEvent(node, raw, h)
    if action == CcAction.MEMBERS_COUNT:
        return QueueCount(node, h.get("CC-Queue", ""), _int(h.get("CC-Count")) or 0)
    if action in AGENT_ACTIONS:
        return AgentEvent(node, action, h.get("CC-Agent", ""),
                          _status(h.get("CC-Agent-Status")), _state(h.get("CC-Agent-State")),
                          h.get("CC-Agent-Contact", ""))
    ended = (h.get("CC-Bridge-Terminated-Time") or h.get("CC-Member-Leaving-Time"))
    return MemberEvent(
        node, action, h.get("CC-Queue", ""), h.get("CC-Member-Session-UUID", ""),
        h.get("CC-Member-UUID", ""), h.get("CC-Member-CID-Number", ""),
        h.get("CC-Member-CID-Name", ""), h.get("CC-Agent", ""), h.get("CC-Agent-UUID", ""),
        h.get("CC-Cause", ""), h.get("CC-Cancel-Reason", ""), h.get("CC-Hangup-Cause", ""),
        _int(h.get("CC-Member-Joined-Time")), _int(h.get("CC-Agent-Answered-Time")),
        _int(ended))


@dataclass(frozen=True)
class CcResult:
    ok: bool
    text: str


def table(text: str) -> list[dict[str, str]]:
    """A `callcenter_config … list` answer as rows (header row names the columns)."""
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("+OK")]
    if not lines or "|" not in lines[0]:
        return []
    names = lines[0].split("|")
    return [dict(zip(names, ln.split("|"), strict=False)) for ln in lines[1:]]


class CallCenter:
    """mod_callcenter's configuration on one node (agents, tiers, queues)."""

    def __init__(self, control: Control, node: str | None = None) -> None:
        self.control = control
        self.node = node

    def _do(self, command: cmd.ApiCommand) -> CcResult:
        text = self.control.api(command, self.node)
        return CcResult(text.startswith("+OK"), text.strip())

    def _rows(self, command: cmd.ApiCommand) -> list[dict[str, str]]:
        text = self.control.api(command, self.node)
        if text.startswith("-ERR"):
            raise ControlError(f"`{command.text}`: {text.strip()}")
        return table(text)

    def add_agent(self, agent: str, contact: str | None = None,
                  leg_vars: Mapping[str, str] | None = None) -> CcResult:
        result = self._do(cmd.cc_agent_add(agent))
        if result.ok and contact:
            return self.set_contact(agent, contact, leg_vars)
        return result

    def remove_agent(self, agent: str) -> CcResult:
        return self._do(cmd.cc_agent_del(agent))

    def set_contact(self, agent: str, endpoint: str,
                    leg_vars: Mapping[str, str] | None = None) -> CcResult:
        return self._do(cmd.cc_agent_contact(agent, endpoint, leg_vars))

    def set_status(self, agent: str, status: AgentStatus) -> CcResult:
        return self._do(cmd.cc_agent_status(agent, status))

    def set_state(self, agent: str, state: AgentState) -> CcResult:
        return self._do(cmd.cc_agent_state(agent, state))

    def add_tier(self, queue: str, agent: str, level: int = 1, position: int = 1) -> CcResult:
        return self._do(cmd.cc_tier_add(queue, agent, level, position))

    def remove_tier(self, queue: str, agent: str) -> CcResult:
        return self._do(cmd.cc_tier_del(queue, agent))

    def load_queue(self, queue: str, reload: bool = False) -> CcResult:
        return self._do(cmd.cc_queue_load(queue, reload))

    def agents(self, queue: str) -> list[dict[str, str]]:
        return self._rows(cmd.cc_queue_list(queue, "agents"))

    def members(self, queue: str) -> list[dict[str, str]]:
        return self._rows(cmd.cc_queue_list(queue, "members"))
