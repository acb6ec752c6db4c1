from __future__ import annotations

from typing import TYPE_CHECKING

from engine.channel.contract import RecordRequest
from engine.ir import RecordOp

from .base import Action

if TYPE_CHECKING:
    from engine.session import CallSession


class Record(Action):
    """FreeSWITCH: execute `record PATH MAX_SECONDS SILENCE_THRESHOLD SILENCE_SECONDS`."""

    op = "record"

    def run(self, call: CallSession, op: RecordOp) -> None:  # type: ignore[override]
        if op.get("prompt"):
            call.channel.play(call.prompt(op["prompt"]))
        request = RecordRequest(name=f"{call.record.call_id}-{op['var']}", max_ms=op["max"],
                                silence_ms=op["silence"], beep=op["beep"],
                                terminators=op["terminator"] or "")
        began = call.ms_since_start()
        result = call.channel.record(request)
        call.vars[op["var"]] = result.path or ""
        call.note_collected(op["var"])
        call.trace(op, {"var": op["var"], "recorded_ms": result.duration_ms},
                   result.path or "silence", began=began)
        if result.path is None:
            call.branch(op, "silence")
