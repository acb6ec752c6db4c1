"""Opening an account for a new customer, and closing one once it is settled.

Opening: the agent takes down name, phone and supply address; the store
mints the account number, which the page shows large for the agent to read
to the caller. Closing: the account's bills, payments, contacts and open
tickets, what must be settled (unpaid bills and their late fees as of
today), and a close button the store refuses, with the amount, while
anything is owed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from panel.auth import Role, current_user, requires
from panel.context import panel_context
from store.accounts_open import (
    AccountError,
    BadAccountInput,
    NewAccount,
    NotSettled,
    UnknownAccount,
    close_account,
    open_account,
    settlement,
    supply_areas,
)
from store.customerview import customer_view
from store.latefees import LateFeeRule
from store.models.customers import CUSTOMER_CLASSES, Customer
from store.models.tickets import TicketRow
from store.tickets.visibility import sees_confidential

bp = Blueprint("accounts", __name__, template_folder="templates")


def _zone() -> ZoneInfo:
    return ZoneInfo(panel_context().settings.engine.timezone)


def _today() -> dt.date:
    return panel_context().now().astimezone(_zone()).date()


def _rule() -> LateFeeRule:
    return LateFeeRule.from_settings(panel_context().settings)


def _opened(value: str) -> Customer | None:
    return Customer.get_or_none(Customer.account == value) if value.isdigit() else None


def _new_page(form: dict[str, str], error: str = "", field: str = "",
              status: int = 200) -> tuple[str, int]:
    opened = _opened(request.args.get("opened", ""))
    return render_template("accounts/new.html", form=form, error=error, field=field,
                           areas=supply_areas(), classes=CUSTOMER_CLASSES,
                           opened=opened), status


@bp.get("/accounts/new")
@requires(Role.AGENT)
def account_new() -> tuple[str, int]:
    return _new_page({"phone": request.args.get("caller", "")[:24],
                      "customer_class": "residential"})


@bp.post("/accounts/new")
@requires(Role.AGENT)
def account_open() -> Response | tuple[str, int]:
    form = request.form
    new = NewAccount(name=form.get("name", ""), phone=form.get("phone", ""),
                     address=form.get("address", ""), supply_area=form.get("supply_area", ""),
                     customer_class=form.get("customer_class", "residential"))
    try:
        opened = open_account(new, who=current_user().username, now=panel_context().now())
    except BadAccountInput as e:
        return _new_page(dict(form), str(e), e.field, 400)
    except AccountError as e:
        return _new_page(dict(form), str(e), "", 409)
    return redirect(url_for("accounts.account_new", opened=opened.account))


@bp.get("/accounts/close")
@requires(Role.AGENT)
def account_find() -> Response | tuple[str, int]:
    """The close page of the account typed in (the form on /accounts/new)."""
    account = request.args.get("account", "").strip()
    if not account.isdigit():
        return _new_page({}, f"{account!r} is not an account number", "account", 400)
    return redirect(url_for("accounts.account_close_page", account=account))


def _close_page(account: str, error: str = "", status: int = 200,
                done: bool = False) -> tuple[str, int]:
    try:
        owed = settlement(account, _today(), _rule())
    except UnknownAccount as e:
        return render_template("accounts/unknown.html", message=str(e)), 404
    view = customer_view(account, _today(), _rule(), _zone())
    if view is not None and not sees_confidential(str(current_user().role)):
        shown = [t.number for t in view.open_tickets]
        hidden = {n for (n,) in TicketRow.select(TicketRow.number)
                  .where(TicketRow.number.in_(shown), TicketRow.confidential == True)  # noqa: E712
                  .tuples()}
        view = dataclasses.replace(view, open_tickets=[t for t in view.open_tickets
                                                       if t.number not in hidden])
    return render_template("accounts/close.html", owed=owed, c=view, error=error,
                           done=done or request.args.get("done") == "1"), status


@bp.get("/accounts/<account>/close")
@requires(Role.AGENT)
def account_close_page(account: str) -> tuple[str, int]:
    return _close_page(account)


@bp.post("/accounts/<account>/close")
@requires(Role.AGENT)
def account_close(account: str) -> Response | tuple[str, int]:
    if not request.form.get("confirm"):
        return _close_page(account, "tick that the caller asked to close the account", 400)
    try:
        close_account(account, who=current_user().username, now=panel_context().now(),
                      today=_today(), rule=_rule())
    except UnknownAccount as e:
        return render_template("accounts/unknown.html", message=str(e)), 404
    except NotSettled as e:
        return _close_page(account, str(e), 409)
    except AccountError as e:
        return _close_page(account, str(e), 409)
    return redirect(url_for("accounts.account_close_page", account=account, done=1))
