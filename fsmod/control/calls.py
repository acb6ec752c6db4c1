"""The panel's call controls: `uuid_*` operations as typed methods.

Each returns a `CallOp` (ok, FreeSWITCH's answer) from the checked builders
of fsmod.commands.api, sent to the call's node. Answers are those of
capture inbound-call-control: `+OK …` on success, `-ERR No such channel!`
for a call that is gone, `-ERR Operation failed` (uuid_hold off on a
loopback leg), `-ERR Invalid uuid`. eavesdrop / whisper / barge and
three-way ring the supervisor's phone with bgapi originate (that call's
outcome is typed like any originate).
"""

from __future__ import annotations

from dataclasses import dataclass

from fsmod.commands import api as cmd
from fsmod.commands.api import Hold
from fsmod.commands.sendmsg import AppCall
from fsmod.commands.sounds import Sound
from fsmod.control.nodes import Control
from fsmod.originate import OriginateResult, parse_originate
from fsmod.vocab import HangupCause


@dataclass(frozen=True)
class CallOp:
    ok: bool
    text: str

    @property
    def gone(self) -> bool:
        """The channel no longer exists."""
        return "No such channel" in self.text


class CallControl:
    """uuid_* operations on the calls of one node (or the first node up)."""

    def __init__(self, control: Control, node: str | None = None) -> None:
        self.control = control
        self.node = node

    def _do(self, command: cmd.ApiCommand) -> CallOp:
        text = self.control.api(command, self.node).strip()
        return CallOp(text.startswith("+OK"), text)

    def kill(self, uuid: str, cause: HangupCause | None = None) -> CallOp:
        return self._do(cmd.uuid_kill(uuid, cause))

    def transfer(self, uuid: str, destination: str, *, context: str = "default",
                 leg: str = "") -> CallOp:
        return self._do(cmd.uuid_transfer(uuid, destination, context=context, leg=leg))

    def bridge(self, uuid: str, other: str) -> CallOp:
        return self._do(cmd.uuid_bridge(uuid, other))

    def hold(self, uuid: str, mode: Hold = Hold.ON) -> CallOp:
        return self._do(cmd.uuid_hold(uuid, mode))

    def broadcast(self, uuid: str, sound: Sound, leg: str = "aleg") -> CallOp:
        return self._do(cmd.uuid_broadcast(uuid, sound, leg))

    def exists(self, uuid: str) -> bool:
        return self.control.api(cmd.ApiCommand(f"uuid_exists {_uuid(uuid)}"),
                                self.node).strip() == "true"

    def getvar(self, uuid: str, name: str) -> str | None:
        """The variable's value; None when unset (`_undef_`) or the call is gone."""
        text = self.control.api(cmd.uuid_getvar(uuid, name), self.node)
        return None if text.startswith("-ERR") or text.strip() == "_undef_" else text

    def setvar(self, uuid: str, name: str, value: str) -> CallOp:
        return self._do(cmd.uuid_setvar(uuid, name, value))

    def _ring(self, endpoint: str, app: AppCall, timeout: float) -> OriginateResult:
        command = cmd.originate(endpoint, app)
        job = self.control.bgapi(command, self.node)
        return parse_originate(job.wait(timeout))

    def eavesdrop(self, supervisor: str, uuid: str, mode: str = "listen",
                  timeout: float = 60.0) -> OriginateResult:
        """Ring `supervisor` and let them listen to call `uuid`; `whisper` (speak to
        the agent only) and `barge` (speak to both) set eavesdrop's own mode
        variable on the supervisor's leg first."""
        if mode not in ("listen", "whisper", "barge"):
            raise ValueError(f"eavesdrop mode {mode!r}: listen, whisper or barge")
        variables = {} if mode == "listen" else (
            {"eavesdrop_whisper_aleg": "true"} if mode == "whisper"
            else {"eavesdrop_whisper_aleg": "true", "eavesdrop_whisper_bleg": "true"})
        command = cmd.eavesdrop(supervisor, uuid, variables=variables)
        job = self.control.bgapi(command, self.node)
        return parse_originate(job.wait(timeout))

    def three_way(self, party: str, uuid: str, timeout: float = 60.0) -> OriginateResult:
        """Ring `party` and join them to call `uuid` (three_way application)."""
        job = self.control.bgapi(cmd.three_way(party, uuid), self.node)
        return parse_originate(job.wait(timeout))


def _uuid(value: str) -> str:
    from fsmod.commands import validate
    return validate.uuid("uuid", value)
