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
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import gevent
import greenlet

from engine.calendars.clock import VirtualClock
from engine.channel import Media
from engine.channel.media import SayPart, TextPart
from engine.evaluation.expr import evaluate
from engine.lifecycle import Calls, CallsError
from engine.observed import Faxed, Queued
from engine.record import CallRecord, MemorySink, Ticket
from engine.runtime import Runtime
from engine.seams.backoffice import MemoryBackOffice
from engine.seams.faxjobs import MemoryFaxJobs
from engine.seams.records import CommittingSink
from engine.seams.tickets import MemoryDesk
from engine.sim.channel import Outcomes, PressDuring, Script, ScriptedCaller, SimChannel, SimEvent
from engine.sim.switch import SimSwitch
from engine.speech.render import display

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
            plan.script.append(_expectation(step, no_vars, no_calls))
    return plan


def _expectation(step: Mapping[str, Any], no_vars, no_calls) -> dict[str, Any]:
    """An `expect` step with its `{field: value}` and `[values]` computed (they are constants)."""
    item = dict(step)
    if step.get("fields") is not None:
        item["fields"] = {name: Containing(expr["contains"]) if "contains" in expr
                          else evaluate(expr, no_vars, no_calls)
                          for name, expr in step["fields"].items()}
    if step.get("values") is not None:
        item["values"] = [evaluate(expr, no_vars, no_calls) for expr in step["values"]]
    return item


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
             hangup_after: int | None = None, strict: bool = False) -> TestResult:
    """Run one test block; the runtime's registry supplies lookups not `given`.

    Each test has its own simulator desk (ticket numbers from 000001 on the
    test's date), fax jobs, back office and record sink, whatever the runtime uses.
    The test's `given` lines apply to an overlay of that registry of its own.
    `strict` (or the test's own `strict` line): every prompt played and every
    sentence said up to the last expectation must be named by one.
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
        # the line's fax tones; the flow's own `fax` event (below) says what was sent where
        timeline.append(Event("fax_tones" if event.kind == "fax" else event.kind, event.value))

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
        result.problems.extend(_match(plan, timeline, strict or bool(test.get("strict"))))
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


def _match(plan: _Plan, timeline: list[Event], strict: bool) -> list[str]:
    """Each expect in order, after the previous one and before the caller's next input.

    An `expect no` holds from where it stands (just after what the previous
    line matched: an expectation, or the caller's input) to where the next
    expectation matches, or to the end of the call when none follows.
    Strict: every play and say before a match must itself have been expected.
    """
    problems: list[str] = []
    inputs = [i for i, e in enumerate(timeline) if e.kind == "input"]
    pos = 0              # where the next expectation may match from
    heard = 0            # strict: the first event no expectation has accounted for
    waiting: list[tuple[Mapping[str, Any], int]] = []   # `expect no` and where it began
    for at, item in enumerate(plan.script):
        if "input" in item:
            n = item["input"]
            if n >= len(inputs):
                problems.append(f"line {item['line']}: {_never_used(plan.inputs[n])} "
                                f"(the call had ended: {_ending(timeline)})")
                break
            pos = max(pos, inputs[n] + 1)
            continue
        if item.get("no"):
            waiting.append((item, pos))
            continue
        limit, before = _next_input(plan, inputs, at, len(timeline))
        found = next((i for i in range(pos, limit) if _matches(item, timeline[i])), None)
        problems.extend(_nothing_of(waiting, timeline, limit if found is None else found))
        waiting = []
        if found is None:
            late = next((i for i in range(limit, len(timeline)) if _matches(item, timeline[i])),
                        None)
            hint = (f"it came only after the caller's input on line {before}"
                    if late is not None and before else _heard(item, timeline[pos:limit]))
            problems.append(f"line {item['line']}: expected {_describe(item)}; {hint}")
            continue
        if strict:
            problems.extend(_unnamed(item, timeline[heard:found]))
        heard = pos = found + 1
    problems.extend(_nothing_of(waiting, timeline, len(timeline)))
    return problems


def _nothing_of(waiting: list[tuple[Mapping[str, Any], int]], timeline: list[Event],
                end: int) -> list[str]:
    """The `expect no` lines that something between their start and `end` broke."""
    problems = []
    for item, begin in waiting:
        hit = next((e for e in timeline[begin:end] if _matches(item, e)), None)
        if hit is not None:
            problems.append(f"line {item['line']}: expected no {_describe(item)}; "
                            f"got {_show(hit)}")
    return problems


def _unnamed(item: Mapping[str, Any], between: list[Event]) -> list[str]:
    """Strict tests: what the caller heard before this expectation that the test did not name."""
    heard = [_show(e) for e in between if e.kind in ("play", "say")]
    if not heard:
        return []
    more = f" and {len(heard) - 3} more" if len(heard) > 3 else ""
    return [f"line {item['line']}: strict: before {_describe(item)} the caller heard "
            + ", ".join(heard[:3]) + more + ", which the test does not name"]


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
    what = expect["what"]
    if event.kind != what:
        return False
    value = event.value
    if what == "fax" and not isinstance(value, Faxed):
        return False
    if not _named(expect, value):
        return False
    if what == "say" and expect.get("values") is not None \
            and not spoken_values_match(expect["values"], value):
        return False
    if what == "fax" and not expect.get("no") and expect.get("to") != value.to:
        return False      # `expect fax DOC` is this line; `… to NUMBER` a job to NUMBER
    return expect.get("fields") is None or _fields_match(expect["fields"], value)


def _named(expect: Mapping[str, Any], value: Any) -> bool:
    """The expectation's name or text (`~` a part of it) against what the event was."""
    wanted, contains = expect["value"], expect["contains"]
    if wanted is None:
        return True
    if isinstance(value, Media):
        actual = [value.key] if expect["what"] == "play" else [value.text, value.words]
    elif isinstance(value, Ticket):
        actual = [value.type]
    else:
        actual = [value]
    for item in actual:
        if item is None:
            continue
        text = str(item)
        if (contains and str(wanted) in text) or (not contains and text == str(wanted)):
            return True
    return False


def _fields_match(fields: Mapping[str, Any], value: Any) -> bool:
    """Every field the test gives has that value (the others are not looked at)."""
    return all(same_value(expected, _field(value, name)) for name, expected in fields.items())


_ABSENT = object()


def _field(value: Any, name: str) -> Any:
    """What an agent or a fax recipient sees under `name`."""
    if isinstance(value, Ticket):
        if name in ("severity", "confidential", "assign", "id"):
            return getattr(value, name)
        return value.fields.get(name, _ABSENT)
    if isinstance(value, Queued):
        if name == "priority":
            return value.priority
        if name == "skill":
            return value.skill
        return value.screen_pop.get(f"sf_{name}", _ABSENT)
    if isinstance(value, Faxed):
        return value.fields.get(name, _ABSENT)
    return _ABSENT


@dataclass(frozen=True)
class Containing:
    """`name: ~"part"` in an expectation: the value, as read, contains `part`."""

    part: str

    def __repr__(self) -> str:
        return f"~{self.part!r}"


def same_value(expected: Any, actual: Any) -> bool:
    """A test's constant against a value the call produced: numbers by value, the rest as read."""
    if actual is _ABSENT:
        return expected is None
    if isinstance(expected, Containing):
        return actual is not None and expected.part in display(actual, None, "en-US")
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float | Decimal):
        return float(expected) == float(actual)
    if expected is None or actual is None:
        return expected is actual
    return str(expected) == display(actual, None, "en-US")


def spoken_values_match(expected: list[Any], media: Media) -> bool:
    """The values a `say` spoke, in order, against the test's: none more, none fewer."""
    spoken = [p for p in media.parts
              if isinstance(p, SayPart) or (isinstance(p, TextPart) and p.untrusted)]
    return len(spoken) == len(expected) and all(
        _spoken(value, part) for value, part in zip(expected, spoken, strict=True))


def _spoken(expected: Any, part: SayPart | TextPart) -> bool:
    """One value: as the screen shows it, as heard, or written the way the test writes it."""
    if isinstance(part, TextPart):
        return str(expected) == part.text
    if isinstance(expected, str) and expected in (part.value, part.words):
        return True
    if part.kind in ("number", "money") and isinstance(expected, str):
        try:
            expected = float(expected)
        except ValueError:
            return False
    if isinstance(expected, bool) != (part.kind == "yesno"):
        return False
    return display(expected, None if part.kind == "yesno" else part.kind, part.lang) \
        == part.value


def _describe(expect: Mapping[str, Any]) -> str:
    value = expect["value"]
    text = expect["what"]
    if value is not None:
        text += f" {'~' if expect['contains'] else ''}{value!r}"
    if expect.get("fields") is not None:
        text += " {" + ", ".join(f"{k}: {v!r}" for k, v in expect["fields"].items()) + "}"
    if expect.get("values") is not None:
        text += " [" + ", ".join(repr(v) for v in expect["values"]) + "]"
    if expect.get("to") is not None:
        text += f" to {expect['to']}"
    return text


def _heard(expect: Mapping[str, Any], rest: list[Event]) -> str:
    same = [e for e in rest if e.kind == expect["what"]]
    if not same:
        return f"no {expect['what']} after that point"
    return "got " + ", ".join(_show(e).removeprefix(f"{e.kind} ") for e in same[:4])


def _show(event: Event) -> str:
    """An event as a failure message names it: what was heard, or what an agent would see."""
    value = event.value
    if isinstance(value, Media):
        if event.kind == "play":
            return f"play {value.key!r}"
        values = [p.value if isinstance(p, SayPart) else p.text for p in value.parts
                  if isinstance(p, SayPart) or (isinstance(p, TextPart) and p.untrusted)]
        shown = f"say {value.text!r}"
        return shown + (f" {values!r}" if values else "")
    if isinstance(value, Ticket):
        facts = {"severity": value.severity, "confidential": value.confidential,
                 **({"assign": value.assign} if value.assign else {}), **value.fields}
        return f"ticket {value.type!r} {facts!r}"
    if isinstance(value, Queued):
        return f"queue {value.name!r} {{'priority': {value.priority!r}}}"
    if isinstance(value, Faxed):
        where = f" to {value.to}" if value.to else " on this line"
        return f"fax {value.document!r}{where} {dict(value.fields)!r}"
    return f"{event.kind} {value!r}" if value is not None else event.kind


def _ending(timeline: list[Event]) -> str:
    end = next((e.value for e in reversed(timeline) if e.kind == "end"), "still running")
    return str(end)


# ---------------------------------------------------------------- fault injection


def hangup_everywhere(ir: Mapping[str, Any], test: Mapping[str, Any],
                      runtime: Runtime, *, strict: bool = False) -> TestResult:
    """Re-run a test with the caller hanging up at each channel operation in turn.

    Each run must end as a caller hang-up with exactly one complete call
    record, and no greenlet may outlive its call.
    """
    normal = run_test(ir, test, runtime, strict=strict)
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
