from __future__ import annotations

from .base import Action, Op


class Say(Action):
    """FreeSWITCH: `playback file_string://…` of switchflow's own number prompts
    (FreeSWITCH's `say` needs sound packs and fails silently without them)."""

    op = "say"

    def run(self, call, op: Op) -> None:
        media = call.render(op["text"])
        began = call.ms_since_start()
        call.channel.play(media)
        call.trace(op, {"text": media.text}, began=began)
