from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.ir import FaxOp
from engine.observed import Faxed
from engine.record import FaxQueued, FaxSent
from engine.seams.deadline import within
from engine.seams.documents import RenderError
from engine.seams.faxjobs import FaxJob, JobError, submit_fax

from .base import Action
from .numbers import phone_number

if TYPE_CHECKING:
    from engine.session import CallSession

log = logging.getLogger(__name__)

RENDER_TIMEOUT_S = 30.0


class Fax(Action):
    """Without `to`: the runtime's DocumentRenderer makes the file, then FreeSWITCH
    executes `txfax PATH` (mod_spandsp) on this line; its result (fax_success,
    fax_result_code, fax_result_text) is recorded even when it arrives after the
    hangup. With `to`: no FreeSWITCH command; a FaxJob goes to the runtime's FaxJobs."""

    op = "fax"

    def run(self, call: CallSession, op: FaxOp) -> None:  # type: ignore[override]
        fields = {name: call.eval(expr) for name, expr in op["fields"].items()}
        if op.get("to") is None:
            self.send_here(call, op, fields)
        else:
            self.queue_job(call, op, fields)

    def send_here(self, call: CallSession, op: FaxOp, fields: Mapping[str, Any]) -> None:
        document = op["document"]
        began = call.ms_since_start()
        try:
            path = str(within(RENDER_TIMEOUT_S, "the document renderer", RenderError,
                              lambda: call.rt.renderer.render(document, fields, call.lang),
                              call_id=call.record.call_id))
        except RenderError as exc:
            log.warning("call=%s flow=%s node=%s fax %s not rendered: %s", call.record.call_id,
                        call.ir["flow"], call.node, document, exc)
            call.record.faxes.append(FaxSent(document, "", False, None, f"not rendered: {exc}"))
            call.trace(op, {"document": document}, f"not rendered: {exc}", began=began)
            call.branch(op, "fail")
            return
        result = call.channel.send_fax(path)
        call.record.faxes.append(FaxSent(document, path, result.success, result.code,
                                         result.text, result.pages))
        call.trace(op, {"document": document, "path": path},
                   "sent" if result.success else f"failed: {result.code} {result.text}",
                   began=began)
        call.observe("fax", Faxed(document, fields))
        if not result.success:
            call.branch(op, "fail")

    def queue_job(self, call: CallSession, op: FaxOp, fields: Mapping[str, Any]) -> None:
        document = op["document"]
        to = phone_number(call.eval(op["to"]), "fax to")
        job = FaxJob(document=document, fields=dict(fields), number=to, retries=op["retries"],
                     call_id=call.record.call_id, lang=call.lang, submitted_at=call.now())
        try:
            job_id = submit_fax(call.rt.fax_jobs, job)
        except JobError as exc:
            log.warning("call=%s flow=%s node=%s fax %s to %s not queued: %s",
                        call.record.call_id, call.ir["flow"], call.node, document, to, exc)
            call.record.fax_jobs.append(FaxQueued(document, to, op["retries"], "", str(exc)))
            call.trace(op, {"document": document, "to": to}, f"not queued: {exc}")
            call.branch(op, "fail")
            return
        call.record.fax_jobs.append(FaxQueued(document, to, op["retries"], job_id))
        call.trace(op, {"document": document, "to": to}, f"queued as {job_id}")
        call.observe("fax", Faxed(document, fields, to))
