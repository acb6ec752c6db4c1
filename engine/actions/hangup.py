from __future__ import annotations

from typing import TYPE_CHECKING

from engine.control import EndCall
from engine.ir import HangupOp

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class Hangup(Action):
    """FreeSWITCH: execute `hangup CAUSE`."""

    op = "hangup"

    def run(self, call: CallSession, op: HangupOp) -> None:  # type: ignore[override]
        call.trace(op, {"cause": op["cause"]})
        call.channel.hangup(op["cause"])
        raise EndCall("hangup", op["cause"])
