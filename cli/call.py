"""`switchflow call`: a phone in the terminal, on the simulator."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import gevent

from engine.calendars.clock import VirtualClock
from engine.channel.callerid import is_caller_id
from engine.channel.contract import DigitRequest, Media, RecordRequest
from engine.record import CallRecord, MemorySink
from engine.runtime import Runtime
from engine.session import CallSession
from engine.settings import SettingsError, load_settings
from engine.sim.channel import Input, Outcomes, ScriptedCaller, SimChannel, SimEvent
from ivrlang.suggest import did_you_mean

from .output import show
from .project import compile_checked, demo_runtime


class TerminalCaller:
    """The person at the keyboard: keys, `t` to let the timeout pass, `h` to hang up."""

    def next_input(self, request: DigitRequest) -> Input:
        size = (f"{request.min_digits}" if request.min_digits == request.max_digits
                else f"{request.min_digits}-{request.max_digits}")
        ends = ", # ends" if "#" in request.terminators else ""
        hint = f"keys ({size}{ends}; t=timeout, h=hang up)"
        return _parse(_ask(f"  ☎ {hint}", "t"))

    def at_recording(self, request: RecordRequest) -> Input | None:
        answer = _ask("  🎙 recording: type what you say (empty = silence, h = hang up)", "")
        if answer.strip().lower() == "h":
            return ("hangup", None)
        return None if answer.strip() else ("silence", None)


def _ask(question: str, default: str) -> str:
    """One answer from the keyboard; end of input (Ctrl-D, a closed pipe) hangs up."""
    try:
        return click.prompt(click.style(question, fg="cyan"), default=default,
                            show_default=False)
    except click.Abort:
        return "h"


def _parse(text: str) -> Input:
    text = text.strip()
    if text.lower() in ("h", "hangup"):
        return ("hangup", None)
    if text.lower() in ("t", "timeout", ""):
        return ("silence", None)
    return ("press", text)


def script_inputs(script: str) -> list[Input]:
    """`1,12345678#,t,h` -> press 1, press 12345678#, silence, hang up."""
    items = [s for s in (p.strip() for p in script.split(",")) if s]
    for item in items:
        if item.lower() not in ("t", "h", "timeout", "hangup") and \
                not all(ch in "0123456789*#" for ch in item):
            raise click.BadParameter(f"{item!r} is not keys (0-9 * #), t or h",
                                     param_hint="--script")
    return [_parse(i) for i in items]


def _caller_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A caller ID is digits (an optional leading +) or `anonymous`: nothing FreeSWITCH expands."""
    if value is not None and not is_caller_id(value):
        raise click.BadParameter(f"{value!r} is not a caller number: digits with an optional "
                                 "leading +, or `anonymous`")
    return value


def _check_start(ir, node: str) -> None:
    """`--start` names a step or a menu of the flow; a sub only runs inside a `call`."""
    nodes = ir["nodes"]
    if node not in nodes:
        hint = did_you_mean(node, nodes)
        raise click.BadParameter(f"the flow has no node `{node}`" + (f"; {hint}" if hint else ""),
                                 param_hint="--start")
    if nodes[node]["kind"] == "sub":
        raise click.BadParameter(f"`{node}` is a sub: it runs only inside a `call` and "
                                 "`return`s to it; start at a step or a menu",
                                 param_hint="--start")


def _printer(show_nodes: bool):
    def on_event(event: SimEvent) -> None:
        kind, value = event.kind, event.value
        at = click.style(f"{event.at_ms / 1000:7.1f}s", dim=True)
        if kind == "play" and isinstance(value, Media):
            click.echo(f"{at} 🔊 {value.text}  " + click.style(f"[{value.key}]", dim=True))
        elif kind == "say" and isinstance(value, Media):
            words = f"  ({value.words})" if value.words and value.words != value.text else ""
            click.echo(f"{at} 🗣 {value.text}" + click.style(words, dim=True))
        elif kind == "input":
            what, keys = value
            shown = {"press": f"pressed {keys}", "silence": "(silence)",
                     "hangup": "(hangs up)"}[what]
            click.echo(f"{at}    " + click.style(shown, fg="cyan"))
        elif kind == "queue":
            click.echo(f"{at} ⏳ waiting in queue {value}")
        elif kind == "transfer":
            click.echo(f"{at} ↪ transferred to {value}")
        elif kind == "fax":
            click.echo(f"{at} 📠 fax: {value}")
        elif kind == "record":
            click.echo(f"{at} 🎙 recording after the beep")
        elif kind == "hangup":
            click.echo(f"{at} ☎ the flow hangs up ({value})")
        elif kind == "caller_hangup":
            click.echo(f"{at} ☎ you hung up")
    return on_event


@click.command()
@click.argument("flow", type=click.Path(exists=True, dir_okay=False))
@click.option("--caller", callback=_caller_option,
              help="The caller's number (default from settings: 13800000000).")
@click.option("--lang", type=click.Choice(["zh-CN", "en-US"]), help="Language of the prompts.")
@click.option("--script", help='Keys without a terminal, comma-separated: "1,12345678#,t,h".')
@click.option("--at", "at", help='Local time of the call, e.g. "2026-11-23 21:00".')
@click.option("--start", "start_node", help="Start at this node instead of `start`.")
@click.option("--no-agents", is_flag=True, help="Queues time out (no agent answers).")
@click.option("--incident", is_flag=True, help="Demo data: a gas incident is running.")
@click.option("--trace", is_flag=True, help="Show nodes as they are entered and the trace.")
def call(flow: str, caller: str | None, lang: str | None, script: str | None, at: str | None,
         start_node: str | None, no_agents: bool, incident: bool, trace: bool) -> None:
    """Call FLOW on the simulator: hear its prompts, press keys.

    Lookups answer from the demo data (accounts in engine/demo.py, e.g.
    account 12345678, PIN 123456). Type keys when asked, `t` to let the
    timeout pass, `h` to hang up. At the end the path taken is shown.

    \b
    Example:
      switchflow call flows/hotline.flow
      switchflow call flows/hotline.flow --script "3,1,12345678#,123456,h" --trace
    """
    logging.getLogger("engine").setLevel(logging.ERROR)
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    path = Path(flow)
    clock_box: list[VirtualClock] = []
    runtime = demo_runtime(path.parent, incident=incident or None, settings=settings,
                           today=lambda: clock_box[0].now().astimezone(zone).date())
    ir, checked = compile_checked(path, runtime.catalog)
    if ir is None:
        show([checked], "full")
        raise SystemExit(1)
    if start_node is not None:
        _check_start(ir, start_node)
    if lang:
        ir = {**ir, "lang": lang}
    zone = ZoneInfo(ir["timezone"] or settings.engine.timezone)
    try:
        when = dt.datetime.fromisoformat(at) if at else settings.sim.start
    except ValueError:
        raise click.BadParameter(f"{at!r} is not a date and time like 2026-11-23 21:00",
                                 param_hint="--at") from None
    clock = VirtualClock(when.replace(tzinfo=zone))
    clock_box.append(clock)
    person = ScriptedCaller(script_inputs(script)) if script is not None else TerminalCaller()
    outcomes = Outcomes(queues={}) if not no_agents else _all_queues_time_out(ir)
    channel = SimChannel(person, clock, caller_number=caller or settings.sim.caller,
                         called=(ir.get("numbers") or [settings.sim.called])[0],
                         outcomes=outcomes, listener=_printer(trace))
    sink = MemorySink()
    rt = Runtime(registry=runtime.registry, clock=clock, prompts=runtime.prompts, sink=sink,
                 catalog=runtime.catalog, max_steps=settings.engine.max_steps,
                 timezone=settings.engine.timezone, cpu_budget_ms=settings.engine.cpu_budget)
    observer = (lambda kind, value: click.echo(click.style(f"          → {value}", fg="magenta"))
                if kind == "node" else None) if trace else None
    click.echo(click.style(f"Calling {ir['title'] or ir['flow']} ({path}) as {channel.caller}, "
                           f"{clock.now().astimezone(zone):%a %Y-%m-%d %H:%M}",
                           bold=True))
    session = CallSession(ir, channel, rt, start=start_node, observer=observer)
    worker = gevent.spawn(session.run)
    try:
        worker.join()
    except KeyboardInterrupt:
        worker.kill()
    _summary(sink.records[0] if sink.records else None, trace)


def _all_queues_time_out(ir) -> Outcomes:
    names = {op["queue"] for node in ir["nodes"].values() for op in _ops(node)
             if op["op"] == "queue"}
    return Outcomes(queues={name: "timeout" for name in names})


def _ops(node):
    stack = list(node.get("ops", []))
    for key_ops in node.get("keys", {}).values():
        stack.extend(key_ops)
    for event in ("nomatch", "noinput", "exhausted"):
        stack.extend(node.get(event) or [])
    while stack:
        op = stack.pop()
        yield op
        for branch in op.get("branches", []):
            stack.extend(branch["ops"])
        for handler in (op.get("on") or {}).values():
            stack.extend(handler["ops"])


def _summary(record: CallRecord | None, trace: bool) -> None:
    if record is None:
        click.echo("the call left no record")
        return
    click.echo()
    click.echo(click.style("Path: ", bold=True) + " → ".join(record.path))
    click.echo(click.style("Ended: ", bold=True) + record.end_reason +
               (f" ({record.detail})" if record.detail else ""))
    for ticket in record.tickets:
        click.echo(click.style("Ticket: ", bold=True) +
                   f"{ticket.id} {ticket.type} severity {ticket.severity} {ticket.fields}")
    if record.collected:
        click.echo(click.style("Collected: ", bold=True) + str(record.collected))
    if trace:
        click.echo(click.style("\nTrace:", bold=True))
        for entry in record.trace:
            click.echo(f"  {entry.at_ms / 1000:7.1f}s {entry.node:>20}:{entry.line:<4} "
                       f"{entry.action:<9} {entry.args} → {entry.result}")
