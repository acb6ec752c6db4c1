"""What a new ticket starts with when the agent opens it from a call.

`?call=<call_id>` reads the call's stored record (its caller and the account
the caller keyed in); `?caller=&account=` (the screen-pop's values, for a
call still running and so not yet stored) fill in or override. The account
is matched against the store so the page can say whose it is; values that
are not a phone number or an account number are dropped, not trusted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from store.models.calls import CallRow
from store.models.customers import Customer

_CALL = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_PHONE = re.compile(r"\+?[0-9]{3,24}")
_ACCOUNT = re.compile(r"[0-9]{4,20}")


@dataclass(frozen=True)
class Prefill:
    call_id: str = ""
    caller: str = ""
    account: str = ""
    customer_name: str = ""      # the matched account's name, "" when none matched
    address: str = ""
    note: str = ""               # why a value was left out, for the agent


def _account_from(row: CallRow) -> str:
    try:
        collected = json.loads(row.body).get("collected") or {}
    except (ValueError, AttributeError):
        return ""
    value = collected.get("account") if isinstance(collected, dict) else None
    return str(value) if isinstance(value, str | int) and _ACCOUNT.fullmatch(str(value)) else ""


def prefill(call_id: str | None, caller: str | None, account: str | None) -> Prefill:
    call_id = (call_id or "").strip()
    notes = []
    stored_caller = stored_account = ""
    if call_id and not _CALL.fullmatch(call_id):
        notes.append("the call id in the link is not one; left out")
        call_id = ""
    if call_id:
        row = CallRow.get_or_none(CallRow.call_id == call_id)
        if row is not None:
            stored_caller, stored_account = row.caller, _account_from(row)
    caller = (caller or "").strip() or stored_caller
    if caller and not _PHONE.fullmatch(caller):
        notes.append(f"the caller {caller!r} is not a phone number; left out")
        caller = ""
    account = (account or "").strip() or stored_account
    if account and not _ACCOUNT.fullmatch(account):
        notes.append(f"the account {account!r} is not an account number; left out")
        account = ""
    customer = Customer.get_or_none(Customer.account == account) if account else None
    if account and customer is None:
        notes.append(f"no customer has account {account}")
    return Prefill(call_id, caller, account, customer.name if customer else "",
                   customer.address if customer else "", "; ".join(notes))
