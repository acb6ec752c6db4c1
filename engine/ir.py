"""The compiled IR, typed: what ivrlang's compiler emits and the actions read.

The IR is JSON (so `switchflow ir` can print it and it can be cached), hence
TypedDicts rather than classes. Durations are milliseconds; every option has
its default filled in by the compiler.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

Expr = dict[str, Any]          # {"lit"}, {"var"}, {"get"}, {"call"}, {"bin"} … see evaluation.expr
Fmt = dict[str, Any]           # {"fmt": [text | {"expr", "filters"}]}


class Sentence(TypedDict):
    """A `prompt "…"` written in the flow: like a `say`, one sentence per language."""

    text: Fmt                  # in the flow's language
    texts: dict[str, Fmt]      # the author's sentence in other languages, by language


Spoken = str | Sentence        # a prompt key, or a sentence


class Handler(TypedDict):
    arg: Any
    ops: list[OpIR]


class OpIR(TypedDict, total=False):
    """Fields every op has; each op adds its own (see the classes below)."""

    op: str
    line: int
    on: dict[str, Handler]


class PlayOp(OpIR):
    prompt: str
    bargein: bool


class SayOp(OpIR):
    text: Fmt                  # the sentence in the flow's language
    texts: dict[str, Fmt]      # the author's sentence in other languages, by language
    bargein: bool


class CollectOp(OpIR):
    var: str
    digits: list[int]
    prompt: Spoken
    invalid: str | None
    reprompt: str | None
    terminator: str
    timeout: int
    interdigit: int
    tries: int
    secret: bool
    pattern: str | None


class SetOp(OpIR):
    var: str
    value: Expr


class LookupOp(OpIR):
    var: str
    name: str
    args: list[Expr]
    kwargs: dict[str, Expr]
    timeout: int | None


class GotoOp(OpIR, total=False):
    node: str                  # `goto NODE`
    flow: str                  # `goto flow NAME`: another flow, same call


class QueueOp(OpIR):
    queue: str
    priority: int
    skill: str | None
    announce: str | None


class TransferOp(OpIR):
    dest: Expr
    kind: Literal["number", "extension", "sip"]
    timeout: int


class RecordOp(OpIR):
    var: str
    prompt: str | None
    max: int
    silence: int
    beep: bool
    terminator: str


class TicketOp(OpIR):
    type: str
    var: str | None
    severity: int | None
    confidential: bool
    assign: str | None
    fields: dict[str, Expr]


class FaxOp(OpIR):
    document: str
    to: Expr | None
    retries: int
    fields: dict[str, Expr]


class HangupOp(OpIR):
    cause: str


class LogOp(OpIR):
    text: Fmt


class SubmitOp(OpIR):
    name: str                  # a submit of the catalogue: `submit meter_reading(…)`
    values: dict[str, Expr]    # the arguments by parameter name, in the catalogue's order
    timeout: int | None        # the statement's, else the catalogue's; None: the engine's


class Branch(TypedDict):
    cond: Expr | None
    ops: list[OpIR]


class IfOp(OpIR):
    branches: list[Branch]


class StepNode(TypedDict):
    kind: Literal["step", "sub"]
    line: int
    ops: list[OpIR]
    source: NotRequired[str]   # a sub from a library (`use NAME`): the file its lines are in


class MenuNode(TypedDict):
    kind: Literal["menu"]
    line: int
    prompt: Spoken
    invalid: str | None
    reprompt: str | None
    timeout: int
    interdigit: int
    tries: int
    max_noinput: int | None
    max_nomatch: int | None
    digits: int
    keys: dict[str, list[OpIR]]     # exact keys and key patterns ("10[0-1][0-9]")
    nomatch: list[OpIR] | None
    noinput: list[OpIR] | None
    exhausted: list[OpIR] | None


Node = StepNode | MenuNode


class PublicIR(TypedDict):
    """A built-in table of public holidays a calendar follows, and the flow's additions."""

    table: str                 # "cn"
    holidays: list[list[str]]  # [first, last] ISO dates, inclusive
    workdays: list[list[str]]


class CalendarIR(TypedDict):
    hours: dict[str, list[list[int]]]   # weekday -> [start, end) minutes after midnight
    holidays: list[list[str]]           # the company's own days off
    workdays: list[list[str]]           # the company's own working days
    public: list[PublicIR]


class FlowIR(TypedDict):
    ir_version: int
    flow: str
    source: str
    title: str | None
    lang: str
    timezone: str | None
    numbers: list[str]
    settings: dict[str, Any]
    calendars: dict[str, CalendarIR]
    vars: dict[str, Expr]
    entry: str | None
    nodes: dict[str, Node]
    campaigns: dict[str, Any]
    tests: list[dict[str, Any]]
