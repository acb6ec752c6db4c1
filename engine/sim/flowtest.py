"""Running a flow's `test` blocks on the simulator, with coverage and fault injection.

A test is a caller's script (press, silence, hangup) interleaved with what
the caller must notice (expect play, say, queue, ticket …). The flow runs
as a real call would: through `Calls` on a SimSwitch, on a SimChannel with
the call's own virtual clock, and its record is committed once the switch
reports the call's end. Afterwards every `expect` must match an event after
the previous one and before the caller's next scripted input, in order, and
every scripted input must have been used. A `goto flow` ends the test's call
there (`expect flow NAME`): the other flow's own tests cover what it does.

Each test runs on its own overlay of the runtime's registry, so its `given`
lines are seen by its own call only: tests may run at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import gevent
import greenlet

from engine.calendars.clock import VirtualClock
from engine.channel import Media
from engine.evaluation.expr import evaluate
from engine.lifecycle import Calls, CallsError
from engine.record import CallRecord, MemorySink
from engine.runtime import Runtime
from engine.seams.backoffice import MemoryBackOffice
from engine.seams.faxjobs import MemoryFaxJobs
from engine.seams.records import CommittingSink
from engine.seams.tickets import MemoryDesk
from engine.sim.channel import Outcomes, PressDuring, Script, ScriptedCaller, SimChannel, SimEvent
from engine.sim.switch import SimSwitch

DEFAULT_START = "2026-11-23 10:00"   # a Monday morning: office hours
DEFAULT_CALLER = "13800000000"


@dataclass
class Event:
    kind: str
    value: Any


@dataclass
class TestResult:
    flow: str
    source: str
    name: str
    line: int
    problems: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    record: CallRecord | None = None
    runs: int = 1
    operations: int = 0

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class Coverage:
    nodes: set[str] = field(default_factory=set)
    keys: set[tuple[str, str]] = field(default_factory=set)
    all_nodes: set[str] = field(default_factory=set)
    all_keys: set[tuple[str, str]] = field(default_factory=set)

    @property
    def missed_nodes(self) -> list[str]:
        return sorted(self.all_nodes - self.nodes)

    @property
    def missed_keys(self) -> list[tuple[str, str]]:
        return sorted(self.all_keys - self.keys)

    @property
    def percent(self) -> float:
        total = len(self.all_nodes) + len(self.all_keys)
        hit = len(self.nodes & self.all_nodes) + len(self.keys & self.all_keys)
        return 100.0 if total == 0 else 100.0 * hit / total


def coverage_of(ir: Mapping[str, Any]) -> Coverage:
    nodes = set(ir["nodes"])
    keys = {(name, key) for name, node in ir["nodes"].items() if node["kind"] == "menu"
            for key in node["keys"]}
    return Coverage(all_nodes=nodes, all_keys=keys)


# ---------------------------------------------------------------- one test


@dataclass
class _Plan:
    caller: str = DEFAULT_CALLER
    at: str = DEFAULT_START
    start: str | None = None
    lang: str | None = None          # the caller's language; None: the flow's
    variables: dict[str, Any] = field(default_factory=dict)
    givens: list[tuple[str, Any]] = field(default_factory=list)
    outcomes: Outcomes = field(default_factory=Outcomes)
    desk: MemoryDesk = field(default_factory=MemoryDesk)
    fax_jobs: MemoryFaxJobs = field(default_factory=MemoryFaxJobs)
    back_office: MemoryBackOffice = field(default_factory=MemoryBackOffice)
    inputs: list[Script] = field(default_factory=list)
    script: list[dict[str, Any]] = field(default_factory=list)   # inputs and expects in order


def _plan(test: Mapping[str, Any]) -> _Plan:
    plan = _Plan()
    no_vars: dict[str, Any] = {}

    def no_calls(name, args, kwargs):
        raise ValueError(f"a test value cannot call `{name}`")

    for step in test["steps"]:
        kind = step["kind"]
        if kind == "caller":
            plan.caller = step["value"]
        elif kind == "at":
            plan.at = step["value"]
        elif kind == "start":
            plan.start = step["value"]
        elif kind == "lang":
            plan.lang = step["value"]
        elif kind == "set":
            plan.variables[step["var"]] = evaluate(step["value"], no_vars, no_calls)
        elif kind == "given":
            _given(plan, step, no_vars, no_calls)
        elif kind == "press" and step.get("during"):
            plan.inputs.append(PressDuring(str(step["value"]), step["during"]))
            plan.script.append({"input": len(plan.inputs) - 1, "line": step["line"]})
        elif kind in ("press", "silence", "hangup"):
            plan.inputs.append((kind, str(step.get("value")) if kind == "press" else None))
            plan.script.append({"input": len(plan.inputs) - 1, "line": step["line"]})
        elif kind == "expect":
            plan.script.append(step)
    return plan


def _given(plan: _Plan, step, no_vars, no_calls) -> None:
    target, outcome = step["target"], step["outcome"]
    if target == "queue":
        plan.outcomes.queues[step["name"]] = outcome
    elif target == "fax":   # on this line: no fax tones; a fax job: cannot be queued
        plan.outcomes.fax_fails = plan.fax_jobs.failing = outcome == "fails"
    elif target == "ticket":
        plan.desk.failing.add(step.get("name") or "*")
    elif target == "submit":
        plan.back_office.failing.add(step.get("name") or "*")
    elif target == "transfer":
        plan.outcomes.transfer_fails = outcome == "fails"
    elif outcome == "returns":
        plan.givens.append((target, evaluate(step["value"], no_vars, no_calls)))
    else:
        plan.givens.append((target, outcome))


def run_test(ir: Mapping[str, Any], test: Mapping[str, Any], runtime: Runtime, *,
             hangup_after: int | None = None) -> TestResult:
    """Run one test block; the runtime's registry supplies lookups not `given`.

    Each test has its own simulator desk (ticket numbers from 000001 on the
    test's date), fax jobs, back office and record sink, whatever the runtime uses.
    The test's `given` lines apply to an overlay of that registry of its own.
    """
    plan = _plan(test)
    result = TestResult(ir["flow"], ir["source"], test["name"], test["line"])
    zone = ZoneInfo(ir["timezone"] or runtime.timezone)
    clock = VirtualClock(dt.datetime.fromisoformat(plan.at).replace(tzinfo=zone))
    sink = MemorySink()
    outbox = runtime.sink.outbox if isinstance(runtime.sink, CommittingSink) else None
    rt = dataclasses.replace(runtime, registry=runtime.registry.overlay(),
                             sink=CommittingSink(sink, outbox) if outbox else sink,
                             desk=plan.desk, fax_jobs=plan.fax_jobs,
                             back_office=plan.back_office)
    switch = SimSwitch()
    try:
        calls = Calls([ir], rt, switch, follow_goto_flow=False)
    except CallsError as exc:
        result.problems.append(str(exc))
        return result
    switch.connect(calls.handle)
    timeline: list[Event] = result.events

    def on_channel(event: SimEvent) -> None:
        timeline.append(Event(event.kind, event.value))

    caller = ScriptedCaller(plan.inputs)
    channel = SimChannel(caller, clock, caller_number=plan.caller,
                         called=(ir.get("numbers") or ["95158"])[0], outcomes=plan.outcomes,
                         hangup_after=hangup_after, listener=on_channel)
    with _overrides(rt, plan.givens) as problem:
        if problem:
            result.problems.append(problem)
            return result
        worker = gevent.spawn(switch.call, channel, flow=ir["flow"], start=plan.start,
                              variables=plan.variables, lang=plan.lang,
                              observer=lambda kind, value: timeline.append(Event(kind, value)))
        worker.join()
        if worker.successful():
            worker.value.done.wait(timeout=5)   # the switch has reported the end
    if not worker.successful():
        result.problems.append(f"the engine crashed: {worker.exception!r}")
        return result
    result.operations = channel.operations
    result.record = sink.records[0] if sink.records else None
    if len(sink.records) != 1:
        result.problems.append(f"the call record was committed {len(sink.records)} times")
    if hangup_after is None:
        result.problems.extend(_match(plan, timeline, caller))
        record = result.record
        if record and record.end_reason in ("error", "loop_guard"):
            result.problems.append(f"the call ended with {record.end_reason}: {record.detail}")
    return result


@contextlib.contextmanager
def _overrides(runtime: Runtime, givens: list[tuple[str, Any]]) -> Iterator[str | None]:
    with contextlib.ExitStack() as stack:
        try:
            for name, value in givens:
                stack.enter_context(runtime.registry.override(name, value))
        except Exception as exc:  # a `given` the registry refuses is a test problem
            yield f"given {name}: {exc}"
            return
        yield None


def _match(plan: _Plan, timeline: list[Event], caller: ScriptedCaller) -> list[str]:
    """Each expect in order, after the previous one and before the caller's next input."""
    problems = []
    inputs = [i for i, e in enumerate(timeline) if e.kind == "input"]
    pos = 0
    for at, item in enumerate(plan.script):
        if "input" in item:
            n = item["input"]
            if n >= len(inputs):
                problems.append(f"line {item['line']}: {_never_used(plan.inputs[n])} "
                                f"(the call had ended: {_ending(timeline)})")
                break
            pos = max(pos, inputs[n] + 1)
            continue
        limit, before = _next_input(plan, inputs, at, len(timeline))
        found = next((i for i in range(pos, limit) if _matches(item, timeline[i])), None)
        if found is None:
            late = next((i for i in range(limit, len(timeline)) if _matches(item, timeline[i])),
                        None)
            hint = (f"it came only after the caller's input on line {before}"
                    if late is not None and before else _heard(item, timeline[pos:limit]))
            problems.append(f"line {item['line']}: expected {_describe(item)}; {hint}")
            continue
        pos = found + 1
    return problems


def _next_input(plan: _Plan, inputs: list[int], at: int, end: int) -> tuple[int, int | None]:
    """Where the caller's next scripted input happened (the timeline index), and its line."""
    for item in plan.script[at + 1:]:
        if "input" in item:
            n = item["input"]
            return (inputs[n] if n < len(inputs) else end), item["line"]
    return end, None


def _never_used(script: Script) -> str:
    if isinstance(script, PressDuring):
        what = "a `say`" if script.prompt == "say" else f"`{script.prompt}`"
        return f"the flow never played {what} for this press"
    return "the flow never asked for this input"


def _matches(expect: Mapping[str, Any], event: Event) -> bool:
    what, value, contains = expect["what"], expect["value"], expect["contains"]
    if what == "play":
        kinds = ("play",)
        actual = [event.value.key] if isinstance(event.value, Media) else []
    elif what == "say":
        kinds = ("say",)
        actual = [event.value.text, event.value.words] if isinstance(event.value, Media) else []
    else:
        kinds = (what,)
        actual = [event.value]
    if event.kind not in kinds:
        return False
    if value is None:
        return True
    for item in actual:
        if item is None:
            continue
        text = str(item)
        if (contains and str(value) in text) or (not contains and text == str(value)):
            return True
    return False


def _describe(expect: Mapping[str, Any]) -> str:
    value = expect["value"]
    if value is None:
        return expect["what"]
    return f"{expect['what']} {'~' if expect['contains'] else ''}{value!r}"


def _heard(expect: Mapping[str, Any], rest: list[Event]) -> str:
    same = [e for e in rest if e.kind == expect["what"]]
    if not same:
        return f"no {expect['what']} after that point"
    shown = [e.value.text if isinstance(e.value, Media) and expect["what"] == "say"
             else e.value.key if isinstance(e.value, Media) else e.value for e in same[:4]]
    return "got " + ", ".join(repr(s) for s in shown)


def _ending(timeline: list[Event]) -> str:
    end = next((e.value for e in reversed(timeline) if e.kind == "end"), "still running")
    return str(end)


# ---------------------------------------------------------------- fault injection


def hangup_everywhere(ir: Mapping[str, Any], test: Mapping[str, Any],
                      runtime: Runtime) -> TestResult:
    """Re-run a test with the caller hanging up at each channel operation in turn.

    Each run must end as a caller hang-up with exactly one complete call
    record, and no greenlet may outlive its call.
    """
    normal = run_test(ir, test, runtime)
    if not normal.passed or normal.record is None:
        return normal
    before = _greenlets()
    problems: list[str] = []
    runs = 0
    for cut in range(normal.operations):
        runs += 1
        result = run_test(ir, test, runtime, hangup_after=cut)
        record = result.record
        where = f"hang-up after operation {cut}"
        problems.extend(f"{where}: {p}" for p in result.problems)
        if record is None:
            continue
        if record.ended_at is None or not record.end_reason:
            problems.append(f"{where}: the call record is incomplete")
        if record.end_reason != "caller_hangup":
            problems.append(f"{where}: ended as {record.end_reason}, not as the caller's hang-up")
        if record.end_reason == "error":
            problems.append(f"{where}: ended with an error: {record.detail}")
    leaked = _greenlets() - before
    if leaked > 0:
        problems.append(f"{leaked} greenlet(s) outlived their calls")
    normal.problems.extend(problems)
    normal.runs = runs
    return normal


def _greenlets() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects()
               if isinstance(o, greenlet.greenlet) and not o.dead and o is not gevent.getcurrent()
               and type(o).__name__ != "Hub")
