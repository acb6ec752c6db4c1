"""The typed syntax tree of a flow file.

Every node keeps its `span` so that the checker, the compiler and the
formatter can point back at the source. Statements that take options and
`on` handlers share `ActionStmt`; their options are validated against
actions.ACTIONS rather than encoded in the tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .diagnostics import Span

# ---------------------------------------------------------------- expressions


@dataclass
class Expr:
    span: Span


@dataclass
class Literal(Expr):
    """number, text, bool, none or duration (value in milliseconds)."""

    value: object
    kind: str  # number | text | bool | none | duration
    raw: str = ""


@dataclass
class Var(Expr):
    name: str


@dataclass
class FieldGet(Expr):
    obj: Expr
    name: str
    name_span: Span | None = None


@dataclass
class KwArg:
    name: str
    value: Expr
    span: Span


@dataclass
class Call(Expr):
    name: str
    args: list[Expr] = field(default_factory=list)
    kwargs: list[KwArg] = field(default_factory=list)


@dataclass
class Unary(Expr):
    op: str  # "not" | "-"
    operand: Expr


@dataclass
class Binary(Expr):
    op: str  # + - * / % == != < <= > >= and or in "not in"
    left: Expr
    right: Expr


@dataclass
class ListExpr(Expr):
    items: list[Expr]


@dataclass
class RecordExpr(Expr):
    items: list[tuple[str, Expr]]


@dataclass
class Filter:
    name: str
    args: list[Expr]
    span: Span


@dataclass
class Interp:
    expr: Expr
    filters: list[Filter]
    span: Span
    raw: str = ""


@dataclass
class Template(Expr):
    """A string literal, with `{expr|filter}` parts if it has any."""

    parts: list[str | Interp]
    raw: str = ""

    @property
    def is_plain(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else "{" + p.raw + "}" for p in self.parts)


# ---------------------------------------------------------------- options and handlers


@dataclass
class Range:
    lo: int
    hi: int
    span: Span


@dataclass
class Opt:
    """`name`, `name value` or (a field) `name = expr`.

    `texts`: a `prompt "…"` sentence's versions in other languages.
    """

    name: str
    value: Expr | Range | None
    span: Span
    is_field: bool = False
    texts: list[SayText] = field(default_factory=list)


@dataclass
class Body:
    """A branch: `-> node` (arrow=True, one Goto) or statements."""

    stmts: list[Stmt]
    span: Span
    arrow: bool = False
    inline: bool = False


@dataclass
class On:
    event: str
    arg: Expr | Range | None
    body: Body
    span: Span


# ---------------------------------------------------------------- statements


@dataclass
class Stmt:
    span: Span
    keyword: ClassVar[str] = ""


@dataclass
class ActionStmt(Stmt):
    options: list[Opt] = field(default_factory=list, kw_only=True)
    handlers: list[On] = field(default_factory=list, kw_only=True)
    inline_options: bool = field(default=True, kw_only=True)

    def option(self, name: str) -> Opt | None:
        return next((o for o in self.options if o.name == name and not o.is_field), None)

    def handler(self, event: str) -> On | None:
        return next((h for h in self.handlers if h.event == event), None)


@dataclass
class Answer(ActionStmt):
    keyword: ClassVar[str] = "answer"


@dataclass
class Play(ActionStmt):
    keyword: ClassVar[str] = "play"
    prompt: str = ""
    prompt_span: Span | None = None


@dataclass
class SayText:
    """`en-US: "…"` under a `say`: the sentence for callers of another language."""

    lang: str
    text: Template
    span: Span
    lang_span: Span


@dataclass
class Say(ActionStmt):
    keyword: ClassVar[str] = "say"
    text: Template | None = None
    texts: list[SayText] = field(default_factory=list, kw_only=True)  # other languages


@dataclass
class Collect(ActionStmt):
    keyword: ClassVar[str] = "collect"
    var: str = ""


@dataclass
class SetVar(ActionStmt):
    keyword: ClassVar[str] = "set"
    var: str = ""
    value: Expr | None = None


@dataclass
class Lookup(ActionStmt):
    keyword: ClassVar[str] = "lookup"
    var: str = ""
    func: str = ""
    func_span: Span | None = None
    args: list[Expr] = field(default_factory=list)
    kwargs: list[KwArg] = field(default_factory=list)


@dataclass
class Goto(ActionStmt):
    keyword: ClassVar[str] = "goto"
    target: str = ""
    target_span: Span | None = None
    flow: bool = False          # `goto flow NAME`: another flow takes the same call


@dataclass
class Queue(ActionStmt):
    keyword: ClassVar[str] = "queue"
    queue: str = ""
    queue_span: Span | None = None


@dataclass
class Transfer(ActionStmt):
    keyword: ClassVar[str] = "transfer"
    dest: Expr | None = None
    kind: str = "number"        # number | extension | sip (`transfer sip EXPR`)


@dataclass
class Record(ActionStmt):
    keyword: ClassVar[str] = "record"
    var: str = ""


@dataclass
class Ticket(ActionStmt):
    keyword: ClassVar[str] = "ticket"
    type: str = ""
    type_span: Span | None = None
    var: str | None = None


@dataclass
class Fax(ActionStmt):
    keyword: ClassVar[str] = "fax"
    document: str = ""
    document_span: Span | None = None


@dataclass
class Hangup(ActionStmt):
    keyword: ClassVar[str] = "hangup"
    cause: str | None = None


@dataclass
class CallSub(ActionStmt):
    keyword: ClassVar[str] = "call"
    target: str = ""
    target_span: Span | None = None


@dataclass
class Return(ActionStmt):
    keyword: ClassVar[str] = "return"


@dataclass
class Log(ActionStmt):
    keyword: ClassVar[str] = "log"
    text: Template | None = None


@dataclass
class Submit(ActionStmt):
    """`submit meter_reading(account, reading)`: a write to the back office."""

    keyword: ClassVar[str] = "submit"
    name: str = ""
    name_span: Span | None = None
    args: list[Expr] = field(default_factory=list)
    kwargs: list[KwArg] = field(default_factory=list)


@dataclass
class Branch:
    cond: Expr | None  # None for else
    body: Body
    span: Span


@dataclass
class If(Stmt):
    keyword: ClassVar[str] = "if"
    branches: list[Branch] = field(default_factory=list)


# ---------------------------------------------------------------- nodes


@dataclass
class Node:
    name: str
    span: Span
    name_span: Span
    kind: ClassVar[str] = ""


@dataclass
class Step(Node):
    kind: ClassVar[str] = "step"
    body: list[Stmt] = field(default_factory=list)


@dataclass
class Sub(Node):
    kind: ClassVar[str] = "sub"
    body: list[Stmt] = field(default_factory=list)


@dataclass
class KeyBranch:
    key: str
    body: Body
    span: Span


@dataclass
class Menu(Node):
    kind: ClassVar[str] = "menu"
    options: list[Opt] = field(default_factory=list)
    keys: list[KeyBranch] = field(default_factory=list)
    events: list[On] = field(default_factory=list)

    def option(self, name: str) -> Opt | None:
        return next((o for o in self.options if o.name == name), None)


# ---------------------------------------------------------------- header


@dataclass
class DaySpec:
    days: str              # "mon-fri", "sat", "daily"
    times: list[str]       # ["08:00-12:00", ...]; empty when closed
    span: Span


@dataclass
class Calendar:
    """`hours NAME`, `holidays NAME` and `workdays NAME` lines of one calendar.

    `tables` are built-in tables of public holidays and make-up working days
    (`holidays office: cn`). A calendar named after such a table, with no
    `hours`, adds to the table itself (the national schedule of a year the
    built-in table does not know yet).
    """

    name: str
    span: Span
    days: list[DaySpec] = field(default_factory=list)
    holidays: list[tuple[str, str, Span]] = field(default_factory=list)
    tables: list[tuple[str, Span]] = field(default_factory=list)
    workdays: list[tuple[str, str, Span]] = field(default_factory=list)


@dataclass
class HeaderLine:
    """title / lang / timezone: kept with their spans for messages."""

    key: str
    value: str
    span: Span


# ---------------------------------------------------------------- campaigns


@dataclass
class Campaign:
    name: str
    span: Span
    name_span: Span
    targets: Call | None = None
    window: list[DaySpec] | None = None
    window_calendar: str | None = None
    window_span: Span | None = None
    rate: tuple[int, str, Span] | None = None
    concurrency: tuple[int, Span] | None = None
    retry: tuple[int, int, list[str], Span] | None = None  # tries, every ms, on, span
    caller_id: tuple[str, Span] | None = None
    outcomes: list[tuple[str, str, Span]] = field(default_factory=list)


# ---------------------------------------------------------------- tests


@dataclass
class ExpectField:
    """`name: value` (or `name: ~"part"`) in an expectation's `{…}`."""

    name: str
    value: Expr
    span: Span
    contains: bool = False


@dataclass
class TestStep:
    """One line of a test block.

    kind: caller, at, start, set, given, press, silence, hangup, expect, lang, strict.
    """

    kind: str
    span: Span
    value: object = None        # number/keys/time/node; expect value; set value
    name: str = ""              # given target / expect kind / set variable / press during
    name2: str = ""             # given queue NAME
    outcome: str = ""           # given outcome
    contains: bool = False      # expect ~"..."
    negated: bool = False       # expect no KIND …
    fields: list[ExpectField] | None = None              # expect ticket T {name: value, …}
    values: list[Expr] | None = None                     # expect say … [value, …]
    to: str | None = None                                # expect fax DOC to NUMBER
    detail_span: Span | None = None                      # where the `{…}` or `[…]` is
    to_span: Span | None = None                          # where `to NUMBER` is


@dataclass
class Test:
    name: str
    span: Span
    steps: list[TestStep] = field(default_factory=list)


# ---------------------------------------------------------------- the file


@dataclass
class Comment:
    line: int
    col: int
    text: str
    own_line: bool


@dataclass
class Flow:
    name: str
    span: Span
    file: str
    header: list[HeaderLine] = field(default_factory=list)
    calendars: list[Calendar] = field(default_factory=list)
    numbers: list[tuple[str, Span]] = field(default_factory=list)
    consts: list[SetVar] = field(default_factory=list)
    settings: list[Opt] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)
    tests: list[Test] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    library: bool = False       # `library NAME`: subs and calendars for other flows
    uses: list[tuple[str, Span]] = field(default_factory=list)   # `use NAME` lines
    # names the used libraries define but this flow does not use (for suggestions)
    offered: dict[str, str] = field(default_factory=dict)

    def header_value(self, key: str) -> str | None:
        return next((h.value for h in self.header if h.key == key), None)

    @property
    def title(self) -> str | None:
        return self.header_value("title")

    @property
    def lang(self) -> str:
        return self.header_value("lang") or "zh-CN"

    @property
    def timezone(self) -> str:
        return self.header_value("timezone") or "Asia/Shanghai"

    def node(self, name: str) -> Node | None:
        return next((n for n in self.nodes if n.name == name), None)
