"""Opening an account for a new customer, and closing one once it is settled.

Opening: the agent takes down name, phone and supply address; the store
mints the account number, which the page shows large for the agent to read
to the caller; a button then hands the caller of the agent's current call
to the IVR (flows/set_pin.flow) with that account on the line, to set the
PIN privately. Closing: the account's bills, payments, contacts and open
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

from fsmod.control.link import ControlError
from panel.agent import actions
from panel.agent.actions import Refused
from panel.auth import Role, current_user, requires
from panel.context import panel_context
from panel.live.screenpop import desk
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
              status: int = 200, opened: Customer | None = None,
              handed: str = "", hand_error: str = "") -> tuple[str, int]:
    opened = opened or _opened(request.args.get("opened", ""))
    return render_template("accounts/new.html", form=form, error=error, field=field,
                           areas=supply_areas(), classes=CUSTOMER_CLASSES,
                           opened=opened, handed=handed, hand_error=hand_error), status


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


PIN_FLOW = "set_pin"      # flows/set_pin.flow


def _hand_to_pin_flow(account: str) -> str:
    """Hand the caller of the agent's current call to the PIN flow with `account`;
    what was done, or Refused saying why not."""
    ctx = panel_context()
    user = current_user()
    live = desk(ctx).live(user.agent) if user.agent else None
    pop = live.call if live is not None else None
    if pop is None:
        raise Refused("you have no call on your desk: the caller must be on a call you took "
                      "from the queue to be handed to the IVR", 409)
    pop = actions.own_call(live, pop.call_id)
    try:
        outcome = actions.hand_back(ctx.control, pop, PIN_FLOW, ctx.flows,
                                    ctx.settings.freeswitch.context, account=account)
    except ControlError as exc:
        raise Refused(f"FreeSWITCH did not answer: {exc}", 503) from None
    if not outcome.ok:
        raise Refused(outcome.message, outcome.status)
    return (f"The caller ({pop.caller}) is handed to the IVR to set the PIN of account "
            f"{account}; the call has left your desk.")


@bp.post("/accounts/<account>/hand-to-pin")
@requires(Role.AGENT)
def account_hand_to_pin(account: str) -> tuple[str, int]:
    """The caller of the agent's current call sets the new account's PIN in the IVR."""
    customer = _opened(account)
    if customer is None:
        return _new_page({}, f"no account {account!r}: open it first", "account", 404)
    if customer.pin_hash:
        return _new_page({}, opened=customer, status=409,
                         hand_error=f"account {account} has a PIN already: the IVR never "
                                    "replaces one")
    try:
        done = _hand_to_pin_flow(account)
    except Refused as refused:
        return _new_page({}, opened=customer, status=refused.outcome.status,
                         hand_error=refused.outcome.message)
    return _new_page({}, opened=customer, handed=done)


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
