from __future__ import annotations

from .base import Action, Op


class Play(Action):
    """FreeSWITCH: `playback` of the prompt file, `speak` as the fallback."""

    op = "play"

    def run(self, call, op: Op) -> None:
        began = call.ms_since_start()
        call.channel.play(call.prompt(op["prompt"]))
        call.trace(op, {"prompt": op["prompt"]}, began=began)
