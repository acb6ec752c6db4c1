from __future__ import annotations

from typing import TYPE_CHECKING

from engine.ir import SayOp

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class Say(Action):
    """FreeSWITCH: `playback file_string://…` of switchflow's own number prompts
    (FreeSWITCH's `say` needs sound packs and fails silently without them)."""

    op = "say"

    def run(self, call: CallSession, op: SayOp) -> None:  # type: ignore[override]
        media = call.render(op["text"])
        began = call.ms_since_start()
        call.channel.play(media)
        call.trace(op, {"text": media.text}, began=began)
