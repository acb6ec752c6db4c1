"""What a flow may refer to outside itself.

The checker validates names against a Catalog: prompt keys per language,
lookups and functions registered in Python, back-office writes (`submit`),
ticket types, fax documents, campaign target sources, queues and the
project's other flows. ivrlang only defines the shape (and reads it from a
catalogue file's text, catalogfile.py); the engine and the prompt files fill
it in, so the language stays pure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .vtypes import Type


@dataclass(frozen=True)
class Param:
    """A parameter; `type` may be a tuple of the types it accepts."""

    name: str
    type: Type | tuple[Type, ...]
    required: bool = True
    doc: str = ""


@dataclass(frozen=True)
class LookupSig:
    """A named back-office query: `lookup c = customer(account, pin)`.

    `timeout_ms` None: the engine's default (setting engine.lookup_timeout).
    """

    name: str
    params: tuple[Param, ...]
    fields: dict[str, Type]
    can_miss: bool = True
    timeout_ms: int | None = None
    doc: str = ""
    field_docs: dict[str, str] = field(default_factory=dict)   # what each field holds


class _NoFallback:
    """The `fallback` of a function that has none: its failure fails the call."""

    def __repr__(self) -> str:
        return "NO_FALLBACK"


NO_FALLBACK = _NoFallback()


@dataclass(frozen=True)
class FunctionSig:
    """A pure function callable in expressions: `incident_active()`, `open(office)`.

    A parameter of type `calendar` takes the name of a calendar declared
    with `hours` in the flow header, not a variable.

    A registered function runs at most `timeout_ms` (None: the engine's
    default, engine.lookup_timeout). When it fails (raises, times out, returns
    the wrong type, is not registered), the flow reads `fallback` instead and
    the failure is logged; a function without one fails the call.
    """

    name: str
    params: tuple[Param, ...]
    returns: Type
    doc: str = ""
    timeout_ms: int | None = None
    fallback: object = NO_FALLBACK

    @property
    def has_fallback(self) -> bool:
        return self.fallback is not NO_FALLBACK


@dataclass(frozen=True)
class SubmitSig:
    """A write to the back office other than a ticket: `submit meter_reading(account, reading)`.

    `timeout_ms` None: the engine's own deadline for back-office writes.
    """

    name: str
    params: tuple[Param, ...]
    timeout_ms: int | None = None
    doc: str = ""


@dataclass(frozen=True)
class TicketField:
    name: str
    type: Type
    required: bool = False
    doc: str = ""


@dataclass(frozen=True)
class TicketType:
    name: str
    fields: tuple[TicketField, ...]
    default_severity: int = 3
    doc: str = ""

    def field(self, name: str) -> TicketField | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class FaxDocument:
    """A fax template and the values it needs."""

    name: str
    params: tuple[Param, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class TargetSource:
    """Where a campaign finds whom to call: `targets overdue(days: 30)`."""

    name: str
    params: tuple[Param, ...]
    fields: dict[str, Type]
    doc: str = ""
    field_docs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PublicCalendar:
    """A built-in table of public holidays and make-up working days: `holidays office: cn`.

    The engine knows the dates; the checker only needs the last day the
    table knows (`ends`), to warn before callers reach a year it lacks.
    """

    name: str
    ends: dt.date
    doc: str = ""


# The State Council publishes next year's public holidays in October or November,
# and the tables follow within weeks: from this day of the year, next year is due.
NEXT_YEAR_DUE = (12, 1)


def calendar_due(today: dt.date) -> dt.date:
    """The last day a table of public holidays must know on `today`.

    The end of next year from 1 December on; before that, the end of this
    year (next year's dates do not exist yet for most of the year).
    """
    year = today.year + (today >= dt.date(today.year, *NEXT_YEAR_DUE))
    return dt.date(year, 12, 31)


@dataclass
class Catalog:
    """Everything a flow can name that is defined outside it.

    A section left as None is not checked (an editor without the project's
    prompt files still gets every other check).
    """

    prompts: dict[str, set[str]] | None = None
    lookups: dict[str, LookupSig] = field(default_factory=dict)
    functions: dict[str, FunctionSig] = field(default_factory=dict)
    tickets: dict[str, TicketType] | None = None
    fax_documents: dict[str, FaxDocument] | None = None
    targets: dict[str, TargetSource] | None = None
    queues: set[str] | None = None
    submits: dict[str, SubmitSig] = field(default_factory=dict)
    queue_docs: dict[str, str] = field(default_factory=dict)   # what each queue is for
    flows: set[str] | None = None     # flows `goto flow` may name: the project's flows
    default_lang: str = "zh-CN"   # the language of a flow whose header has no `lang`
    # built-in tables of public holidays (`holidays office: cn`); None: names not checked
    public_calendars: dict[str, PublicCalendar] | None = None
    # the day the checker takes as today, to warn of a public table running out; None: no warning
    today: dt.date | None = None
    # library name -> its file (`use NAME`); None: `NAME.flow` beside the flow that uses it
    libraries: dict[str, str] | None = None

    def lang_of(self, declared: str | None) -> str:
        """A flow's language: the `lang` it declares, else this installation's default."""
        return declared or self.default_lang

    def prompt_keys(self, lang: str) -> set[str] | None:
        if self.prompts is None:
            return None
        return self.prompts.get(lang)


CALENDAR = "calendar"  # parameter type: the name of a calendar declared with `hours`

BUILTIN_FUNCTIONS: dict[str, FunctionSig] = {f.name: f for f in (
    FunctionSig("open", (Param("calendar", CALENDAR),), "bool",
                "true within the calendar's hours and not on its holidays "
                "(a make-up working day has a working day's hours)"),
    FunctionSig("now", (), "datetime", "the current local date and time"),
    FunctionSig("today", (), "date", "today's local date"),
    FunctionSig("len", (Param("value", "any"),), "number", "length of text or a list"),
    # conversions and text functions (engine/evaluation/builtins.py)
    FunctionSig("number", (Param("value", ("number", "text", "digits")),), "number",
                "digits or text read as a number: `number(reading)`"),
    FunctionSig("digits", (Param("value", ("digits", "text", "number")),), "digits",
                "text of 0-9, or a whole number of 0 or more, as digits"),
    FunctionSig("text", (Param("value", ("text", "digits", "number", "bool", "date", "time",
                                         "datetime", "none")),), "text",
                "a value written as text: 32, 96.5, 2026-11-23"),
    FunctionSig("first", (Param("value", ("text", "digits")), Param("count", "number")), "text",
                "the first COUNT characters (digits stay digits)"),
    FunctionSig("last", (Param("value", ("text", "digits")), Param("count", "number")), "text",
                "the last COUNT characters (digits stay digits): `last(account, 4)`"),
    FunctionSig("round", (Param("value", "number"), Param("places", "number", required=False)),
                "number", "rounded half up to PLACES decimals (default 0)"),
)}

# built-ins whose result has the type of their `value`: a slice of digits is digits
SAME_TYPE_AS_VALUE = frozenset({"first", "last"})

BUILTIN_VARIABLES: dict[str, Type] = {
    "caller": "text",     # the caller's number (caller ID), may be "anonymous"
    "called": "text",     # the dialled number
    "call_id": "text",    # the call's unique id
    "lang": "text",       # the call's language
    "key": "digits",      # the key last pressed in a menu ("" before any)
}
