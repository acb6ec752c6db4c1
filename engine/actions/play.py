from __future__ import annotations

from typing import TYPE_CHECKING

from engine.ir import PlayOp

from .base import Action
from .keys import play_prompt

if TYPE_CHECKING:
    from engine.session import CallSession


class Play(Action):
    """FreeSWITCH: `playback` of the prompt file, `speak` as the fallback;
    `bargein` sets `playback_terminators` to every key first."""

    op = "play"

    def run(self, call: CallSession, op: PlayOp) -> None:  # type: ignore[override]
        began = call.ms_since_start()
        result = play_prompt(call, call.prompt(op["prompt"]), op.get("bargein", False))
        call.trace(op, {"prompt": op["prompt"]}, result, began=began)
