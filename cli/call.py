"""`switchflow call`: a phone in the terminal, on the simulator."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import gevent

from engine.calendars.clock import VirtualClock
from engine.channel.contract import DigitRequest, Media, RecordRequest
from engine.record import CallRecord, MemorySink
from engine.runtime import Runtime
from engine.session import CallSession
from engine.settings import SettingsError, load_settings
from engine.sim.channel import Input, Outcomes, ScriptedCaller, SimChannel, SimEvent
from ivrlang.suggest import did_you_mean

from .output import engine_logs_as_lines, show
from .project import compile_checked, demo_runtime

KEYS = frozenset("0123456789*#")
FAILED_ENDS = ("error", "loop_guard", "fell_off")   # the flow or the engine failed the call
KEYS_HELP = "press 0-9, * or #; t lets the timeout pass, h hangs up"


class Transcript:
    """What the terminal shows of the call, with secret entries masked.

    It never raises into the engine: when the output is gone (a closed pipe,
    a full disk) it keeps the error, the caller hangs up, and the command
    raises it afterwards for cli.main to end quietly.
    """

    def __init__(self, secret_prompts: frozenset[str]) -> None:
        self.secret_prompts = secret_prompts
        self.hiding = False              # the last prompt asked for a secret entry
        self.lost: OSError | None = None

    def echo(self, text: str = "") -> None:
        if self.lost is None:
            try:
                click.echo(text)
            except OSError as exc:
                self.lost = exc

    def on_event(self, event: SimEvent) -> None:
        kind, value = event.kind, event.value
        at = click.style(f"{event.at_ms / 1000:7.1f}s", dim=True)
        if kind == "play" and isinstance(value, Media):
            self.hiding = value.key in self.secret_prompts
            self.echo(f"{at} 🔊 {value.text}  " + click.style(f"[{value.key}]", dim=True))
        elif kind == "say" and isinstance(value, Media):
            words = f"  ({value.words})" if value.words and value.words != value.text else ""
            self.echo(f"{at} 🗣 {value.text}" + click.style(words, dim=True))
        elif kind == "input":
            what, keys = value
            if what == "press" and self.hiding:
                keys = "*" * len(keys)
            shown = {"press": f"pressed {keys}", "silence": "(silence)",
                     "hangup": "(hangs up)"}[what]
            self.echo(f"{at}    " + click.style(shown, fg="cyan"))
        elif kind == "queue":
            self.echo(f"{at} ⏳ waiting in queue {value}")
        elif kind == "transfer":
            self.echo(f"{at} ↪ transferred to {value}")
        elif kind == "fax":
            self.echo(f"{at} 📠 fax: {value}")
        elif kind == "record":
            self.echo(f"{at} 🎙 recording after the beep")
        elif kind == "hangup":
            self.echo(f"{at} ☎ the flow hangs up ({value})")
        elif kind == "caller_hangup":
            self.echo(f"{at} ☎ you hung up")


class TerminalCaller:
    """The person at the keyboard: keys, `t` to let the timeout pass, `h` to hang up.

    A secret entry (a `collect … secret`, such as a PIN) is read without echo.
    """

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript

    def next_input(self, request: DigitRequest) -> Input:
        size = (f"{request.min_digits}" if request.min_digits == request.max_digits
                else f"{request.min_digits}-{request.max_digits}")
        ends = ", # ends" if "#" in request.terminators else ""
        secret = request.prompt is not None and \
            request.prompt.key in self.transcript.secret_prompts
        hint = f"{'secret ' if secret else ''}keys ({size}{ends}; t=timeout, h=hang up)"
        while True:
            answer = self._ask(f"  ☎ {hint}", "t", hidden=secret)
            parsed = parse_input(answer)
            if parsed is not None:
                return parsed
            self.transcript.echo(click.style(f"  not keys: {KEYS_HELP}", fg="yellow"))

    def at_recording(self, request: RecordRequest) -> Input | None:
        answer = self._ask("  🎙 recording: type what you say (empty = silence, h = hang up)", "")
        if answer.strip().lower() == "h":
            return ("hangup", None)
        return None if answer.strip() else ("silence", None)

    def _ask(self, question: str, default: str, hidden: bool = False) -> str:
        """One answer from the keyboard; end of input (Ctrl-D, a closed pipe) hangs up."""
        if self.transcript.lost is not None:
            return "h"
        try:
            return click.prompt(click.style(question, fg="cyan"), default=default,
                                show_default=False,
                                hide_input=hidden and sys.stdin.isatty())
        except click.Abort:
            return "h"
        except OSError as exc:
            self.transcript.lost = exc
            return "h"


def parse_input(text: str) -> Input | None:
    """Keys (0-9 * #), t/timeout/empty for silence, h/hangup; None for anything else."""
    text = text.strip()
    if text.lower() in ("h", "hangup"):
        return ("hangup", None)
    if text.lower() in ("t", "timeout", ""):
        return ("silence", None)
    if all(ch in KEYS for ch in text):
        return ("press", text)
    return None


def script_inputs(script: str) -> list[Input]:
    """`1,12345678#,t,h` -> press 1, press 12345678#, silence, hang up."""
    inputs = []
    for item in (s for s in (p.strip() for p in script.split(",")) if s):
        parsed = parse_input(item)
        if parsed is None:
            raise click.BadParameter(f"{item!r} is not keys: {KEYS_HELP}",
                                     param_hint="--script")
        inputs.append(parsed)
    return inputs


def secret_prompts(ir) -> frozenset[str]:
    """Prompt keys that ask for a secret entry (`collect … secret`), to read it hidden."""
    return frozenset(key for node in ir["nodes"].values() for op in _ops(node)
                     if op["op"] == "collect" and op.get("secret")
                     for key in (op.get("prompt"), op.get("invalid")) if key)


@click.command(short_help="Call a flow on the simulator: hear it, press keys.")
@click.argument("flow", type=click.Path(exists=True, dir_okay=False))
@click.option("--caller", help="The caller's number (default from settings: 13800000000).")
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
    engine_logs_as_lines()
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    path = Path(flow)
    # the demo data is dated [sim] start, as in `switchflow test`
    runtime = demo_runtime(path.parent, incident=incident or None, settings=settings,
                           today=settings.sim.start.date())
    ir, checked = compile_checked(path, runtime.catalog)
    if ir is None:
        show([checked], "full")
        raise SystemExit(1)
    if start_node is not None and start_node not in ir["nodes"]:
        raise click.BadParameter(f"{path} has no node `{start_node}`; "
                                 + _nodes_hint(start_node, ir["nodes"]), param_hint="--start")
    if lang:
        ir = {**ir, "lang": lang}
    zone = ZoneInfo(ir["timezone"] or settings.engine.timezone)
    try:
        when = dt.datetime.fromisoformat(at) if at else settings.sim.start
    except ValueError:
        raise click.BadParameter(f"{at!r} is not a date and time like 2026-11-23 21:00",
                                 param_hint="--at") from None
    clock = VirtualClock(when.replace(tzinfo=zone))
    transcript = Transcript(secret_prompts(ir))
    person = (ScriptedCaller(script_inputs(script)) if script is not None
              else TerminalCaller(transcript))
    outcomes = Outcomes(queues={}) if not no_agents else _all_queues_time_out(ir)
    channel = SimChannel(person, clock, caller_number=caller or settings.sim.caller,
                         called=(ir.get("numbers") or [settings.sim.called])[0],
                         outcomes=outcomes, listener=transcript.on_event)
    sink = MemorySink()
    rt = Runtime(registry=runtime.registry, clock=clock, prompts=runtime.prompts, sink=sink,
                 catalog=runtime.catalog, max_steps=settings.engine.max_steps,
                 timezone=settings.engine.timezone)
    observer = (lambda kind, value: transcript.echo(click.style(f"          → {value}",
                                                                fg="magenta"))
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
    if transcript.lost is not None:
        raise transcript.lost           # cli.main ends quietly: nobody reads the output
    record = sink.records[0] if sink.records else None
    _summary(record, trace)
    if record is None or record.end_reason in FAILED_ENDS or not worker.successful():
        raise SystemExit(1)


def _nodes_hint(name: str, nodes) -> str:
    """`did you mean …?` when one is close, else the nodes there are."""
    close = did_you_mean(name, nodes)
    if close:
        return close
    names = sorted(nodes)
    return "its nodes are " + ", ".join(names[:12]) + (", …" if len(names) > 12 else "")


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
