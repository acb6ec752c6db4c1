from __future__ import annotations

from .base import Action, Op


class Answer(Action):
    """FreeSWITCH: execute `answer`."""

    op = "answer"

    def run(self, call, op: Op) -> None:
        call.channel.answer()
        call.trace(op, {})
