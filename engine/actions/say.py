from __future__ import annotations

from typing import TYPE_CHECKING

from engine.ir import SayOp

from .base import Action
from .keys import play_prompt

if TYPE_CHECKING:
    from engine.session import CallSession


class Say(Action):
    """FreeSWITCH: `playback file_string://…` of switchflow's own number prompts
    (FreeSWITCH's `say` needs sound packs and fails silently without them);
    `bargein` sets `playback_terminators` to every key first."""

    op = "say"

    def run(self, call: CallSession, op: SayOp) -> None:  # type: ignore[override]
        media = call.render(op["text"])
        began = call.ms_since_start()
        result = play_prompt(call, media, op.get("bargein", False))
        call.trace(op, {"text": media.text}, result, began=began)
