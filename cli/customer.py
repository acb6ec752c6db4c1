"""`switchflow customer show ACCOUNT`: a customer as an agent sees them."""

from __future__ import annotations

from collections.abc import Iterable

import click

from .db import opened
from .project import cli_settings, local_today

CLASS_NAMES = {"residential": "居民", "commercial": "商业", "industrial": "工业",
               "public": "公共服务"}


@click.group(short_help="Show a customer's account, bills, usage and history.")
def customer() -> None:
    """Customers in the store ([store] url or SWITCHFLOW_DB).

    \b
    Example:
      switchflow customer show 12345678
      switchflow customer show 12345678 --format json
    """


@customer.command(short_help="Everything an agent needs about one account.")
@click.argument("account")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="table for people, json for programs.")
def show(account: str, fmt: str) -> None:
    """Show ACCOUNT: class, status, address and supply area, phones, meter and
    last reading, balance, amount due, arrears with late fees (by the rule in
    settings [store], as of today), the last 12 months of usage, bills,
    payments, applications, open tickets and recent contacts.

    \b
    Example:
      switchflow customer show 12345678
      switchflow customer show 60000042 --format json
    """
    from engine.calendars.clock import get_zone
    from store.customerview import customer_view
    from store.latefees import LateFeeRule
    from store.schema import current_version, pending

    if not account.isdigit():
        raise click.BadParameter(f"{account!r} is not an account number (digits)",
                                 param_hint="ACCOUNT")
    settings = cli_settings()
    with opened(settings, announce=fmt != "json") as database:
        if current_version(database) is None:
            raise click.ClickException("this database has no switchflow schema: "
                                       "run `switchflow db init` and `db seed-demo`")
        if pending(database):
            raise click.ClickException("the database's schema is not up to date: "
                                       "run `switchflow db migrate` first")
        view = customer_view(account, local_today(settings), LateFeeRule.from_settings(settings),
                             get_zone(settings.engine.timezone))
    if view is None:
        raise click.ClickException(f"no customer with account {account}")
    if fmt == "json":
        click.echo(view.to_json())
    else:
        _table(view)


def _money(value) -> str:
    return f"{value:,.2f}"


def _heading(text: str) -> None:
    click.echo()
    click.echo(click.style(text, bold=True))


def _section(title: str, lines: Iterable[str]) -> None:
    """A heading, then its lines indented, or `none`."""
    _heading(title)
    empty = True
    for line in lines:
        click.echo(f"  {line}")
        empty = False
    if empty:
        click.echo("  none")


def _table(v) -> None:
    status = v.status if v.status == "active" else click.style(v.status, fg="red", bold=True)
    large = ", large account (大客户)" if v.large_account else ""
    click.echo(click.style(f"{v.account}  {v.name}", bold=True))
    click.echo(f"  class     {v.customer_class} ({CLASS_NAMES.get(v.customer_class, '')})"
               f"{large}; status {status}")
    click.echo(f"  address   {v.address}")
    click.echo(f"  area      {v.area_postcode} {v.area_name or '(outside the supply areas)'}")
    click.echo(f"  phones    {', '.join(v.phones) or '-'}")
    if v.meter:
        m = v.meter
        read = (f"{m.last_reading:.1f} m³ on {m.last_reading_on} ({m.last_reading_source})"
                if m.last_reading is not None else "no reading")
        click.echo(f"  meter     {m.number} {m.meter_type}, {m.status}; last reading {read}; "
                   f"next {m.next_reading or '-'}; verification due {m.inspection_due or '-'}")
    _heading(f"Money (as of {v.as_of})")
    click.echo(f"  balance     {_money(v.balance)} yuan")
    click.echo(f"  amount due  {_money(v.amount_due)} yuan"
               + (f", due {v.due_date}" if v.amount_due else ""))
    owed = click.style(_money(v.arrears), fg="red") if v.arrears else _money(v.arrears)
    click.echo(f"  arrears     {owed} yuan in {len(v.overdue)} bill(s), late fees "
               f"{_money(v.late_fee)} yuan ({v.late_fee_rule})")
    for o in v.overdue:
        click.echo(f"    {o.month:%Y-%m}  {_money(o.amount):>12}  due {o.due_date}  "
                   f"{o.days_overdue} days overdue  late fee {_money(o.late_fee)}")
    _heading(f"Usage, last {len(v.usage)} months: {v.usage_12_months:.1f} m³ "
             f"(this year {v.year_usage:.1f} m³)")
    for u in v.usage:
        click.echo(f"  {u.month:%Y-%m}  {u.volume:>10.1f} m³  tier {u.price_tier}")
    _heading("Bills")
    for b in v.bills:
        state = "paid" if b.paid else click.style("unpaid", fg="red")
        fee = f"  late fee charged {_money(b.late_fee_charged)}" if b.late_fee_charged else ""
        click.echo(f"  {b.month:%Y-%m}  {_money(b.amount):>12}  due {b.due_date}  {state}{fee}")
    _section("Payments", (
        f"{p.paid_on}  {_money(p.amount):>12}  {p.method}"
        + (f" for {p.bill_month:%Y-%m}" if p.bill_month else "") for p in v.payments or ()))
    _section("Applications", (
        f"{a.number}  {a.kind_name} ({a.kind}), submitted {a.submitted}: "
        f"{a.stage_name} ({a.stage}), {a.approval}"
        + (f" ({a.approval_note})" if a.approval_note else "")
        + (f", gas on {a.connection_date}" if a.connection_date else "")
        for a in v.applications))
    _section("Open tickets", (
        f"{t.number}  {t.type}  severity {t.severity}  {t.status}  "
        f"opened {t.created:%Y-%m-%d %H:%M}" for t in v.open_tickets))
    _section("Recent contacts", (
        f"{k.at:%Y-%m-%d %H:%M}  {k.channel:<7} {k.direction:<3} {k.summary}"
        + (f" agent {k.agent}" if k.agent else "") for k in v.contacts))
    _section("Back-office writes from calls", (
        f"{w.at:%Y-%m-%d %H:%M}  {w.reference or '-'}  {w.name}  "
        + ", ".join(f"{k}={val}" for k, val in w.values.items() if k != "account")
        + f"  (flow {w.flow})" for w in v.writes))
    _section("Survey answers", (
        f"{a.at:%Y-%m-%d %H:%M}  {a.campaign}  "
        f"{f'ticket {a.ticket_no}' if a.ticket_no else 'no ticket'}  {a.rating}/5"
        + (f", comment {a.comment}" if a.comment else "") for a in v.surveys))
    _section("Notices acknowledged", (f"{n.at:%Y-%m-%d %H:%M}  {n.notice}" for n in v.notices))
