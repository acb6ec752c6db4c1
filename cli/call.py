"""`switchflow call`: a phone in the terminal, on the simulator."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import gevent

from engine.calendars.clock import VirtualClock
from engine.channel import DigitRequest, Media, RecordRequest, TextPart
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

    def during(self, media: Media) -> str | None:
        """At the keyboard, keys are typed when asked, after the prompt."""
        return None

    def at_recording(self, request: RecordRequest) -> Input | None:
        answer = _ask("  🎙 recording: type what you say (empty = silence, h = hang up)", "")
        if answer.strip().lower() == "h":
            return ("hangup", None)
        return None if answer.strip() else ("silence", None)

    def at_fax(self) -> Input | None:
        answer = _ask("  📠 your fax machine receives (Enter = it arrives, h = hang up mid-fax)",
                      "")
        return ("hangup", None) if answer.strip().lower() == "h" else None


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
            raise click.BadParameter(f"{item!r} is not keys (0-9 * #), KEYS@PROMPT, t or h",
                                     param_hint="--script")
        out.append(PressDuring(keys, prompt) if prompt else _parse(item))
    return out


def _printer(show_nodes: bool):
    def on_event(event: SimEvent) -> None:
        kind, value = event.kind, event.value
        at = click.style(f"{event.at_ms / 1000:7.1f}s", dim=True)
        if kind == "play" and isinstance(value, Media):
            click.echo(f"{at} 🔊 {value.text}  " + click.style(f"[{value.key}]", dim=True))
        elif kind == "say" and isinstance(value, Media):
            words = f"  ({value.words})" if value.words and value.words != value.text else ""
            voice = f"  [voice {value.voice}]" if value.voice and _has_text(value) else ""
            click.echo(f"{at} 🗣 {value.text}" + click.style(words + voice, dim=True))
        elif kind == "input":
            what, keys = value
            shown = {"press": f"pressed {keys}", "silence": "(silence)",
                     "hangup": "(hangs up)"}[what]
            click.echo(f"{at}    " + click.style(shown, fg="cyan"))
        elif kind == "lost":
            click.echo(f"{at}    " + click.style(f"keys {value} lost: nothing listened for them",
                                                 fg="yellow"))
        elif kind == "queue":
            click.echo(f"{at} ⏳ waiting in queue {value}")
        elif kind == "agent":
            click.echo(f"{at} 👤 agent {value} answers")
        elif kind == "bridge":
            click.echo(f"{at} ↪ transferred: {value}")
        elif kind == "talk":
            click.echo(f"{at} 💬 talked for {value / 1000:.0f} s")
        elif kind == "hand_back":
            click.echo(f"{at} ↩ the agent hands you back to {value}")
        elif kind == "fax":
            click.echo(f"{at} 📠 fax: {value}")
        elif kind == "record":
            click.echo(f"{at} 🎙 recording after the beep")
        elif kind == "hangup":
            click.echo(f"{at} ☎ the flow hangs up ({value})")
        elif kind == "caller_hangup":
            click.echo(f"{at} ☎ you hung up")
        elif kind in ("agent_hangup", "far_end_hangup", "switch_hangup"):
            who = {"agent_hangup": "the agent", "far_end_hangup": "the other side",
                   "switch_hangup": "the switch"}[kind]
            click.echo(f"{at} ☎ {who} hung up ({value})")
    return on_event


def _has_text(media: Media) -> bool:
    """True when part of the media has no prompt file (TTS speaks it in the voice)."""
    return any(isinstance(p, TextPart) for p in media.parts)


@click.command()
@click.argument("flow", type=click.Path(exists=True, dir_okay=False))
@click.option("--caller", help="The caller's number (default from settings: 13800000000).")
@click.option("--lang", type=click.Choice(["zh-CN", "en-US"]),
              help="The caller's language (default: the flow's `lang`, else engine.default_lang).")
@click.option("--script", help='Keys without a terminal, comma-separated: "1,12345678#,t,h"; '
                               '"1@welcome" presses 1 while the prompt welcome plays.')
@click.option("--at", "at", help='Local time of the call, e.g. "2026-11-23 21:00".')
@click.option("--start", "start_node", help="Start at this node instead of `start`.")
@click.option("--no-agents", is_flag=True, help="Queues time out (no agent answers).")
@click.option("--hand-back", "hand_back", metavar="FLOW",
              help="After the agent, hand the caller back to FLOW (e.g. satisfaction_survey).")
@click.option("--incident", is_flag=True, help="Demo data: a gas incident is running.")
@click.option("--trace", is_flag=True, help="Show nodes as they are entered and the trace.")
def call(flow: str, caller: str | None, lang: str | None, script: str | None, at: str | None,
         start_node: str | None, no_agents: bool, hand_back: str | None, incident: bool,
         trace: bool) -> None:
    """Call FLOW on the simulator: hear its prompts, press keys.

    Lookups answer from the demo data (accounts in engine/demo.py, e.g.
    account 12345678, PIN 123456). Type keys when asked, `t` to let the
    timeout pass, `h` to hang up. An agent who answers talks with you for
    three minutes (simulated). `goto flow` goes on into the other flows of
    FLOW's folder. At the end the path taken, the agent, the talk time and
    who hung up are shown.

    \b
    Example:
      switchflow call flows/hotline.flow
      switchflow call flows/hotline.flow --script "3,1,12345678#,123456,h" --trace
      switchflow call flows/hotline.flow --script "0,5" --hand-back satisfaction_survey
    """
    logging.getLogger("engine").setLevel(logging.ERROR)
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    path = Path(flow)
    clock_box: list[VirtualClock] = []
    runtime = demo_runtime(settings, incident=incident or None,
                           today=lambda: clock_box[0].now().astimezone(zone).date())
    ir, checked = compile_checked(path, runtime.catalog)
    if ir is None:
        show([checked], "full")
        raise SystemExit(1)
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
    clock_box.append(clock)
    person = ScriptedCaller(script_inputs(script)) if script is not None else TerminalCaller()
    outcomes = _all_queues_time_out(flows) if no_agents else Outcomes()
    outcomes.hand_back = hand_back
    channel = SimChannel(person, clock, caller_number=caller or settings.sim.caller,
                         called=(ir.get("numbers") or [settings.sim.called])[0],
                         outcomes=outcomes, listener=_printer(trace))
    sink = MemorySink()
    rt = dataclasses.replace(runtime, sink=sink)
    switch = SimSwitch()
    try:
        switch.connect(Calls(flows, rt, switch).handle)
    except CallsError as exc:
        raise click.ClickException(str(exc)) from None
    observer = (lambda kind, value: click.echo(click.style(f"          → {value}", fg="magenta"))
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
    record = worker.value.done.wait(timeout=5) if worker.successful() else None
    _summary(record, trace)


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


def _summary(record: CallRecord | None, trace: bool) -> None:
    if record is None:
        click.echo("the call left no record")
        return
    click.echo()
    click.echo(click.style("Path: ", bold=True) + " → ".join(record.path))
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
    if record.collected:
        click.echo(click.style("Collected: ", bold=True) + str(record.collected))
    if trace:
        click.echo(click.style("\nTrace:", bold=True))
        for entry in record.trace:
            click.echo(f"  {entry.at_ms / 1000:7.1f}s {entry.node:>20}:{entry.line:<4} "
                       f"{entry.action:<9} {entry.args} → {entry.result}")
