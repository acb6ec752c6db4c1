"""`switchflow ticket`: work orders from the terminal — list, show, move, and their time limits.

Every change names who made it (`--as`, default the login name) for the
audit log, and is refused, in one line, when the ticket is unknown, the
change is not allowed from its status, or (with `--expect-version`) someone
changed it since it was read. Times are local, with their zone.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import getpass
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import click

from .project import cli_settings

FORMATS = click.Choice(["table", "csv", "json"])
ROLES = ("agent", "supervisor", "quality", "admin")
CAUSES = ("environment", "hardware", "software", "human", "other")
PAUSE_REASONS = ("waiting_customer", "waiting_parts")
_SPAN = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


class TicketUsage(click.ClickException):
    """A ticket or value that does not exist (exit 2, like a usage error)."""

    exit_code = 2


def _duration(ctx: click.Context | None, param: click.Parameter | None,
              value: str | None) -> dt.timedelta | None:
    """"90m", "2h", "1d", "1h30m" as a timedelta."""
    if value is None:
        return None
    found = _SPAN.fullmatch(value.strip())
    if not value.strip() or not found or not any(found.groups()):
        raise click.BadParameter(f'{value!r} is not a duration such as "30m", "2h" or "1d"')
    days, hours, minutes = (int(g or 0) for g in found.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown"


def who_option(f: Callable) -> Callable:
    return click.option("--as", "who", metavar="NAME", default=_login, show_default="login name",
                        help="Who makes the change (for the audit log).")(f)


def role_option(f: Callable) -> Callable:
    return click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True,
                        help="Whose view: confidential tickets need supervisor, quality "
                             "or admin.")(f)


def format_option(f: Callable) -> Callable:
    return click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
                        help="Output: a table, CSV or JSON.")(f)


def version_option(f: Callable) -> Callable:
    return click.option("--expect-version", type=click.IntRange(1), metavar="V",
                        help="Refuse the change if the ticket is no longer at version V.")(f)


@contextlib.contextmanager
def store(role: str = "agent", with_policies: bool = True) -> Iterator[Any]:
    """The settings' database, connected and at this schema, and a TicketService on it;
    every problem as one line."""
    from store.tickets.errors import TicketError
    from store.tickets.service import TicketService

    from .db import ready
    settings = cli_settings()
    with ready(settings):
        policies = _policies(settings) if with_policies else None
        service = TicketService(policies=policies, zone=settings.engine.timezone, role=role)
        try:
            yield service
        except TicketError as e:
            if e.usage:
                raise TicketUsage(str(e)) from None
            raise click.ClickException(str(e)) from None


def _policies(settings: Any) -> Any:
    from store.tickets.sla import PolicyProblem, load_ticket_policies
    try:
        return load_ticket_policies(settings)
    except PolicyProblem as e:
        raise click.ClickException(str(e)) from None


# ------------------------------------------------------------------ output


def _when(value: dt.datetime | None) -> str:
    from store.tickets.views import shown
    return shown(value)


def _flags(v: Any) -> str:
    marks = []
    if v.overdue:
        marks.append("OVERDUE")
    elif v.breached:
        marks.append("breached")
    if v.paused_reason:
        marks.append(f"paused:{v.paused_reason}")
    if v.confidential:
        marks.append("confidential")
    return " ".join(marks)


LIST_COLUMNS = ("number", "type", "sev", "status", "team", "assignee", "account", "next due",
                "flags")


def _row(v: Any) -> list[str]:
    return [v.number, v.type, str(v.severity), v.status, v.team or "-", v.assignee or "-",
            v.account or "-", _when(v.next_due), _flags(v)]


def _table(header: tuple[str, ...], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def _csv(views: list[Any]) -> str:
    from store.tickets.views import as_json
    out = io.StringIO()
    if not views:
        return ""
    data = [as_json(v) for v in views]
    writer = csv.DictWriter(out, fieldnames=list(data[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(data)
    return out.getvalue().rstrip("\n")


def emit_one(view: Any, fmt: str, said: str) -> None:
    """A changed or created ticket: a sentence, or the ticket as CSV / JSON."""
    from store.tickets.views import as_json
    if fmt == "json":
        click.echo(json.dumps(as_json(view), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(_csv([view]))
    else:
        click.echo(f"ticket {view.number}: {said} (status {view.status}, version "
                   f"{view.version}" + (f", next due {_when(view.next_due)}"
                                        if view.next_due else "") + ")")


# ------------------------------------------------------------------ the group


@click.group(short_help="Work orders: list, show, create, dispatch, resolve, time limits.")
def ticket() -> None:
    """Tickets (work orders) in the store's database ([store] url or SWITCHFLOW_DB).

    \b
    Lifecycle: new -> dispatched -> accepted -> in_progress -> resolved -> closed;
    `return` sends a ticket back to the dispatcher (new) with a reason,
    `reopen` brings a resolved or closed one back, `pause` stops its clocks
    while waiting for the customer or for parts.

    \b
    Example:
      switchflow ticket create --type repair --severity 2 --account 12345678 --note "no gas"
      switchflow ticket dispatch 261128000001 --to field_north
      switchflow ticket list --overdue
      switchflow ticket sla --explain 261128000001
    """


@ticket.command("list", short_help="List tickets, filtered.")
@click.option("--status", multiple=True,
              type=click.Choice(["new", "dispatched", "accepted", "in_progress", "resolved",
                                 "closed", "open"]),
              help="Only these statuses (repeat it); `open` = not resolved or closed.")
@click.option("--type", "type_", metavar="TYPE", help="Only this ticket type.")
@click.option("--severity", type=click.IntRange(1, 4), help="Only this severity.")
@click.option("--overdue", is_flag=True, help="Only open tickets past a deadline.")
@click.option("--due-within", callback=_duration, metavar="DURATION",
              help='Only open tickets with a deadline within this long ("2h", "1d").')
@click.option("--assignee", metavar="NAME", help="Only this person's or team's tickets.")
@click.option("--account", metavar="ACCOUNT", help="Only this customer account's tickets.")
@click.option("--followup-due", is_flag=True,
              help="Only closed tickets whose satisfaction call is due.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@role_option
@format_option
def list_(status: tuple[str, ...], type_: str | None, severity: int | None, overdue: bool,
          due_within: dt.timedelta | None, assignee: str | None, account: str | None,
          followup_due: bool, limit: int, role: str, fmt: str) -> None:
    """List tickets, newest first, with their next deadline in local time.

    \b
    Example:
      switchflow ticket list --status open --due-within 2h
      switchflow ticket list --overdue --format csv > overdue.csv
      switchflow ticket list --followup-due --format json
    """
    from store.tickets.queries import TicketFilter, list_tickets
    from store.tickets.views import as_json
    statuses = tuple(s for s in status if s != "open")
    with store(role, with_policies=False) as service:
        views = list_tickets(TicketFilter(
            status=statuses, type=type_, severity=severity, overdue=overdue,
            due_within=due_within, assignee=assignee, account=account,
            open_only="open" in status, followup_due=followup_due, limit=limit), role=role,
            now=service.now(),
            zone=service.zone)
    if fmt == "json":
        click.echo(json.dumps(as_json(views), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(_csv(views))
    elif not views:
        click.echo("no tickets match")
    else:
        click.echo(_table(LIST_COLUMNS, [_row(v) for v in views]))
        if len(views) == limit:
            click.echo(f"(the newest {limit}; --limit shows more)", err=True)


@ticket.command(short_help="Show one ticket: details, history, audit, alarms.")
@click.argument("number")
@role_option
@format_option
def show(number: str, role: str, fmt: str) -> None:
    """Show a ticket in full: who it is for, the repair, its history, audit log and alarms.

    \b
    Example:
      switchflow ticket show 261128000001
      switchflow ticket show 261128000007 --role supervisor --format json
    """
    from store.tickets.queries import show_ticket
    from store.tickets.views import as_json
    with store(role, with_policies=False) as service:
        detail = show_ticket(number, role=role, now=service.now(), zone=service.zone)
    if fmt == "json":
        click.echo(json.dumps(as_json(detail), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(_csv([detail.ticket]))
    else:
        click.echo(_detail_text(detail))


def _detail_text(d: Any) -> str:
    v = d.ticket
    lines = [f"ticket {v.number}  {v.type}, severity {v.severity}, {v.status}"
             + ("  (confidential)" if v.confidential else ""),
             f"  version      {v.version}",
             f"  team         {v.team or '-'}    assignee {v.assignee or '-'}",
             f"  account      {v.account or '-'}"
             + (f" ({d.customer_class})" if d.customer_class else ""),
             f"  created      {_when(v.created)}" + (f" by call {d.call_id} from {d.caller}"
                                                      if d.call_id else "")]
    if v.paused_reason:
        lines.append(f"  paused       {v.paused_reason}")
    if v.return_reason:
        lines.append(f"  returned     {v.return_reason}")
    for key, value in d.fields.items():
        lines.append(f"  {key:<12} {value}")
    lines.append(f"  time limits  {v.sla_policy or 'not computed yet'}"
                 + (f" (policy {d.sla_policy_version}, calendar {d.sla_calendar} "
                    f"{d.sla_calendar_version}, {v.timezone})" if v.sla_policy else ""))
    for name, due in (("first resp.", v.first_response_due), ("update", v.update_due),
                      ("resolve", v.resolve_due)):
        if due is not None:
            lines.append(f"    {name:<11}  due {_when(due)}")
    if v.overdue or v.breached:
        lines.append("    " + ("OVERDUE" if v.overdue else "a time limit was missed"))
    repair = [("reported", _when(d.reported_at)), ("arrived", _when(d.arrived_at)),
              ("resolved", _when(d.resolved_at)),
              ("cause", f"{d.cause}: {d.cause_detail}" if d.cause else "-"),
              ("confirmed", {True: "yes", False: "no", None: "-"}[d.customer_confirmed]),
              ("closed", _when(d.closed_at))]
    lines.append("  repair       " + "; ".join(f"{k} {val}" for k, val in repair))
    if v.followup_due:
        lines.append(f"  follow-up    satisfaction call due {_when(v.followup_due)}")
    lines.append("history")
    for e in d.events:
        lines.append(f"  {e.version:>3}  {_when(e.at)}  {e.kind:<10} {e.who}"
                     + (" [public]" if e.public else "") + (f": {e.detail}" if e.detail
                                                            else ""))
    lines.append("audit")
    for a in d.audit:
        change = f"{a.field}: {a.old or '-'} -> {a.new or '-'}" if a.field else (a.new or "")
        lines.append(f"  {_when(a.at)}  {a.who}  {a.action}  {change}".rstrip())
    if d.dispatch:
        lines.append("voice dispatch")
        for c in d.dispatch:
            took = f", accepted {_when(c.accepted_at)}" if c.accepted_at else ""
            lines.append(f"  {_when(c.placed_at)}  {c.crew_name} ({c.crew}) call {c.attempt}:"
                         f" {c.outcome.replace('_', ' ')}{took}")
    if d.surveys:
        lines.append("survey answers")
        for a in d.surveys:
            comment = f"  comment {a.comment}" if a.comment else "  no comment"
            lines.append(f"  {_when(a.at)}  {a.campaign}  {a.rating}/5{comment}"
                         + (f"  call {a.call_id}" if a.call_id else ""))
    if d.alarms:
        lines.append("alarms")
        for al in d.alarms:
            lines.append(f"  {al.key:<28} due {_when(al.due_at)}  fired {_when(al.fired_at)}"
                         f"  notify {_when(al.notify_at)}  {al.actions}")
    return "\n".join(lines)


@ticket.command(short_help="Open a ticket by hand.")
@click.option("--type", "type_", required=True, metavar="TYPE",
              help="A ticket type of the catalogue (repair, complaint, …).")
@click.option("--severity", type=click.IntRange(1, 4),
              help="1 (most urgent) to 4; default: the type's in the catalogue.")
@click.option("--account", metavar="ACCOUNT", help="The customer's account number.")
@click.option("--note", default="", help="What it is about.")
@click.option("--team", metavar="TEAM", help="The team it is for (dispatch later otherwise).")
@click.option("--caller", default="", metavar="NUMBER", help="The number to call back.")
@click.option("--confidential", is_flag=True, help="Only supervisors, quality and admins see it.")
@who_option
@role_option
@format_option
def create(type_: str, severity: int | None, account: str | None, note: str, team: str | None,
           caller: str, confidential: bool, who: str, role: str, fmt: str) -> None:
    """Open a ticket (status new) and print it; JSON gives its `number`.

    \b
    Example:
      switchflow ticket create --type repair --severity 2 --account 12345678 \\
          --note "no gas since morning" --format json
    """
    severity = _catalogue_severity(type_, severity)
    with store(role) as service:
        view = service.create(type_, severity, who=who, account=account, note=note,
                              confidential=confidential, team=team, caller=caller)
    emit_one(view, fmt, f"opened ({view.type}, severity {view.severity})")


def _catalogue_severity(type_: str, severity: int | None) -> int:
    """The type must be the catalogue's; its default severity when none is given."""
    from engine.catalog import CatalogError, load_catalog
    from ivrlang.suggest import did_you_mean
    settings = cli_settings()
    try:
        catalog = load_catalog(settings.paths.catalog, None, settings.engine.default_lang)
    except (CatalogError, OSError) as e:
        raise click.ClickException(f"cannot read the catalogue {settings.paths.catalog}: "
                                   f"{e}") from None
    known = catalog.tickets
    if type_ not in known:
        hint = did_you_mean(type_, set(known))
        raise TicketUsage(f"unknown ticket type {type_!r}" + (f" ({hint})" if hint else "")
                          + f": one of {', '.join(sorted(known))}")
    return severity if severity is not None else known[type_].default_severity


def _change(name: str, said: Callable[[Any], str], *options: Callable,
            short: str, doc: str) -> click.Command:
    """A command that makes one change to ticket N through the service."""
    def command(number: str, who: str, role: str, fmt: str, expect_version: int | None,
                **values: Any) -> None:
        with store(role) as service:
            method = getattr(service, "return_" if name == "return" else name)
            view = method(number, who=who, expected_version=expect_version, **values)
        emit_one(view, fmt, said(view))
    command.__doc__ = doc
    for option in reversed((click.argument("number"), *options, who_option, role_option,
                            format_option, version_option)):
        command = option(command)
    return ticket.command(name, short_help=short)(command)


_change("dispatch", lambda v: f"dispatched to {v.team}" + (f" ({v.assignee})" if v.assignee
                                                            else ""),
        click.option("--to", "team", required=True, metavar="TEAM", help="The team."),
        click.option("--person", metavar="NAME", help="A person of the team."),
        short="Send a ticket to a team (and person).",
        doc="Send ticket NUMBER to a team, and optionally a person of it.\n\n"
            "\b\nExample:\n  switchflow ticket dispatch 261128000001 --to field_north "
            "--person wang")
_change("accept", lambda v: f"accepted by {v.assignee}",
        short="The team or person takes the ticket.",
        doc="Take ticket NUMBER (dispatched): it is yours unless a person was named.\n\n"
            "\b\nExample:\n  switchflow ticket accept 261128000001 --as wang")
_change("start", lambda v: "in progress",
        short="Work begins (a crew on site).",
        doc="Work on ticket NUMBER begins; for a repair this is the arrival time.\n\n"
            "\b\nExample:\n  switchflow ticket start 261128000001")
_change("note", lambda v: "note added",
        click.argument("text"),
        click.option("--public", is_flag=True,
                     help="The customer was told (counts as a response)."),
        short="Add a follow-up note (internal, or --public).",
        doc="Add a note to ticket NUMBER. An internal note never counts as a response "
            "to the customer; --public does.\n\n\b\nExample:\n"
            "  switchflow ticket note 261128000001 \"parts ordered\"\n"
            "  switchflow ticket note 261128000001 \"told the customer: Friday\" --public")
_change("contact", lambda v: "customer contact recorded",
        click.argument("text", required=False, default=""),
        short="Record a call back or message to the customer.",
        doc="Record that the customer was called back or written to (a response).\n\n"
            "\b\nExample:\n  switchflow ticket contact 261128000001 \"called, visit at 15:00\"")
_change("urge", lambda v: "urged",
        click.argument("text", required=False, default=""),
        short="Record a request to hurry the ticket.",
        doc="Record that someone (often the customer, calling again) asks to hurry it.\n\n"
            "\b\nExample:\n  switchflow ticket urge 261128000001 \"customer called again\"")
_change("pause", lambda v: f"paused ({v.paused_reason})",
        click.option("--reason", required=True, type=click.Choice(PAUSE_REASONS)),
        short="Stop the clocks: waiting for the customer or parts.",
        doc="Pause ticket NUMBER's clocks while it waits for the customer or for parts.\n\n"
            "\b\nExample:\n  switchflow ticket pause 261128000001 --reason waiting_parts")
_change("resume", lambda v: "resumed",
        short="End a pause.",
        doc="End ticket NUMBER's pause: its clocks run again.\n\n"
            "\b\nExample:\n  switchflow ticket resume 261128000001")
_change("return", lambda v: "returned to the dispatcher",
        click.option("--reason", required=True, help="Why it is sent back."),
        short="Send a ticket back to the dispatcher, with a reason.",
        doc="Send ticket NUMBER back to the dispatcher (status new), saying why.\n\n"
            "\b\nExample:\n  switchflow ticket return 261128000001 --reason \"not our area\"")
_change("resolve", lambda v: "resolved",
        click.option("--cause", required=True, type=click.Choice(CAUSES)),
        click.option("--note", required=True, help="What was found and done."),
        short="Resolve a ticket: its cause and what was done.",
        doc="Resolve ticket NUMBER with its cause and what was done.\n\n"
            "\b\nExample:\n  switchflow ticket resolve 261128000001 --cause hardware "
            "--note \"valve replaced\"")
_change("close", lambda v: "closed",
        click.option("--confirmed", is_flag=True, help="The customer confirmed the fix."),
        click.option("--followup", "followup_after", callback=_duration, metavar="DURATION",
                     help='Schedule the satisfaction follow-up call this long after ("1d").'),
        short="Close a resolved ticket (optionally schedule a follow-up).",
        doc="Close ticket NUMBER (resolved); --followup schedules the satisfaction call "
            "that the campaigns make.\n\n\b\nExample:\n"
            "  switchflow ticket close 261128000001 --confirmed --followup 1d")
_change("reopen", lambda v: f"reopened ({v.status})",
        click.option("--reason", required=True, help="Why it is reopened."),
        short="Reopen a resolved or closed ticket.",
        doc="Reopen ticket NUMBER (resolved or closed): back to its team, or to the "
            "dispatcher.\n\n\b\nExample:\n"
            "  switchflow ticket reopen 261128000001 --reason \"smell of gas again\"")


# ------------------------------------------------------------------ time limits


@ticket.command(short_help="Show a ticket's time limits (--explain: how they were reached).")
@click.argument("number")
@click.option("--explain", is_flag=True, help="Say how each deadline was reached.")
@role_option
@format_option
def sla(number: str, explain: bool, role: str, fmt: str) -> None:
    """Show ticket NUMBER's clocks (first response, update, resolve) as of now:
    the policy and calendar chosen, each deadline in local time, and with
    --explain the steps that led to it (business hours, pauses, holidays).

    \b
    Example:
      switchflow ticket sla 261128000001
      switchflow ticket sla --explain 261128000001
    """
    from store.tickets.sla import evaluate_ticket
    from store.tickets.views import as_json, local
    with store(role) as service:
        row = service.row(number)
        now = service.now()
        result = evaluate_ticket(row, service.policies, now)
    zone = result.timezone
    if fmt == "json":
        click.echo(json.dumps(as_json(result, zone), ensure_ascii=False, indent=2))
        return
    clocks = [[c.clock, str(c.cycle), c.state, f"{c.target_minutes} min",
               f"{c.elapsed_minutes:.0f} min", _when(local(c.warn_at, zone)),
               _when(local(c.deadline, zone)), _when(local(c.stopped_at, zone))]
              for c in result.clocks]
    header = ("clock", "cycle", "state", "target", "used", "warning at", "deadline", "stopped")
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(clocks)
        click.echo(out.getvalue().rstrip("\n"))
        return
    click.echo(f"ticket {number}: policy {result.policy} ({result.policy_version}), calendar "
               f"{result.calendar} ({result.calendar_version}), times in {zone}")
    click.echo(_table(header, clocks))
    if explain:
        click.echo("how:")
        for line in result.explanation:
            click.echo(f"  {line}")


@ticket.command(short_help="Recompute open tickets' time limits after a policy change.")
@who_option
def rebuild(who: str) -> None:
    """Recompute the time limits of every ticket not yet closed from its history,
    after the policy file ([paths] sla) or a calendar changed; each moved
    deadline is written to the ticket's audit log and listed here.

    \b
    Example:
      switchflow ticket rebuild
    """
    from store.tickets.sla import rebuild as recompute
    with store("admin") as service:
        done = recompute(service.policies, service.now(), f"rebuild:{who}",
                         service.write_transaction)
    for number, column, old, new in done.moved:
        click.echo(f"ticket {number}: {column.replace('_', ' ')} {old} -> {new}")
    click.echo(f"{done.tickets} tickets recomputed, {done.changed} changed")


@ticket.command(short_help="Fire due time-limit alarms, now and every INTERVAL.")
@click.option("--interval", type=click.FloatRange(1, 3600), default=30.0, show_default=True,
              help="Seconds between passes.")
@click.option("--once", is_flag=True, help="One pass, then exit.")
def watch(interval: float, once: bool) -> None:
    """Fire each time-limit warning and breach that has come due, exactly once
    (notify, raise the severity, reassign: as the policy says), then look
    again every INTERVAL seconds. Ctrl-C stops it. `switchflow serve` runs the
    same watcher; several may run at once.

    \b
    Example:
      switchflow ticket watch --interval 60
      switchflow ticket watch --once
    """
    from store.tickets.watcher import PassReport, run_watcher, watch_once

    def said(report: PassReport) -> None:
        for f in report.fired:
            notify = f", people told {_when(f.notify_at)}" if f.notify_at else ""
            click.echo(f"ticket {f.number}: {f.key} (due {_when(f.due_at)}): "
                       f"{', '.join(f.actions) or 'no action'}{notify}")
        if once or report.fired:
            click.echo(f"{report.looked_at} tickets looked at, {len(report.fired)} alarms fired")

    with store("admin") as service:
        if once:
            said(watch_once(service.policies, service.now(), zone=service.zone))
            return
        try:
            click.echo(f"watching tickets every {interval:g} s (Ctrl-C stops)")
            run_watcher(service.policies, interval, zone=service.zone, on_pass=said)
        except KeyboardInterrupt:
            click.echo("stopped")
