"""`switchflow fax`: draw fax documents, queue fax jobs, follow them, read the fax inbox.

`render` writes a document as the fax machine gets it (.tiff, TIFF class F),
or as a preview (.pdf, .png), from the store's data; `send` queues a job that
`switchflow serve`'s fax sender delivers (busy and unanswered numbers are
called again by [fax]'s policy, and each call's result is kept); `list`,
`show`, `retry`, `cancel` follow the jobs; `inbox` lists faxes received on
[fax] number. Times are local, with their zone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from .project import cli_settings

STATES = ("queued", "sending", "retry_wait", "delivered", "failed", "cancelled")


@contextlib.contextmanager
def _store(settings: Any) -> Iterator[None]:
    """The settings' database, connected and at this schema; every problem one line."""
    from .db import ready

    with ready(settings):
        yield


def _params(account: str | None, months: int | None, notice: str | None,
            pairs: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r}: expected NAME=VALUE", param_hint="--param")
        values[name.strip()] = value.strip()
    if account:
        values["account"] = account
    if months is not None:
        values["months"] = months
    if notice:
        values["notice"] = notice
    return values


def _document(settings: Any, name: str) -> None:
    from engine.fax.documents import SOURCES
    from ivrlang.suggest import did_you_mean

    if name not in SOURCES:
        hint = did_you_mean(name, SOURCES) or "documents: " + ", ".join(sorted(SOURCES))
        raise click.BadParameter(f"no fax document {name!r}; {hint}", param_hint="DOC")


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown"


def _local(settings: Any, when: dt.datetime | None) -> str:
    if when is None:
        return "-"
    from engine.calendars.clock import get_zone

    return when.astimezone(get_zone(settings.engine.timezone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def _doc_options(f):
    f = click.option("--param", "pairs", multiple=True, metavar="NAME=VALUE",
                     help="Another value the document takes (repeatable).")(f)
    f = click.option("--notice", metavar="ID", help="The notice, for rule_change_notice.")(f)
    f = click.option("--months", type=click.IntRange(1, 12), metavar="N",
                     help="Months of usage, for usage_statement (1..12, default 1).")(f)
    return click.option("--account", "-a", metavar="A",
                        help="The account, for statements and reminders.")(f)


@click.group(short_help="Fax-back: render documents, send and follow fax jobs, inbox.")
def fax() -> None:
    """Fax-back: documents from the store, fax jobs with retries, received faxes.

    \b
    Examples:
      switchflow fax render arrears_statement --account 12345678 --out a.pdf
      switchflow fax send price_list --to 02187654321
      switchflow fax list --state failed
      switchflow fax show 42
    """


@fax.command(short_help="Draw a document as .tiff (the fax), .pdf or .png.")
@click.argument("document", metavar="DOC")
@_doc_options
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write: .tiff (TIFF class F, as faxed), .pdf or .png.")
def render(document: str, account: str | None, months: int | None, notice: str | None,
           pairs: tuple[str, ...], out: Path) -> None:
    """Draw DOC with the store's data into --out, by its extension.

    \b
    Example:
      switchflow fax render usage_statement --account 12345678 --months 12 --out u.png
      switchflow fax render price_list --out price_list.tiff
    """
    from engine.fax.documents import NEEDS_STORE
    from engine.fax.renderer import FORMATS, FaxRenderer, pages_in
    from engine.seams.documents import RenderError

    settings = cli_settings()
    _document(settings, document)
    if out.suffix.lower() not in FORMATS:
        raise click.BadParameter(f"{out}: expected a .tiff, .pdf or .png file name",
                                 param_hint="--out")
    values = _params(account, months, notice, pairs)
    renderer = FaxRenderer.from_settings(settings)
    context = _store(settings) if document in NEEDS_STORE else contextlib.nullcontext()
    with context:
        try:
            path = renderer.render_to(document, values, settings.engine.default_lang, out)
        except RenderError as exc:
            raise click.ClickException(str(exc)) from None
    pages = pages_in(path) if path.suffix.lower() in (".tif", ".tiff") else None
    click.echo(f"wrote {path}" + (f" ({pages} page{'s' if pages != 1 else ''}, TIFF class F "
                                  f"{settings.fax.compression})" if pages else ""))


@fax.command(short_help="Queue a document for a fax number.")
@click.argument("document", metavar="DOC")
@click.option("--to", "number", required=True, metavar="NUMBER", help="The fax number.")
@_doc_options
@click.option("--as", "who", default=_login, show_default="login name", metavar="NAME",
              help="Who asked for it (kept with the job).")
def send(document: str, number: str, account: str | None, months: int | None,
         notice: str | None, pairs: tuple[str, ...], who: str) -> None:
    """Queue DOC for NUMBER; `switchflow serve` sends it and retries by [fax]'s policy.

    \b
    Example:
      switchflow fax send price_list --to 02187654321
      switchflow fax send arrears_statement --account 12345678 --to 02187654321
    """
    from engine.fax.policy import FaxPolicy
    from store.faxjobs import FaxQueueError, job_detail, submit_job

    settings = cli_settings()
    _document(settings, document)
    values = _params(account, months, notice, pairs)
    with _store(settings):
        try:
            job = submit_job(document, values, number.strip(), FaxPolicy.from_settings(settings),
                             dt.datetime.now(dt.UTC), lang=settings.engine.default_lang,
                             requested_by=f"cli:{who}")
        except FaxQueueError as exc:
            raise click.BadParameter(str(exc), param_hint="--to") from None
        view = job_detail(job)
    click.echo(f"fax job {job} queued: {document} to {number}, first call "
               f"{_local(settings, view.next_at)}")


def _job_row(settings: Any, j: Any) -> dict[str, Any]:
    return {"id": j.id, "document": j.document, "to": j.destination, "state": j.state,
            "dials": f"{j.dials}/{j.max_dials}", "tries": f"{j.tries}/{j.max_tries}",
            "next": _local(settings, j.next_at), "reason": j.reason}


@fax.command(name="list", short_help="Fax jobs, newest first.")
@click.option("--state", type=click.Choice(STATES), help="Only jobs in this state.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def list_(state: str | None, limit: int, fmt: str) -> None:
    """The latest fax jobs: state, dials and tries of their limits, next call, why.

    \b
    Example:
      switchflow fax list
      switchflow fax list --state failed --format json
    """
    from store.faxjobs import list_jobs

    settings = cli_settings()
    with _store(settings):
        rows = [_job_row(settings, j) for j in list_jobs(state, limit)]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("no fax jobs" + (f" {state}" if state else ""))
        return
    _table(rows)


def _table(rows: list[dict[str, Any]]) -> None:
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in keys}
    click.echo("  ".join(k.ljust(widths[k]) for k in keys).rstrip())
    for r in rows:
        click.echo("  ".join(str(r[k]).ljust(widths[k]) for k in keys).rstrip())


@fax.command(short_help="One fax job and every call made for it.")
@click.argument("job", type=click.IntRange(1), metavar="ID")
def show(job: int) -> None:
    """The job, then each call: when, outcome, hangup cause, T.30 result, pages.

    \b
    Example:
      switchflow fax show 12
    """
    from store.faxjobs import job_detail

    settings = cli_settings()
    with _store(settings):
        j = job_detail(job)
    if j is None:
        raise click.BadParameter(f"no fax job {job}", param_hint="ID")
    click.echo(f"fax job {j.id}: {j.document} to {j.destination} — {j.state}")
    click.echo(f"  values:    {json.dumps(j.params, ensure_ascii=False)}")
    click.echo(f"  file:      {j.file or '(not drawn yet)'}" + (f", {j.pages} pages" if j.file
                                                                  else ""))
    click.echo(f"  dials:     {j.dials} of {j.max_dials}; tries {j.tries} of {j.max_tries}"
               + (f"; next try with {', '.join(j.fallbacks)}" if j.fallbacks else ""))
    click.echo(f"  queued:    {_local(settings, j.created_at)} by {j.requested_by or '-'}"
               + (f" (call {j.call_id})" if j.call_id else ""))
    click.echo(f"  next call: {_local(settings, j.next_at)}; gives up "
               f"{_local(settings, j.expires_at)}")
    click.echo(f"  reason:    {j.reason}")
    for a in j.attempts:
        fax_part = "" if a.fax_result_code is None else (
            f" fax {'ok' if a.fax_success else 'failed'} {a.fax_result_code} "
            f"{a.fax_result_text!r}, {a.pages_sent}/{a.pages_total} pages")
        click.echo(f"  #{a.number} {_local(settings, a.started_at)} {a.outcome}"
                   + (f" ({a.hangup_cause})" if a.hangup_cause else "") + fax_part
                   + (f" [{a.fallbacks}]" if a.fallbacks else "") + f": {a.reason}")


@fax.command(short_help="Send a job again now (a failed one with fresh counters).")
@click.argument("job", type=click.IntRange(1), metavar="ID")
def retry(job: int) -> None:
    """Send job ID again now; a failed job starts with fresh counters.

    \b
    Example:
      switchflow fax retry 12
    """
    from engine.fax.policy import FaxPolicy
    from store.faxjobs import FaxQueueError, retry_job

    settings = cli_settings()
    with _store(settings):
        try:
            view = retry_job(job, dt.datetime.now(dt.UTC), FaxPolicy.from_settings(settings))
        except FaxQueueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"fax job {job} queued again ({view.document} to {view.destination})")


@fax.command(short_help="Stop a job that has not been delivered.")
@click.argument("job", type=click.IntRange(1), metavar="ID")
def cancel(job: int) -> None:
    """Stop job ID: no further call is made for it.

    \b
    Example:
      switchflow fax cancel 12
    """
    from store.faxjobs import FaxQueueError, cancel_job

    settings = cli_settings()
    with _store(settings):
        try:
            cancel_job(job, dt.datetime.now(dt.UTC))
        except FaxQueueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"fax job {job} cancelled")


@fax.command(short_help="Faxes received on the fax number, newest first.")
@click.option("--caller", metavar="NUMBER", help="Only faxes from this number.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
def inbox(caller: str | None, limit: int) -> None:
    """Received faxes: when, from which number, pages, result, where the file is.

    \b
    Example:
      switchflow fax inbox
      switchflow fax inbox --caller 02187654321
    """
    from store.faxjobs.inbox import list_received

    settings = cli_settings()
    with _store(settings):
        rows = [{"id": r.id, "received": _local(settings, r.received_at), "from": r.caller,
                 "pages": r.pages, "result": "ok" if r.success else
                 f"failed {r.result_code} {r.result_text}", "file": r.path}
                for r in list_received(limit, caller)]
    if not rows:
        click.echo("no faxes received")
        return
    _table(rows)
