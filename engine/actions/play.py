from __future__ import annotations

from typing import TYPE_CHECKING

from engine.ir import PlayOp

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class Play(Action):
    """FreeSWITCH: `playback` of the prompt file, `speak` as the fallback."""

    op = "play"

    def run(self, call: CallSession, op: PlayOp) -> None:  # type: ignore[override]
        began = call.ms_since_start()
        call.channel.play(call.prompt(op["prompt"]))
        call.trace(op, {"prompt": op["prompt"]}, began=began)
