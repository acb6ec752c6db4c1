"""The control connection: fsmod's inbound event-socket links to FreeSWITCH.

- `Control` (nodes.py): one `ControlLink` (link.py) per node from settings
  (`control_config`, config.py): auth, subscription, api with a deadline,
  bgapi jobs by Job-UUID, reconnect with backoff and jitter, heartbeat
  watchdog, shutdown told apart from a network loss; `status()`.
- `FsSwitch` (switch.py): the engine's `Switch.watch(uuid) -> CallEnd` from
  CHANNEL_HANGUP_COMPLETE and bridge events (ends.py).
- `Originator` (originate.py): outbound calls into the engine, typed outcomes.
- `CallCenter`, `cc_event` (callcenter.py): mod_callcenter config and typed
  agent/member events; `CallControl` (calls.py): uuid_* operations.
"""

from fsmod.control.callcenter import AgentEvent, CallCenter, CcAction, MemberEvent, cc_event
from fsmod.control.calls import CallControl, CallOp
from fsmod.control.config import ControlConfig, LinkTiming, NodeConfig, control_config
from fsmod.control.link import (
    ApiTimeout,
    AuthFailed,
    ControlError,
    ControlLink,
    Job,
    JobTimeout,
    LinkLost,
    LinkState,
)
from fsmod.control.nodes import Control, NodeStatus
from fsmod.control.originate import OriginateReport, OriginateRequest, Originator
from fsmod.control.switch import FsSwitch

__all__ = [
    "AgentEvent", "ApiTimeout", "AuthFailed", "CallCenter", "CallControl", "CallOp", "CcAction",
    "Control", "ControlConfig", "ControlError", "ControlLink", "FsSwitch", "Job", "JobTimeout",
    "LinkLost", "LinkState", "LinkTiming", "MemberEvent", "NodeConfig", "NodeStatus",
    "OriginateReport", "OriginateRequest", "Originator", "cc_event", "control_config",
]
