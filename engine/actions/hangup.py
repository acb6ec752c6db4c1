from __future__ import annotations

from engine.control import EndCall

from .base import Action, Op


class Hangup(Action):
    """FreeSWITCH: execute `hangup CAUSE`."""

    op = "hangup"

    def run(self, call, op: Op) -> None:
        call.trace(op, {"cause": op["cause"]})
        call.channel.hangup(op["cause"])
        raise EndCall("hangup", op["cause"])
