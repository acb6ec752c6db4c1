"""What the shipped flows may name outside themselves: the gas company's catalogue.

These are declarations only (names, parameters, typed fields and what they
mean), the contract between the flows and the back office. The checker
validates every `lookup`, function call, `ticket`, `fax`, campaign `targets`
and `queue` in a flow against them; the implementations (store queries, HTTP
calls to the back-office system, fax templates) are registered elsewhere
under the same names.

Units and conventions used by every field below:

* gas volumes are cubic metres (m³), money is yuan (CNY) with two decimals;
* dates and times are local to the flow's time zone (Asia/Shanghai);
* fields documented as "a code" carry a fixed English code, which flows
  compare against (`c.meter_status == "fault"`); fields named `*_name` carry
  the text to speak, in the flow's language, as the back office stores it;
* phone numbers are `text` (a caller ID may be withheld or carry a prefix),
  account and application numbers are `digits` (keyed in by callers).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from ivrlang.catalog import (
    Catalog,
    FaxDocument,
    FunctionSig,
    LookupSig,
    Param,
    TargetSource,
    TicketField,
    TicketType,
)
from ivrlang.vtypes import BOOL, DATE, DATETIME, DIGITS, DURATION, LIST, NUMBER, TEXT

# ---------------------------------------------------------------- lookups

CUSTOMER_FIELDS = {
    "account": DIGITS,              # 用户号 (customer account number)
    "name": TEXT,                   # 户名, person or organisation
    "address": TEXT,                # 用气地址 (supply address)
    "phone": TEXT,                  # registered contact number
    "customer_class": TEXT,         # a code: residential | commercial | industrial | public
    "large_account": BOOL,          # looked after by an account manager (大客户)
    "meter_type": TEXT,             # a code: mechanical | ic_card | smart
    "month_usage": NUMBER,          # m³ billed this month
    "last_month_usage": NUMBER,     # m³ billed last month
    "year_usage": NUMBER,           # m³ used this tier year, for tiered pricing
    "price_tier": NUMBER,           # tier of the tiered (阶梯) price now applied: 1, 2 or 3
    "amount_due": NUMBER,           # yuan on the current bill
    "due_date": DATE,               # last day to pay the current bill without a late fee
    "arrears": NUMBER,              # yuan overdue from earlier bills, late fees excluded
    "arrears_months": NUMBER,       # how many bills are overdue
    "late_fee": NUMBER,             # yuan of late fees (滞纳金) accrued so far
    "balance": NUMBER,              # yuan prepaid (预存) or left on an IC-card meter
    "meter_reading": NUMBER,        # m³ shown at the last reading
    "last_reading_date": DATE,      # date of the last meter reading (抄表日)
    "next_reading_date": DATE,      # planned date of the next reading
    "meter_status": TEXT,           # a code: normal | inspection_due | fault | suspended
    "meter_inspection_due": DATE,   # end of the meter's statutory verification period
}

APPLICATION_FIELDS = {
    "app_no": DIGITS,               # 受理编号
    "account": DIGITS,              # account it belongs to, when one exists yet
    "kind": TEXT,                   # a code: new_connection | alteration | relocation | closure
    "kind_name": TEXT,              # 居民开户通气, 管线改造 ... as spoken
    "submitted": DATE,              # date the application was accepted
    "stage": TEXT,                  # a code: accepted | survey | design | approval |
                                    #   construction | inspection | connection | completed
    "stage_name": TEXT,             # the stage as spoken
    "approval": TEXT,               # a code: pending | approved | rejected
    "approval_note": TEXT,          # reason given with a rejection
    "connection_scheduled": BOOL,   # a gas-connection (通气) date has been fixed
    "connection_date": DATE,        # that date; meaningless unless connection_scheduled
}

INTERRUPTION_FIELDS = {
    "area_name": TEXT,              # the supply area the postcode lies in, as spoken
    "planned": NUMBER,              # planned interruptions starting in the next 7 days
    "starts_at": DATETIME,          # the earliest of them: start
    "ends_at": DATETIME,            # ... and planned restoration
    "reason": TEXT,                 # ... and why (mains work, meter replacement ...), as spoken
    "scope": TEXT,                  # ... and which streets / estates, as spoken
}

TICKET_PROGRESS_FIELDS = {
    "ticket_no": DIGITS,            # 工单号
    "type": TEXT,                   # a ticket type name (repair, leak_report ...)
    "type_name": TEXT,              # the type as spoken
    "status": TEXT,                 # a code: open | dispatched | on_site | resolved | closed
    "status_name": TEXT,            # the status as spoken
    "created": DATETIME,            # when the ticket was opened
    "has_eta": BOOL,                # a visit time has been agreed
    "eta": DATETIME,                # that time; meaningless unless has_eta
}

LOOKUPS = (
    LookupSig(
        "customer",
        (Param("account", DIGITS), Param("pin", DIGITS)),
        CUSTOMER_FIELDS,
        doc="The customer's account, bill and meter, after the caller proves it is "
            "theirs with the account number and the 6-digit service PIN (查询密码). "
            "Not found when the account does not exist or the PIN is wrong (the two "
            "are not told apart, on purpose).",
    ),
    LookupSig(
        "application",
        (Param("number", DIGITS),),
        APPLICATION_FIELDS,
        doc="Where a service application (new connection, alteration, meter "
            "relocation, account closure) is in its process, its approval result and "
            "the gas-connection date. `number` is the application number printed on "
            "the acceptance slip, or an account number (then the latest application "
            "on that account).",
    ),
    LookupSig(
        "interruptions",
        (Param("area", DIGITS),),
        INTERRUPTION_FIELDS,
        doc="Planned maintenance and supply interruptions in the area of a 6-digit "
            "postcode, over the next 7 days. Not found when the postcode is outside "
            "the supply territory; `planned` is 0 when nothing is planned.",
    ),
    LookupSig(
        "ticket_progress",
        (Param("phone", TEXT),),
        TICKET_PROGRESS_FIELDS,
        doc="The most recent repair or leak ticket opened with this callback number "
            "and not closed more than 7 days ago: for callers following up a report.",
    ),
)

# ---------------------------------------------------------------- functions
# Functions run while the caller waits in silence, at the start of most calls:
# each gets half a second. A failing one reads as its fallback (logged), so
# an unreachable incident desk means "no incident", never a dropped caller.
# incident_since has none: nothing true can stand in for a time, and it is
# only read once incident_active() said yes.

FUNCTION_TIMEOUT_MS = 500

FUNCTIONS = (
    FunctionSig(
        "incident_active", (), BOOL,
        doc="True while the emergency desk has declared a known incident (a leak, a "
            "burst main, an unplanned outage) that is drawing many calls.",
        timeout_ms=FUNCTION_TIMEOUT_MS, fallback=False,
    ),
    FunctionSig(
        "incident_area", (), TEXT,
        doc="Where the declared incident is (district, street, estate), as spoken; "
            "empty when none is declared.",
        timeout_ms=FUNCTION_TIMEOUT_MS, fallback="",
    ),
    FunctionSig(
        "incident_since", (), DATETIME,
        doc="When the declared incident was reported.",
        timeout_ms=FUNCTION_TIMEOUT_MS,
    ),
    FunctionSig(
        "can_call_back", (Param("phone", TEXT),), BOOL,
        doc="True when the number can be called back: not withheld, not anonymous, "
            "and a mobile or fixed-line number in the national numbering plan.",
        timeout_ms=FUNCTION_TIMEOUT_MS, fallback=False,
    ),
)

# ---------------------------------------------------------------- tickets
# default severities follow the service brief: 1 resolve in 2 h, 2 in 4 h,
# 3 in 3 days, 4 in 7 days.

_CALLBACK = TicketField("callback", TEXT, required=True)   # number to call the customer on
_ACCOUNT = TicketField("account", DIGITS)
_ADDRESS = TicketField("address", TEXT)
_RECORDING = TicketField("recording", TEXT)                 # a `record` statement's result
_NOTE = TicketField("note", TEXT)
_SOURCE = TicketField("source", TEXT)                       # which line or campaign opened it

TICKETS = (
    TicketType(
        "leak_report",
        (_CALLBACK, _ADDRESS, _ACCOUNT, _SOURCE, _NOTE,
         TicketField("known_incident", BOOL)),
        default_severity=1,
        doc="Gas leak or smell of gas (燃气泄漏): dispatch an emergency crew at once.",
    ),
    TicketType(
        "repair",
        (_CALLBACK, _ADDRESS, _ACCOUNT, _SOURCE, _RECORDING, _NOTE,
         TicketField("category", TEXT)),   # a code: meter | pipe | appliance | no_gas
        default_severity=2,
        doc="Fault in a meter, pipe, valve or appliance connection, or no / low gas (报修).",
    ),
    TicketType(
        "complaint",
        (_CALLBACK, _ACCOUNT, _SOURCE, _RECORDING, _NOTE,
         TicketField("category", TEXT)),   # a code: service | billing | conduct | works | other
        default_severity=3,
        doc="A complaint (投诉); with `confidential`, only privileged roles read it.",
    ),
    TicketType(
        "suggestion",
        (_CALLBACK, _SOURCE, _RECORDING, _NOTE),
        default_severity=4,
        doc="A suggestion (建议) to the company.",
    ),
    TicketType(
        "account_change",
        (_CALLBACK, _ACCOUNT, _ADDRESS, _SOURCE, _NOTE,
         TicketField("kind", TEXT, required=True)),  # a code: open | close | transfer | details
        default_severity=3,
        doc="Account opening, closing, change of owner (过户) or of details.",
    ),
    TicketType(
        "appointment",
        (_CALLBACK, _ACCOUNT, _ADDRESS, _SOURCE, _NOTE,
         TicketField("kind", TEXT, required=True),   # a code: safety_check | meter_check |
                                                     #   installation | relocation
         TicketField("preferred_date", DATE)),
        default_severity=3,
        doc="A home visit to book: safety inspection (安检), meter check, installation.",
    ),
    TicketType(
        "callback",
        (_CALLBACK, _ACCOUNT, _SOURCE, _NOTE,
         TicketField("reason", TEXT)),
        default_severity=3,
        doc="Call the customer back (no agent was free, after hours, campaign follow-up).",
    ),
    TicketType(
        "payment_check",
        (_CALLBACK, TicketField("account", DIGITS, required=True), _SOURCE, _NOTE,
         TicketField("arrears", NUMBER)),
        default_severity=3,
        doc="The customer says an overdue bill is paid: reconcile payments, stop reminders.",
    ),
    TicketType(
        "survey_followup",
        (_CALLBACK, _SOURCE, _RECORDING, _NOTE,
         TicketField("ticket_no", DIGITS, required=True),   # the surveyed ticket
         TicketField("score", NUMBER, required=True)),      # 1 (very unhappy) .. 5
        default_severity=3,
        doc="A satisfaction survey came back unhappy: a supervisor follows it up.",
    ),
)

# ---------------------------------------------------------------- fax documents

_ACCOUNT_PARAM = Param("account", DIGITS)

FAX_DOCUMENTS = (
    FaxDocument(
        "usage_statement",
        (_ACCOUNT_PARAM, Param("months", NUMBER, required=False)),
        doc="Gas usage and billing statement (用气账单): this month's, or with `months` "
            "the last N months (at most 12), most recent first.",
    ),
    FaxDocument("arrears_statement", (_ACCOUNT_PARAM,),
                doc="Overdue bills and late fees (欠费及滞纳金明细), with how fees were computed."),
    FaxDocument("payment_reminder", (_ACCOUNT_PARAM,),
                doc="Payment reminder notice (缴费通知单): amount, due date, ways to pay."),
    FaxDocument("price_list", doc="Current gas prices (气价表), tiered residential and "
                                  "non-residential."),
    FaxDocument("policies", doc="Policies and discounts (政策与优惠): low-income relief, "
                                "heating-season prices, payment channels."),
    FaxDocument("fee_schedule", doc="Fees and rules (收费标准): connection, alteration, "
                                    "meter relocation, reconnection."),
    FaxDocument("service_commitments", doc="Service commitments (服务承诺): response and "
                                           "repair times, complaint handling."),
    FaxDocument("rule_change_notice", (Param("notice", TEXT),),
                doc="The full text of a rule-change notice, by its notice id."),
)

# ---------------------------------------------------------------- campaign targets

_TARGET_BASE = {
    "account": DIGITS,
    "name": TEXT,
    "phone": TEXT,                  # the number dialled
}

TARGETS = (
    TargetSource(
        "overdue_small",
        (Param("days", NUMBER), Param("max_arrears", NUMBER, required=False)),
        {**_TARGET_BASE, "arrears": NUMBER, "late_fee": NUMBER, "overdue_days": NUMBER,
         "due_date": DATE},
        doc="Residential and small commercial customers with a bill overdue at least "
            "`days` days and arrears up to `max_arrears` yuan; not reminded in the "
            "last 7 days; no open payment_check ticket.",
    ),
    TargetSource(
        "overdue_large",
        (Param("days", NUMBER), Param("min_arrears", NUMBER, required=False)),
        {**_TARGET_BASE, "contact": TEXT, "arrears": NUMBER, "late_fee": NUMBER,
         "overdue_days": NUMBER, "due_date": DATE, "account_manager": TEXT},
        doc="Large (account-managed) customers with a bill overdue at least `days` "
            "days and arrears of at least `min_arrears` yuan. `name` is the "
            "organisation, `contact` the person in charge of gas payments.",
    ),
    TargetSource(
        "interruption_customers",
        (Param("ahead", DURATION),),
        {**_TARGET_BASE, "area_name": TEXT, "scope": TEXT, "reason": TEXT,
         "starts_at": DATETIME, "ends_at": DATETIME},
        doc="Customers in the area of every planned supply interruption starting "
            "within `ahead`, not yet notified of it.",
    ),
    TargetSource(
        "rule_change_affected",
        (Param("notice", TEXT, required=False),),
        {**_TARGET_BASE, "notice_id": TEXT, "notice_title": TEXT, "summary": TEXT,
         "effective_date": DATE},
        doc="Customers affected by a published rule or price change (the class of "
            "customer it applies to), not yet told. Without `notice`, every notice "
            "published and still to announce.",
    ),
    TargetSource(
        "closed_tickets",
        (Param("within", DURATION), Param("types", LIST, required=False)),
        {**_TARGET_BASE, "ticket_no": DIGITS, "type": TEXT, "type_name": TEXT,
         "opened_at": DATETIME, "closed_at": DATETIME},
        doc="Tickets closed within the last `within`, of the given ticket types "
            "(all when omitted), not yet surveyed; confidential complaints excluded.",
    ),
)

# ---------------------------------------------------------------- queues
# mod_callcenter queues; the agent groups and their skills live in conf/.

QUEUES = {
    "general": "general enquiries (综合服务)",
    "billing": "bills, payments, arrears and late fees",
    "emergency": "gas leaks and emergencies, staffed 24 h",
    "repair": "repair reports and follow-ups",
    "complaints": "complaints; skill `confidential` for privileged agents",
    "business": "account opening and closing, changes, appointments",
    "large_accounts": "account managers of large customers",
}


def build_catalog(prompts: dict[str, set[str]] | None = None,
                  default_lang: str = "zh-CN") -> Catalog:
    """The catalogue the shipped flows are checked against.

    `prompts` maps a language (zh-CN) to its prompt keys; None leaves prompt
    keys unchecked. `prompt_keys()` reads them from the prompts/ folder.
    `default_lang` (settings: engine.default_lang) is the language of a flow
    whose header has no `lang`.
    """
    return Catalog(
        default_lang=default_lang,
        prompts=prompts,
        lookups={s.name: s for s in LOOKUPS},
        functions={f.name: f for f in FUNCTIONS},
        tickets={t.name: t for t in TICKETS},
        fax_documents={d.name: d for d in FAX_DOCUMENTS},
        targets={t.name: t for t in TARGETS},
        queues=set(QUEUES),
    )


def prompt_keys(folder: str | Path) -> dict[str, set[str]]:
    """The prompt keys of every `LANG.toml` catalogue in a folder, by language."""
    found: dict[str, set[str]] = {}
    for path in sorted(Path(folder).glob("*.toml")):
        with path.open("rb") as f:
            found[path.stem] = set(tomllib.load(f))
    return found
