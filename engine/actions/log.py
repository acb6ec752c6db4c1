from __future__ import annotations

import logging

from .base import Action, Op

logger = logging.getLogger("engine.flow")


class Log(Action):
    """No FreeSWITCH command: a line in the call record and the engine log."""

    op = "log"

    def run(self, call, op: Op) -> None:
        text = call.render_text(op["text"])
        call.record.logs.append(text)
        logger.info("call=%s flow=%s node=%s %s", call.record.call_id, call.ir["flow"],
                    call.node, text)
        call.trace(op, {"text": text})
        call.observe("log", text)
