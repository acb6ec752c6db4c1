from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from engine.ir import LogOp

from .base import Action

logger = logging.getLogger("engine.flow")


if TYPE_CHECKING:
    from engine.session import CallSession


class Log(Action):
    """No FreeSWITCH command: a line in the call record and the engine log."""

    op = "log"

    def run(self, call: CallSession, op: LogOp) -> None:  # type: ignore[override]
        text = call.render_text(op["text"])
        call.record.logs.append(text)
        logger.info("call=%s flow=%s node=%s %s", call.record.call_id, call.ir["flow"],
                    call.node, text)
        call.trace(op, {"text": text})
        call.observe("log", text)
