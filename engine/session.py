"""One flow walking one line: the CallSession.

The session only runs IR steps in order and stops the moment the line is
gone; what each step does lives in engine/actions/. It writes into the
call's record (trace, path, collected values with secrets masked, tickets,
queue waits) and returns how its part ended, a `Segment`; it commits
nothing: `engine.lifecycle.Calls` owns the record and commits it once, when
the switch says the call really ended.
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
from engine.control import EndCall, FlowError, Goto, GotoFlow, MachineDetected
from engine.evaluation.budget import CpuBudget
from engine.evaluation.builtins import call_builtin, is_pure_builtin
from engine.evaluation.expr import evaluate
from engine.evaluation.secrets import mark_secret, mask
from engine.interrupt import LineGuard
from engine.lookups.context import CallContext, in_call
from engine.lookups.registry import FunctionFailed
from engine.record import MASK, CallRecord, Segment, TraceEntry
from engine.runtime import Runtime
from engine.speech.render import prompt_media, render, render_text

log = logging.getLogger(__name__)

Observer = Callable[[str, Any], None]

# the line now belongs to an agent, another number or another flow: do not hang it up
HANDED_OVER = ("queued", "transferred", "goto_flow")


class CallSession:
    """Runs one flow on one line: `CallSession(ir, channel, runtime, record=…).run()`.

    `record` is the call's record (a new one when not given); `steps` are
    those the call already took in earlier flows, so the loop guard also
    stops flows that hand the call to each other forever.
    """

    def __init__(self, ir: Mapping[str, Any], channel: Channel, runtime: Runtime, *,
                 record: CallRecord | None = None, start: str | None = None,
                 variables: Mapping[str, Any] | None = None,
                 observer: Observer | None = None, steps: int = 0, lang: str | None = None,
                 machine_node: str | None = None):
        """`machine_node`: a campaign call's `on machine` node, where the flow goes
        (once) when the line detects an answering machine's beep or a fax tone."""
        if not ir.get("timezone"):
            ir = {**ir, "timezone": runtime.timezone}
        self.ir = ir
        self.cpu = CpuBudget(runtime.cpu_budget_ms)
        self.guard = LineGuard(channel, self.cpu, machine_node)
        self.channel = self.guard      # the actions' line: counted for the hangup interrupt
        self.clock = channel.clock     # the call's own clock
        self.rt = runtime
        self.observe = observer or (lambda kind, value: None)
        self.flow_lang: str = ir["lang"]        # what the flow's own sentences are in
        self.lang: str = lang or self.flow_lang  # the call's: the caller's, else the flow's
        self.voice: str | None = ir["settings"].get("tts_voice")
        self.zone = ZoneInfo(ir["timezone"])
        self.calendars: dict[str, BusinessCalendar] = calendars_from_ir(ir)
        self.max_steps = min(ir["settings"].get("max_steps") or runtime.max_steps,
                             runtime.max_steps)
        self.start_node = start or ir.get("entry")
        self.node = ""
        self.line = 0
        self.steps = steps
        self.sub_depth = 0   # subs running inside one another (engine/actions/sub.py)
        self.started = self.clock.now()
        caller = caller_number(channel.caller)   # a caller ID from the line, made safe
        self.record = record or CallRecord(
            call_id=str(uuid.uuid4()), flow=ir["flow"], caller=caller,
            called=channel.called, started_at=self.started, channel_uuid=channel.uuid)
        limit = ir["settings"].get("max_call_time")
        self.deadline = self.started + dt.timedelta(milliseconds=limit) if limit else None
        self.next_flow: str | None = None
        self.segment: Segment | None = None
        self.vars: dict[str, Any] = {
            "caller": caller, "called": channel.called,
            "call_id": self.record.call_id, "lang": self.lang,
            "key": "",  # the key last pressed in a menu
        }
        self.secrets: set[str] = set()
        self.collected: set[str] = set()
        self.given_vars = dict(variables or {})
        self.typeahead = ""  # the key that stopped a `bargein` prompt, for the next menu or collect

    # ------------------------------------------------------------ running

    def run(self) -> Segment:
        """Walk the flow until its part of the call ends; say how it ended."""
        reason, detail = "fell_off", ""
        self.guard.arm()
        try:
            self.begin()
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
                    self.guard.machine_ready()   # a machine heard before the first step
                    self.enter(node)
                    run_node(self, self.ir["nodes"][node])
                    self.channel.hangup()
                    raise EndCall("fell_off", f"step `{node}` ended without goto or hangup")
                except Goto as jump:
                    node = jump.node
                except MachineDetected as machine:
                    self.sub_depth = 0
                    self.trace({"op": "machine", "line": self.line}, {"tone": machine.tone},
                               machine.node)
                    self.observe("machine", machine.tone)
                    node = machine.node
        except GotoFlow as jump:
            reason, detail, self.next_flow = "goto_flow", jump.flow, jump.flow
        except EndCall as end:
            reason, detail = end.reason, end.detail
            if reason == "max_call_time":
                self._hangup_quietly("ALLOTTED_TIMEOUT")
            elif reason not in HANDED_OVER:
                self._hangup_quietly()
        except CallGone as gone:
            reason, detail = "caller_hangup", gone.cause
        except GreenletExit:
            # the engine itself stops this greenlet (shutting down): say so, then stop
            reason, detail = "stopped", f"the engine stopped the call in `{self.node}`"
            raise
        except FlowError as exc:
            reason, detail = "error", f"{self.source}:{self.line}: {exc}"
            self._hangup_quietly()
        except Exception as exc:  # an engine bug must not leave the caller on a dead line
            log.exception("call=%s flow=%s node=%s line=%s engine failure", self.record.call_id,
                          self.ir["flow"], self.node, self.line)
            reason, detail = "error", f"engine failure: {exc!r}"
            self._hangup_quietly()
        finally:
            self.guard.disarm()
            if reason in ("loop_guard", "error", "fell_off"):
                log.warning("call=%s flow=%s node=%s ended: %s: %s", self.record.call_id,
                            self.ir["flow"], self.node, reason, detail)
            segment = self.finish(reason, detail)
        return segment

    def begin(self) -> None:
        """What the flow's settings ask of the line before its first step."""
        settings = self.ir["settings"]
        if settings.get("max_call_time"):
            self.channel.schedule_hangup(settings["max_call_time"], "ALLOTTED_TIMEOUT")
        if settings.get("record_calls") and self.record.recording is None:
            # a folder per local day, so operators find, archive and prune by date
            day = self.clock.now().astimezone(self.zone)
            path = f"{day:%Y/%m/%d}/{self.record.call_id}.wav"
            self.channel.start_recording(path, stereo=self.rt.record_stereo)
            self.record.recording = path

    def finish(self, reason: str, detail: str) -> Segment:
        """Close this flow's part: the record's end reason, collected values, the segment."""
        if self.segment is not None:
            return self.segment
        self.record.end_reason = reason
        self.record.detail = detail
        self.record.collected.update(
            (k, MASK if k in self.secrets else mask(self.vars.get(k)))
            for k in sorted(self.collected))
        self.segment = Segment(self.ir["flow"], self.started, self.clock.now(), reason, detail,
                               self.node)
        self.observe("end", reason)
        return self.segment

    def note_collected(self, name: str, secret: bool = False) -> None:
        """Remember a caller-given value for the call record (masked when secret)."""
        self.collected.add(name)
        if secret:
            self.secrets.add(name)
            self.vars[name] = mark_secret(self.vars.get(name))  # the mark follows the value

    def _hangup_quietly(self, cause: str = "NORMAL_CLEARING") -> None:
        with contextlib.suppress(CallGone):
            self.channel.hangup(cause)

    def enter(self, node: str) -> None:
        if node not in self.ir["nodes"]:
            raise FlowError(f"no node `{node}`")
        self.node = node
        self.record.path.append(node)
        self.observe("node", node)
        self.tick()

    @property
    def source(self) -> str:
        """The file the current line is in: the flow's, or a library's for its subs."""
        node = self.ir["nodes"].get(self.node) or {}
        return node.get("source") or self.ir["source"]

    def tick(self) -> None:
        """Count a step; the loop guard ends calls that go round forever, the processor-time
        budget those that compute without waiting (and makes them yield meanwhile), and
        max_call_time is checked on the call's clock (the switch's sched_hangup does the
        same while no step runs)."""
        self.steps += 1
        if self.steps > self.max_steps:
            raise EndCall("loop_guard",
                          f"more than {self.max_steps} steps (last node `{self.node}`)")
        if self.deadline is not None and self.clock.now() >= self.deadline:
            raise EndCall("max_call_time", f"max_call_time reached in `{self.node}`")
        self.cpu.check()

    # ------------------------------------------------------------ helpers for actions

    def eval(self, expr: Mapping[str, Any] | None) -> Any:
        return None if expr is None else evaluate(expr, self.vars, self.call_function)

    def call_function(self, name: str, args: list, kwargs: dict) -> Any:
        if name == "open":
            calendar = self.calendars.get(str(args[0]) if args else "")
            if calendar is None:
                raise FlowError(f"no calendar `{args[0] if args else ''}`")
            return calendar.is_open(self.clock.now())
        if name == "now":  # local wall time, like the datetimes lookups return
            return self.clock.now().astimezone(self.zone).replace(tzinfo=None)
        if name == "today":
            return self.clock.now().astimezone(self.zone).date()
        if is_pure_builtin(name):   # conversions, slices, rounding, len
            return call_builtin(name, args, kwargs)
        try:
            with in_call(self.call_context()):
                return self.rt.registry.call_function(name, args, kwargs,
                                                      call_id=self.record.call_id)
        except FunctionFailed as exc:
            raise FlowError(str(exc)) from None

    def call_context(self) -> CallContext:
        """What the lookups and functions this call runs may know of it (the caller's
        number for the PIN lockout): engine.lookups.context."""
        given = getattr(self.channel, "variables", None) or {}
        line = {k: v for k, v in given.items() if k.startswith("sf_")}
        return CallContext(self.record.call_id, self.record.caller, self.record.called,
                           self.ir["flow"], line)

    def prompt(self, key: str) -> Media:
        return prompt_media(key, self.lang, self.rt.prompts,
                            self.ir["settings"].get("fallback_lang"), self.voice)

    def sentence(self, text: Mapping[str, Any],
                 texts: Mapping[str, Any] | None) -> tuple[Media, str]:
        """The author's sentence for the call's language, else the flow's own spoken wholly
        in the flow's language (never a mixture); and the language it is in."""
        texts = texts or {}
        lang = self.lang if self.lang in texts else self.flow_lang
        return self.render(texts.get(lang) or text, lang), lang

    def spoken(self, prompt: str | Mapping[str, Any]) -> Media:
        """A menu's or collect's `prompt`: a prompt key, or a sentence with values."""
        if isinstance(prompt, str):
            return self.prompt(prompt)
        return self.sentence(prompt["text"], prompt.get("texts"))[0]

    def render(self, fmt: Mapping[str, Any], lang: str | None = None) -> Media:
        """A `say` sentence written in `lang` (default: the call's), spoken in it."""
        return render(fmt, self.vars, self.call_function, lang or self.lang, self.voice)

    def render_text(self, fmt: Mapping[str, Any]) -> str:
        return render_text(fmt, self.vars, self.call_function, self.flow_lang)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def ms_since_start(self) -> int:
        """Milliseconds since the call (not this flow's part) began: one timeline per call."""
        return int((self.clock.now() - self.record.started_at).total_seconds() * 1000)

    def trace(self, op: Mapping[str, Any], args: dict[str, Any], result: Any = None,
              began: int | None = None) -> None:
        at = self.ms_since_start()
        self.record.trace.append(TraceEntry(
            at_ms=began if began is not None else at, node=self.node, line=op.get("line", 0),
            action=op["op"], args=mask(args), result=mask(result),
            duration_ms=at - began if began is not None else 0,
            source=self.source if self.source != self.ir["source"] else ""))

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

