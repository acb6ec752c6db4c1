from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from engine.evaluation.secrets import mask
from engine.ir import LogOp

from .base import Action

logger = logging.getLogger("engine.flow")

# line breaks (including Unicode's) and other control characters: escaped, so the
# text of one `log` can never read as a log line of its own
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


if TYPE_CHECKING:
    from engine.session import CallSession


def one_line(text: str) -> str:
    """`text` with control characters escaped (`\\n`, `\\x1b` …)."""
    return _CONTROL.sub(_escaped, text)


def _escaped(found: re.Match[str]) -> str:
    char = found[0]
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


class Log(Action):
    """No FreeSWITCH command: a line in the call record and the engine log
    (secrets masked, control characters escaped)."""

    op = "log"

    def run(self, call: CallSession, op: LogOp) -> None:  # type: ignore[override]
        text = one_line(mask(call.render_text(op["text"])))
        call.record.logs.append(text)
        logger.info("call=%s flow=%s node=%s %s", call.record.call_id, call.ir["flow"],
                    call.node, text)
        call.trace(op, {"text": text})
        call.observe("log", text)
