from __future__ import annotations

from typing import TYPE_CHECKING

from engine.ir import SayOp

from .base import Action
from .keys import play_prompt

if TYPE_CHECKING:
    from engine.session import CallSession


class Say(Action):
    """FreeSWITCH: `playback file_string://…` of switchflow's own number prompts
    (FreeSWITCH's `say` needs sound packs and fails silently without them).

    The sentence is the author's version for the call's language; without
    one, the flow's own sentence, spoken wholly in the flow's language (so no
    caller hears a sentence of one language with numbers in another).
    `bargein` sets `playback_terminators` to every key first."""

    op = "say"

    def run(self, call: CallSession, op: SayOp) -> None:  # type: ignore[override]
        media, lang = call.sentence(op["text"], op.get("texts"))
        began = call.ms_since_start()
        result = play_prompt(call, media, op.get("bargein", False))
        call.trace(op, {"text": media.text, "lang": lang}, result, began=began)
