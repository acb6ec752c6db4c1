"""One call walking one compiled flow: the CallSession.

The session only runs IR steps in order and stops the moment the caller is
gone; what each step does lives in engine/actions/. Whatever the call
produced (record, trace, collected values with secrets masked, tickets) is
committed exactly once, in `run`'s `finally`, however the call ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from gevent import GreenletExit

from engine.actions import run_node, run_op
from engine.calendars.calendar import BusinessCalendar, calendars_from_ir
from engine.channel.callerid import caller_number
from engine.channel.contract import CallGone, Channel, Media
from engine.control import EndCall, FlowError, Goto
from engine.evaluation.budget import CpuBudget
from engine.evaluation.expr import evaluate
from engine.evaluation.secrets import mark_secret, mask
from engine.lookups.registry import FunctionFailed
from engine.record import MASK, CallRecord, TraceEntry
from engine.runtime import Runtime
from engine.speech.render import prompt_media, render, render_text

log = logging.getLogger(__name__)

Observer = Callable[[str, Any], None]

HANDED_OVER = ("queued", "transferred")  # the call now belongs to an agent or another number


class CallSession:
    """Runs one call: `CallSession(ir, channel, runtime).run()`."""

    def __init__(self, ir: Mapping[str, Any], channel: Channel, runtime: Runtime, *,
                 start: str | None = None, variables: Mapping[str, Any] | None = None,
                 observer: Observer | None = None):
        if not ir.get("timezone"):
            ir = {**ir, "timezone": runtime.timezone}
        self.ir = ir
        self.channel = channel
        self.rt = runtime
        self.observe = observer or (lambda kind, value: None)
        self.lang: str = ir["lang"]
        self.zone = ZoneInfo(ir["timezone"])
        self.calendars: dict[str, BusinessCalendar] = calendars_from_ir(ir)
        self.max_steps = min(ir["settings"].get("max_steps") or runtime.max_steps,
                             runtime.max_steps)
        self.start_node = start or ir.get("entry")
        self.node = ""
        self.line = 0
        self.steps = 0
        self.sub_depth = 0   # subs running inside one another (engine/actions/sub.py)
        self.started = runtime.clock.now()
        self.cpu = CpuBudget(runtime.cpu_budget_ms)
        caller = caller_number(channel.caller)
        self.record = CallRecord(
            call_id=getattr(channel, "uuid", "") or str(uuid.uuid4()), flow=ir["flow"],
            caller=caller, called=channel.called, started_at=self.started)
        self.vars: dict[str, Any] = {
            "caller": caller, "called": channel.called,
            "call_id": self.record.call_id, "lang": self.lang,
        }
        self.secrets: set[str] = set()
        self.collected: set[str] = set()
        self.given_vars = dict(variables or {})
        self.committed = False

    # ------------------------------------------------------------ running

    def run(self) -> CallRecord:
        """Walk the flow until the call ends; always commits the record once."""
        reason, detail = "fell_off", ""
        try:
            for name, expr in self.ir.get("vars", {}).items():
                self.vars[name] = self.eval(expr)
            self.vars.update(self.given_vars)
            if not self.start_node:
                raise EndCall("error", "the flow has no entry node")
            node = self.start_node
            if self.ir["nodes"].get(node, {}).get("kind") == "sub":
                raise FlowError(f"cannot start at `{node}`: a sub is entered only with `call`")
            while True:
                try:
                    self.enter(node)
                    run_node(self, self.ir["nodes"][node])
                    self.channel.hangup()
                    raise EndCall("fell_off", f"step `{node}` ended without goto or hangup")
                except Goto as jump:
                    node = jump.node
        except EndCall as end:
            reason, detail = end.reason, end.detail
            if reason not in HANDED_OVER:
                self._hangup_quietly()
        except CallGone as gone:
            reason, detail = "caller_hangup", gone.cause
        except GreenletExit:
            # the channel ends a session that is busy elsewhere (a lookup) this way
            reason, detail = "caller_hangup", f"ended while busy in `{self.node}`"
            raise
        except FlowError as exc:
            reason, detail = "error", f"{self.ir['source']}:{self.line}: {exc}"
            self._hangup_quietly()
        except Exception as exc:  # an engine bug must not leave the caller on a dead line
            log.exception("call=%s flow=%s node=%s line=%s engine failure", self.record.call_id,
                          self.ir["flow"], self.node, self.line)
            reason, detail = "error", f"engine failure: {exc!r}"
            self._hangup_quietly()
        finally:
            if reason in ("loop_guard", "error", "fell_off"):
                log.warning("call=%s flow=%s node=%s ended: %s: %s", self.record.call_id,
                            self.ir["flow"], self.node, reason, detail)
            self.finish(reason, detail)
        return self.record

    def finish(self, reason: str, detail: str) -> None:
        if self.committed:
            return
        self.committed = True
        self.record.end_reason = reason
        self.record.detail = detail
        self.record.ended_at = self.rt.clock.now()
        self.record.collected = {
            k: MASK if k in self.secrets else mask(self.vars.get(k)) for k in sorted(self.collected)
        }
        self.observe("end", reason)
        self.rt.sink.commit(self.record)

    def note_collected(self, name: str, secret: bool = False) -> None:
        """Remember a caller-given value for the call record (masked when secret)."""
        self.collected.add(name)
        if secret:
            self.secrets.add(name)
            self.vars[name] = mark_secret(self.vars.get(name))  # the mark follows the value

    def _hangup_quietly(self) -> None:
        with contextlib.suppress(CallGone):
            self.channel.hangup()

    def enter(self, node: str) -> None:
        if node not in self.ir["nodes"]:
            raise FlowError(f"no node `{node}`")
        self.node = node
        self.record.path.append(node)
        self.observe("node", node)
        self.tick()

    def tick(self) -> None:
        """Count a step; the loop guard ends calls that go round forever, the processor-time
        budget those that compute without waiting (and makes them yield meanwhile)."""
        self.steps += 1
        if self.steps > self.max_steps:
            raise EndCall("loop_guard",
                          f"more than {self.max_steps} steps (last node `{self.node}`)")
        self.cpu.check()

    # ------------------------------------------------------------ helpers for actions

    def eval(self, expr: Mapping[str, Any] | None) -> Any:
        return None if expr is None else evaluate(expr, self.vars, self.call_function)

    def call_function(self, name: str, args: list, kwargs: dict) -> Any:
        if name == "open":
            calendar = self.calendars.get(str(args[0]) if args else "")
            if calendar is None:
                raise FlowError(f"no calendar `{args[0] if args else ''}`")
            return calendar.is_open(self.rt.clock.now())
        if name == "now":  # local wall time, like the datetimes lookups return
            return self.rt.clock.now().astimezone(self.zone).replace(tzinfo=None)
        if name == "today":
            return self.rt.clock.now().astimezone(self.zone).date()
        if name == "len":
            try:
                return len(args[0])
            except TypeError:
                raise FlowError("`len` needs text or a list") from None
        try:
            return self.rt.registry.call_function(name, args, kwargs,
                                                  call_id=self.record.call_id)
        except FunctionFailed as exc:
            raise FlowError(str(exc)) from None

    def prompt(self, key: str) -> Media:
        return prompt_media(key, self.lang, self.rt.prompts,
                            self.ir["settings"].get("fallback_lang"))

    def render(self, fmt: Mapping[str, Any]) -> Media:
        return render(fmt, self.vars, self.call_function, self.lang)

    def render_text(self, fmt: Mapping[str, Any]) -> str:
        return render_text(fmt, self.vars, self.call_function, self.lang)

    def now(self) -> dt.datetime:
        return self.rt.clock.now()

    def ms_since_start(self) -> int:
        return int((self.rt.clock.now() - self.started).total_seconds() * 1000)

    def trace(self, op: Mapping[str, Any], args: dict[str, Any], result: Any = None,
              began: int | None = None) -> None:
        at = self.ms_since_start()
        self.record.trace.append(TraceEntry(
            at_ms=began if began is not None else at, node=self.node, line=op.get("line", 0),
            action=op["op"], args=mask(args), result=mask(result),
            duration_ms=at - began if began is not None else 0))

    def run_ops(self, ops: list[Mapping[str, Any]]) -> None:
        for op in ops:
            run_op(self, op)

    def branch(self, op: Mapping[str, Any], event: str) -> bool:
        """Run the `on EVENT` handler of an op if it has one; False when it has none."""
        handler = (op.get("on") or {}).get(event)
        if handler is None:
            return False
        self.observe("branch", f"{op['op']}:{event}")
        self.run_ops(handler["ops"])
        return True

