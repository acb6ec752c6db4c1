"""`switchflow call`: a phone in the terminal, on the simulator."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import gevent

from engine.calendars.clock import VirtualClock
from engine.channel import DigitRequest, Media, RecordRequest, TextPart
from engine.channel.callerid import is_caller_id
from engine.lifecycle import Calls, CallsError, flow_ops
from engine.record import CallRecord, MemorySink
from engine.settings import SettingsError, load_settings
from engine.sim.channel import (
    Input,
    Outcomes,
    PressDuring,
    Script,
    ScriptedCaller,
    SimChannel,
    SimEvent,
)
from engine.sim.switch import SimSwitch
from ivrlang.suggest import did_you_mean

from .output import engine_logs_as_lines, show
from .project import compile_checked, demo_runtime, library_usage

KEYS = frozenset("0123456789*#")
FAILED_ENDS = ("error", "loop_guard", "fell_off")   # the flow or the engine failed the call
KEYS_HELP = "press 0-9, * or #; t lets the timeout pass, h hangs up"


class Transcript:
    """What the terminal shows of the call, with secret entries masked.

    It never raises into the engine: when the output is gone (a closed pipe,
    a full disk) it keeps the error, the caller hangs up, and the command
    raises it afterwards for cli.main to end quietly.
    """

    def __init__(self) -> None:
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
            self.echo(f"{at} 🔊 {value.text}  " + click.style(f"[{value.key}]", dim=True))
        elif kind == "say" and isinstance(value, Media):
            words = f"  ({value.words})" if value.words and value.words != value.text else ""
            voice = f"  [voice {value.voice}]" if value.voice and _has_text(value) else ""
            self.echo(f"{at} 🗣 {value.text}" + click.style(words + voice, dim=True))
        elif kind == "input":
            what, keys = value
            if what == "press" and hasattr(keys, "masked"):   # a secret entry (a PIN)
                keys = "*" * len(keys)
            shown = {"press": f"pressed {keys}", "silence": "(silence)",
                     "hangup": "(hangs up)"}[what]
            self.echo(f"{at}    " + click.style(shown, fg="cyan"))
        elif kind == "lost":
            self.echo(f"{at}    " + click.style(f"keys {value} lost: nothing listened for them",
                                                 fg="yellow"))
        elif kind == "queue":
            self.echo(f"{at} ⏳ waiting in queue {value}")
        elif kind == "agent":
            self.echo(f"{at} 👤 agent {value} answers")
        elif kind == "bridge":
            self.echo(f"{at} ↪ transferred: {value}")
        elif kind == "talk":
            self.echo(f"{at} 💬 talked for {value / 1000:.0f} s")
        elif kind == "hand_back":
            self.echo(f"{at} ↩ the agent hands you back to {value}")
        elif kind == "fax":
            self.echo(f"{at} 📠 fax: {value}")
        elif kind == "record":
            self.echo(f"{at} 🎙 recording after the beep")
        elif kind == "hangup":
            self.echo(f"{at} ☎ the flow hangs up ({value})")
        elif kind == "caller_hangup":
            self.echo(f"{at} ☎ you hung up")
        elif kind in ("agent_hangup", "far_end_hangup", "switch_hangup"):
            who = {"agent_hangup": "the agent", "far_end_hangup": "the other side",
                   "switch_hangup": "the switch"}[kind]
            self.echo(f"{at} ☎ {who} hung up ({value})")


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
        secret = request.secret
        hint = f"{'secret ' if secret else ''}keys ({size}{ends}; t=timeout, h=hang up)"
        while True:
            answer = self._ask(f"  ☎ {hint}", "t", hidden=secret)
            parsed = parse_input(answer)
            if parsed is not None:
                return parsed
            self.transcript.echo(click.style(f"  not keys: {KEYS_HELP}", fg="yellow"))

    def during(self, media: Media) -> str | None:
        """At the keyboard, keys are typed when asked, after the prompt."""
        return None

    def at_recording(self, request: RecordRequest) -> Input | None:
        answer = self._ask("  🎙 recording: type what you say (empty = silence, h = hang up)", "")
        if answer.strip().lower() == "h":
            return ("hangup", None)
        return None if answer.strip() else ("silence", None)

    def at_fax(self) -> Input | None:
        answer = self._ask("  📠 your fax machine receives (Enter = it arrives, "
                           "h = hang up mid-fax)", "")
        return ("hangup", None) if answer.strip().lower() == "h" else None

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


def script_inputs(script: str) -> list[Script]:
    """`1@welcome,12345678#,t,h` -> press 1 during the prompt `welcome`,
    press 12345678# when asked, silence, hang up."""
    items = [s for s in (p.strip() for p in script.split(",")) if s]
    out: list[Script] = []
    for item in items:
        keys, _, prompt = item.partition("@")
        if item.lower() not in ("t", "h", "timeout", "hangup") and (
                not keys or not all(ch in "0123456789*#" for ch in keys)
                or ("@" in item and not prompt.replace("_", "a").isalnum())):
            raise click.BadParameter(f"{item!r} is not keys (0-9 * #), KEYS@PROMPT, t or h "
                                     f"({KEYS_HELP})",
                                     param_hint="--script")
        parsed = PressDuring(keys, prompt) if prompt else parse_input(item)
        if parsed is None:
            raise click.BadParameter(f"{item!r} is not keys: {KEYS_HELP}", param_hint="--script")
        out.append(parsed)
    return out


def _has_text(media: Media) -> bool:
    """True when part of the media has no prompt file (TTS speaks it in the voice)."""
    return any(isinstance(p, TextPart) for p in media.parts)


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
        raise click.BadParameter(f"the flow has no node `{node}`; " + _nodes_hint(node, nodes),
                                 param_hint="--start")
    if nodes[node]["kind"] == "sub":
        raise click.BadParameter(f"`{node}` is a sub: it runs only inside a `call` and "
                                 "`return`s to it; start at a step or a menu",
                                 param_hint="--start")


@click.command(short_help="Call a flow on the simulator: hear it, press keys.")
@click.argument("flow", type=click.Path(exists=True, dir_okay=False))
@click.option("--caller", callback=_caller_option,
              help="The caller's number (default from settings: 13800000000).")
@click.option("--lang", type=click.Choice(["zh-CN", "en-US"]),
              help="The caller's language (default: the flow's `lang`, else engine.default_lang).")
@click.option("--script", help='Keys without a terminal, comma-separated: "1,12345678#,t,h"; '
                               '"1@welcome" presses 1 while the prompt welcome plays.')
@click.option("--at", "at", help='Local time of the call, e.g. "2026-11-23 21:00".')
@click.option("--start", "start_node", help="Start at this node instead of `start`.")
@click.option("--no-agents", is_flag=True, help="Queues time out (no agent answers).")
@click.option("--hand-back", "hand_back", metavar="FLOW",
              help="After the agent, hand the caller back to FLOW (e.g. satisfaction_survey).")
@click.option("--incident", is_flag=True, help="Demo data: a gas incident is running "
              "(without --db).")
@click.option("--trace", is_flag=True, help="Show nodes as they are entered and the trace.")
@click.option("--db", "use_db", is_flag=True,
              help="Use the store ([store] url or SWITCHFLOW_DB) for every lookup (customers, "
                   "PINs, applications, interruptions, tickets, incidents); it keeps the "
                   "tickets, writes and call record (run `switchflow db init` and `db "
                   "seed-demo` first).")
def call(flow: str, caller: str | None, lang: str | None, script: str | None, at: str | None,
         start_node: str | None, no_agents: bool, hand_back: str | None, incident: bool,
         trace: bool, use_db: bool) -> None:
    """Call FLOW on the simulator: hear its prompts, press keys.

    Lookups answer from the demo data (accounts in engine/demo.py, e.g.
    account 12345678, PIN 123456), or with --db from the store. Type keys when asked, `t` to let the
    timeout pass, `h` to hang up. An agent who answers talks with you for
    three minutes (simulated). `goto flow` goes on into the other flows of
    FLOW's folder. At the end the path taken, the agent, the talk time and
    who hung up are shown.

    \b
    Example:
      switchflow call flows/hotline.flow
      switchflow call flows/hotline.flow --script "3,1,12345678#,123456,h" --trace
      switchflow call flows/hotline.flow --script "0,5" --hand-back satisfaction_survey
      switchflow call flows/meter_reading.flow --db
    """
    engine_logs_as_lines()
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    path = Path(flow)
    if use_db and incident:
        raise click.BadParameter("--incident declares the demo data's incident; with --db the "
                                 "store's incidents count", param_hint="--incident")
    # the demo data is dated [sim] start, as in `switchflow test`; with --db, the store
    # answers every lookup and function and no demo data is left
    runtime = demo_runtime(settings, incident=incident or None, near=path.parent,
                           skip=store_names() if use_db else (),
                           today=settings.sim.start.date())
    ir, checked = compile_checked(path, runtime.catalog)
    if ir is None and checked.ok:
        raise library_usage(path)
    if ir is None:
        show([checked], "full")
        raise SystemExit(1)
    if start_node is not None:
        _check_start(ir, start_node)
    # the call's language: the caller's if given, else the flow's (`lang`, or
    # engine.default_lang for a flow without one: the catalogue compiled it in)
    call_lang = lang or ir["lang"]
    flows = [ir, *_other_flows(path, runtime.catalog, ir["flow"])]
    if hand_back and hand_back not in {f["flow"] for f in flows}:
        raise click.BadParameter(f"no flow `{hand_back}` in {path.parent}",
                                 param_hint="--hand-back")
    zone = ZoneInfo(ir["timezone"] or settings.engine.timezone)
    try:
        when = dt.datetime.fromisoformat(at) if at else settings.sim.start
    except ValueError:
        raise click.BadParameter(f"{at!r} is not a date and time like 2026-11-23 21:00",
                                 param_hint="--at") from None
    clock = VirtualClock(when.replace(tzinfo=zone))
    transcript = Transcript()
    person = (ScriptedCaller(script_inputs(script)) if script is not None
              else TerminalCaller(transcript))
    outcomes = _all_queues_time_out(flows) if no_agents else Outcomes()
    outcomes.hand_back = hand_back
    channel = SimChannel(person, clock, caller_number=caller or settings.sim.caller,
                         called=(ir.get("numbers") or [settings.sim.called])[0],
                         outcomes=outcomes, listener=transcript.on_event)
    rt = (_with_store(runtime, settings, channel) if use_db
          else dataclasses.replace(runtime, sink=MemorySink()))
    switch = SimSwitch()
    try:
        switch.connect(Calls(flows, rt, switch).handle)
    except CallsError as exc:
        raise click.ClickException(str(exc)) from None
    observer = (lambda kind, value: transcript.echo(click.style(f"          → {value}",
                                                                fg="magenta"))
                if kind in ("node", "flow") else None) if trace else None
    click.echo(click.style(f"Calling {ir['title'] or ir['flow']} ({path}) as {channel.caller} "
                           f"({call_lang}), {clock.now().astimezone(zone):%a %Y-%m-%d %H:%M}",
                           bold=True))
    worker = gevent.spawn(switch.call, channel, flow=ir["flow"], start=start_node,
                          observer=observer, lang=call_lang)
    try:
        worker.join()
    except KeyboardInterrupt:
        worker.kill()
    if transcript.lost is not None:
        raise transcript.lost           # cli.main ends quietly: nobody reads the output
    record = worker.value.done.wait(timeout=5) if worker.successful() else None
    _summary(record, trace)
    if record is None or record.end_reason in FAILED_ENDS or not worker.successful():
        raise SystemExit(1)


def store_names() -> tuple[str, ...]:
    from store.lookups import STORE_NAMES
    return STORE_NAMES


def _with_store(runtime, settings, channel: SimChannel):
    """The runtime with the store's customers, desk, back office and record sink."""
    return with_store(runtime, settings, now=channel.clock.now)


def with_store(runtime, settings, now=None):
    """`runtime` with the store's lookups and functions (every one the store implements;
    `now` their clock, default the wall clock), its ticket desk, back office and record
    sink (with the outbox): `call --db` and `serve`."""
    from store.db import StoreError
    from store.lookups import register_store_lookups
    from store.runtime import store_runtime_parts

    try:
        parts = store_runtime_parts(settings)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    register_store_lookups(runtime.registry, settings, now=now)
    missing = runtime.registry.missing()
    if missing:     # a catalogue entry the store has no implementation of
        raise click.ClickException("the store does not implement " + ", ".join(missing))
    from engine.fax.policy import FaxPolicy
    from engine.fax.renderer import FaxRenderer
    from store.faxjobs import StoreFaxJobs

    # fax-back: documents drawn from the store's data, fax jobs queued in the store
    return dataclasses.replace(runtime, sink=parts.sink, desk=parts.desk,
                               back_office=parts.back_office,
                               fax_jobs=StoreFaxJobs(FaxPolicy.from_settings(settings), now=now),
                               renderer=FaxRenderer.from_settings(settings, now=now))


def _nodes_hint(name: str, nodes) -> str:
    """`did you mean …?` when one is close, else the nodes there are."""
    close = did_you_mean(name, nodes)
    if close:
        return close
    names = sorted(nodes)
    return "its nodes are " + ", ".join(names[:12]) + (", …" if len(names) > 12 else "")


def _other_flows(path: Path, catalog, name: str) -> list[dict]:
    """The other flows of the folder that check cleanly (for `goto flow` and hand-backs)."""
    others = []
    for other in sorted(path.parent.glob("*.flow")):
        if other.resolve() == path.resolve():
            continue
        compiled, _ = compile_checked(other, catalog)
        if compiled is not None and compiled["flow"] != name:
            others.append(compiled)
    return others


def _all_queues_time_out(flows) -> Outcomes:
    names = {op["queue"] for ir in flows for op in flow_ops(ir) if op["op"] == "queue"}
    return Outcomes(queues={name: "timeout" for name in names})


def path_text(path: list[str]) -> str:
    """The nodes in order, a node entered again and again in a row shown once with a count."""
    runs: list[list] = []
    for node in path:
        if runs and runs[-1][0] == node:
            runs[-1][1] += 1
        else:
            runs.append([node, 1])
    return " → ".join(node if times == 1 else f"{node} ×{times}" for node, times in runs)


def _summary(record: CallRecord | None, trace: bool) -> None:
    if record is None:
        click.echo("the call left no record")
        return
    click.echo()
    click.echo(click.style("Path: ", bold=True) + path_text(record.path))
    if len(record.segments) > 1:
        click.echo(click.style("Flows: ", bold=True)
                   + " → ".join(f"{s.flow} ({s.reason})" for s in record.segments))
    click.echo(click.style("Ended: ", bold=True) + record.end_reason +
               (f" ({record.detail})" if record.detail else ""))
    for visit in record.queues:
        click.echo(click.style("Queue: ", bold=True) + f"{visit.name} ({visit.queue}): "
                   f"{visit.outcome} after {visit.wait_ms / 1000:.0f} s")
    if record.agent:
        click.echo(click.style("Agent: ", bold=True) + record.agent)
    if record.talk_ms:
        click.echo(click.style("Talk time: ", bold=True) + f"{record.talk_ms / 1000:.0f} s")
    click.echo(click.style("Hung up by: ", bold=True) + f"{record.hangup_by or '?'} "
               f"({record.hangup_cause or '?'})")
    for ticket in record.tickets:
        number = ticket.id or f"not opened ({ticket.error})"
        click.echo(click.style("Ticket: ", bold=True) +
                   f"{number} {ticket.type} severity {ticket.severity} {ticket.fields}")
    for sent in record.faxes:
        click.echo(click.style("Fax: ", bold=True) +
                   f"{sent.document} on this line: {sent.code} {sent.text}")
    for job in record.fax_jobs:
        click.echo(click.style("Fax job: ", bold=True) +
                   f"{job.document} to {job.to}: " + (job.job or f"not queued ({job.error})"))
    for sent in record.submits:
        click.echo(click.style("Submitted: ", bold=True) + f"{sent.name} {sent.values}: "
                   + (sent.reference or f"not accepted ({sent.error})"))
    if record.collected:
        click.echo(click.style("Collected: ", bold=True) + str(record.collected))
    if trace:
        click.echo(click.style("\nTrace:", bold=True))
        for entry in record.trace:
            click.echo(f"  {entry.at_ms / 1000:7.1f}s {entry.node:>20}:{entry.line:<4} "
                       f"{entry.action:<9} {entry.args} → {entry.result}")
