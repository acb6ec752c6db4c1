"""Lark parse tree to the typed AST of ast.py.

Values the grammar lets through but that are malformed (a duration such as
`5sec`, a bad `{…}` in a string) become diagnostics collected on the way;
the tree is still built so that the checker can report everything else.
"""

from __future__ import annotations

from collections.abc import Callable

from lark import Token, Transformer, Tree, v_args

from . import ast as A
from .diagnostics import Diagnostic, Span, error
from .suggest import closest
from .timespec import parse_duration

MAX_TREE_DEPTH = 200  # deeper parse trees would exhaust Python's recursion limit


def too_deep(tree: Tree) -> Tree | None:
    """The first subtree deeper than MAX_TREE_DEPTH (iterative, so safe on any input)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            return node
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, Tree))
    return None


class BadValue(Exception):
    """A value so malformed that the parse cannot go on."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _flatten(items) -> list:
    out = []
    for it in items:
        if isinstance(it, list):
            out.extend(it)
        elif it is not None:
            out.append(it)
    return out


@v_args(meta=True)
class ToAst(Transformer):
    """Builds the AST; `parse_interp(text, line, col)` parses `{…}` contents."""

    def __init__(self, path: str, parse_interp: Callable[[str, int, int], Tree],
                 line0: int = 0, col0: int = 0):
        super().__init__()
        self.path = path
        self.parse_interp = parse_interp
        self.line0 = line0   # offsets for text parsed out of a string
        self.col0 = col0
        self.diags: list[Diagnostic] = []

    # ------------------------------------------------------------ positions

    def span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.path, max(self.line0, 1), max(self.col0, 1))
        return self._pos(meta.line, meta.column, meta.end_line, meta.end_column)

    def tspan(self, tok: Token) -> Span:
        return self._pos(tok.line, tok.column, tok.end_line, tok.end_column)

    def _pos(self, line, col, end_line, end_col) -> Span:
        if self.line0:
            return Span(self.path, self.line0, self.col0 + col - 1,
                        self.line0, self.col0 + (end_col or col + 1) - 1)
        return Span(self.path, line, col, end_line or line, end_col or col + 1)

    # ------------------------------------------------------------ strings

    def unquote(self, tok: Token) -> str:
        return self._unescape(tok.value[1:-1])

    @staticmethod
    def _unescape(raw: str) -> str:
        out, i = [], 0
        while i < len(raw):
            ch = raw[i]
            if ch == "\\" and i + 1 < len(raw):
                out.append(_ESCAPES.get(raw[i + 1], raw[i + 1]))
                i += 2
            else:
                out.append(ch)
                i += 1
        return "".join(out)

    def template(self, tok: Token) -> A.Template:
        """Split a string into text and `{expr|filter}` parts."""
        raw = tok.value[1:-1]
        parts: list[str | A.Interp] = []
        text: list[str] = []
        i = 0
        while i < len(raw):
            ch = raw[i]
            if ch == "\\" and i + 1 < len(raw):
                text.append(raw[i:i + 2])
                i += 2
            elif raw.startswith("{{", i) or raw.startswith("}}", i):
                text.append(ch)
                i += 2
            elif ch == "{":
                end = raw.find("}", i)
                col = tok.column + 1 + i
                if end < 0:
                    here = Span(self.path, tok.line, col, tok.line, col + 1)
                    self.diags.append(error("E012", here, "`{` is not closed by `}`",
                                            "write `{{` for a literal brace"))
                    text.append(raw[i:])
                    break
                if text:
                    parts.append(self._unescape("".join(text)))
                    text = []
                inner = raw[i + 1:end]
                parts.append(self.interp_part(inner, tok.line, col + 1))
                i = end + 1
            elif ch == "}":
                col = tok.column + 1 + i
                self.diags.append(error("E012", Span(self.path, tok.line, col, tok.line, col + 1),
                                        "`}` without an opening `{`",
                                        "write `}}` for a literal brace"))
                i += 1
            else:
                text.append(ch)
                i += 1
        if text:
            parts.append(self._unescape("".join(text)))
        return A.Template(self.tspan(tok), parts, raw=tok.value)

    def interp_part(self, inner: str, line: int, col: int) -> A.Interp:
        span = Span(self.path, line, col, line, col + len(inner))
        if not inner.strip():
            self.diags.append(error("E012", span, "empty `{}` in a string",
                                    "put an expression inside, or write `{{}}`"))
            return A.Interp(A.Literal(span, "", "text"), [], span, raw=inner)
        try:
            tree = self.parse_interp(inner, line, col)
        except BadValue as exc:
            self.diags.append(exc.diagnostic)
            return A.Interp(A.Literal(span, "", "text"), [], span, raw=inner)
        deep = too_deep(tree)
        if deep is not None:
            c = col + deep.meta.column - 1
            self.diags.append(error("E008", Span(self.path, line, c, line, c + 1),
                                    "expressions are nested too deeply",
                                    "split the expression with `set`"))
            return A.Interp(A.Literal(span, "", "text"), [], span, raw=inner)
        sub = ToAst(self.path, self.parse_interp, line, col)
        expr, filters = sub.transform(tree)
        self.diags.extend(sub.diags)
        return A.Interp(expr, filters, span, raw=inner)

    # ------------------------------------------------------------ file and header

    def start(self, meta, children):
        name_tok, header = children[0]
        flow = A.Flow(name_tok.value, self.tspan(name_tok), self.path)
        cals: dict[str, A.Calendar] = {}
        for item in header:
            kind = item[0]
            if kind == "line":
                flow.header.append(item[1])
            elif kind in ("hours", "holidays"):
                name_tok = item[1]
                cal = cals.get(name_tok.value)
                if cal is None:
                    cal = cals[name_tok.value] = A.Calendar(name_tok.value, self.tspan(name_tok))
                    flow.calendars.append(cal)
                if kind == "hours":
                    if cal.days:
                        self.diags.append(error("E107", self.tspan(name_tok),
                                                f"calendar `{cal.name}` has two `hours` lines",
                                                "put all its days on one line"))
                    cal.days.extend(item[2])
                    cal.span = self.tspan(name_tok)
                else:
                    cal.holidays.extend(item[2])
            elif kind == "numbers":
                flow.numbers.extend(item[1])
            elif kind == "set":
                flow.consts.append(item[1])
            elif kind == "setting":
                flow.settings.append(item[1])
        for item in children[1:]:
            if isinstance(item, A.Node):
                flow.nodes.append(item)
            elif isinstance(item, A.Campaign):
                flow.campaigns.append(item)
            elif isinstance(item, A.Test):
                flow.tests.append(item)
        return flow

    def flow_decl(self, meta, children):
        return children[0], children[1:]

    def title(self, meta, c):
        return ("line", A.HeaderLine("title", self.unquote(c[0]), self.tspan(c[0])))

    def lang(self, meta, c):
        return ("line", A.HeaderLine("lang", c[0].value, self.tspan(c[0])))

    def timezone(self, meta, c):
        return ("line", A.HeaderLine("timezone", c[0].value, self.tspan(c[0])))

    def hours(self, meta, c):
        return ("hours", c[0], c[1:])

    def holidays(self, meta, c):
        return ("holidays", c[0], c[1:])

    def numbers(self, meta, c):
        return ("numbers", [(self.unquote(t), self.tspan(t)) for t in c])

    def header_set(self, meta, c):
        return ("set", A.SetVar(self.span(meta), var=c[0].value, value=c[1]))

    def setting(self, meta, c):
        return ("setting", A.Opt(c[0].value, c[1] if len(c) > 1 else None, self.span(meta)))

    def dayspec(self, meta, c):
        times = [t.value for t in c[1:] if t.type == "TIMERANGE"]
        return A.DaySpec(c[0].value, times, self.span(meta))

    def daterange(self, meta, c):
        return (c[0].value, c[1].value if len(c) > 1 else c[0].value, self.span(meta))

    # ------------------------------------------------------------ nodes

    def step(self, meta, c):
        return A.Step(c[0].value, self.span(meta), self.tspan(c[0]), body=_flatten(c[1:]))

    def sub(self, meta, c):
        return A.Sub(c[0].value, self.span(meta), self.tspan(c[0]), body=_flatten(c[1:]))

    def menu(self, meta, c):
        menu = A.Menu(c[0].value, self.span(meta), self.tspan(c[0]))
        for item in c[1:]:
            if isinstance(item, A.Opt):
                menu.options.append(item)
            elif isinstance(item, A.KeyBranch):
                menu.keys.append(item)
            else:
                menu.events.append(item)
        return menu

    def menu_option(self, meta, c):
        return c[0]

    def menu_key(self, meta, c):
        tok, body = c
        key = self.unquote(tok) if tok.type == "STRING" else tok.value
        return A.KeyBranch(key, body, self.tspan(tok))

    def menu_event(self, meta, c):
        return A.On(c[0].value, None, c[1], self.tspan(c[0]))

    def goto_handler(self, meta, c):
        span = self.tspan(c[0])
        return A.Body([A.Goto(span, target=c[0].value, target_span=span)], span, arrow=True)

    def inline_handler(self, meta, c):
        return A.Body(c[0], self.span(meta), inline=True)

    def block_handler(self, meta, c):
        return A.Body(_flatten(c), self.span(meta))

    # ------------------------------------------------------------ statements

    def simple_stmts(self, meta, c):
        return list(c)

    def line(self, meta, c):
        stmts, block = c[0], _flatten(c[1:])
        if not block:
            return stmts
        target = stmts[-1]
        if len(stmts) > 1 or not isinstance(target, A.ActionStmt):
            self.diags.append(error("E001", block[0].span,
                                    "only a single statement can have an indented block",
                                    "put each statement on its own line"))
            return stmts
        for item in block:
            if isinstance(item, A.On):
                target.handlers.append(item)
            else:
                target.options.append(item)
        return stmts

    def on_handler(self, meta, c):
        arg = c[1] if len(c) == 3 else None
        return A.On(c[0].value, arg, c[-1], self.tspan(c[0]))

    def block_options(self, meta, c):
        return c[0]

    def answer(self, meta, c):
        return A.Answer(self.span(meta))

    def play(self, meta, c):
        return A.Play(self.span(meta), prompt=c[0].value, prompt_span=self.tspan(c[0]),
                      options=self._opts(c[1:]))

    def say(self, meta, c):
        return A.Say(self.span(meta), text=self.template(c[0]), options=self._opts(c[1:]))

    def collect(self, meta, c):
        return A.Collect(self.span(meta), var=c[0].value, options=self._opts(c[1:]))

    def set(self, meta, c):
        return A.SetVar(self.span(meta), var=c[0].value, value=c[1])

    def lookup(self, meta, c):
        args, kwargs = self._split_args(c[2])
        return A.Lookup(self.span(meta), var=c[0].value, func=c[1].value,
                        func_span=self.tspan(c[1]), args=args, kwargs=kwargs,
                        options=self._opts(c[3:]))

    def goto(self, meta, c):
        return A.Goto(self.span(meta), target=c[0].value, target_span=self.tspan(c[0]))

    def queue(self, meta, c):
        return A.Queue(self.span(meta), queue=c[0].value, queue_span=self.tspan(c[0]),
                       options=self._opts(c[1:]))

    def transfer(self, meta, c):
        return A.Transfer(self.span(meta), dest=c[0], options=self._opts(c[1:]))

    def record(self, meta, c):
        return A.Record(self.span(meta), var=c[0].value, options=self._opts(c[1:]))

    def ticket(self, meta, c):
        var = c[1].value if len(c) > 1 and isinstance(c[1], Token) else None
        return A.Ticket(self.span(meta), type=c[0].value, type_span=self.tspan(c[0]), var=var,
                        options=self._opts(c[1:]))

    def fax(self, meta, c):
        return A.Fax(self.span(meta), document=c[0].value, document_span=self.tspan(c[0]),
                     options=self._opts(c[1:]))

    def hangup(self, meta, c):
        return A.Hangup(self.span(meta), cause=c[0].value if c else None)

    def call(self, meta, c):
        return A.CallSub(self.span(meta), target=c[0].value, target_span=self.tspan(c[0]))

    def __default__(self, data, children, meta):
        if data == "return":
            return A.Return(self.span(meta))
        return super().__default__(data, children, meta)

    def log(self, meta, c):
        return A.Log(self.span(meta), text=self.template(c[0]))

    def if_stmt(self, meta, c):
        branches = [A.Branch(c[0], c[1], self.span(meta))]
        branches.extend(c[2:])
        return A.If(self.span(meta), branches=branches)

    def elif_clause(self, meta, c):
        return A.Branch(c[0], c[1], self.span(meta))

    def else_clause(self, meta, c):
        return A.Branch(None, c[0], self.span(meta))

    def body(self, meta, c):
        # `if x: a; b` and a one-line block both arrive as one list of statements;
        # only an inline body starts on the line of its `:`
        stmts = _flatten(c)
        inline = (len(c) == 1 and isinstance(c[0], list) and bool(stmts)
                  and not getattr(meta, "empty", True) and stmts[0].span.line == meta.line)
        return A.Body(stmts, self.span(meta), inline=inline)

    @staticmethod
    def _opts(rest) -> list[A.Opt]:
        for item in rest:
            if isinstance(item, list):
                return item
        return []

    def options(self, meta, c):
        return list(c)

    def option(self, meta, c):
        return A.Opt(c[0].value, c[1] if len(c) > 1 else None, self.span(meta))

    def field(self, meta, c):
        return A.Opt(c[0].value, c[1], self.span(meta), is_field=True)

    def range(self, meta, c):
        return A.Range(int(float(c[0].value)), int(float(c[1].value)), self.span(meta))

    # ------------------------------------------------------------ campaigns

    def campaign(self, meta, c):
        camp = A.Campaign(c[0].value, self.span(meta), self.tspan(c[0]))
        for kind, value in c[1:]:
            if kind == "outcome":
                camp.outcomes.append(value)
            elif kind in ("window", "window_calendar"):
                value, camp.window_span = value
                setattr(camp, kind, value)
            else:
                setattr(camp, kind, value)
        return camp

    def targets(self, meta, c):
        args, kwargs = self._split_args(c[1])
        return ("targets", A.Call(self.tspan(c[0]), c[0].value, args, kwargs))

    def window(self, meta, c):
        if len(c) == 1 and isinstance(c[0], Token):
            return ("window_calendar", (c[0].value, self.span(meta)))
        return ("window", (list(c), self.span(meta)))

    def rate(self, meta, c):
        return ("rate", (int(float(c[0].value)), c[2].value, self.span(meta)))

    def concurrency(self, meta, c):
        return ("concurrency", (int(float(c[0].value)), self.span(meta)))

    def retry(self, meta, c):
        every = parse_duration(c[1].value)
        if every is None:
            self.diags.append(self._bad_duration(c[1]))
        return ("retry", (int(float(c[0].value)), every, [t.value for t in c[2:]], self.span(meta)))

    def caller_id(self, meta, c):
        return ("caller_id", (self.unquote(c[0]), self.tspan(c[0])))

    def outcome(self, meta, c):
        return ("outcome", (c[0].value, c[1].value, self.tspan(c[1])))

    # ------------------------------------------------------------ tests

    def test(self, meta, c):
        return A.Test(self.unquote(c[0]), self.tspan(c[0]), steps=list(c[1:]))

    def t_caller(self, meta, c):
        return A.TestStep("caller", self.span(meta), value=self.unquote(c[0]))

    def t_at(self, meta, c):
        return A.TestStep("at", self.span(meta), value=self.unquote(c[0]))

    def t_start(self, meta, c):
        return A.TestStep("start", self.tspan(c[0]), value=c[0].value)

    def t_set(self, meta, c):
        return A.TestStep("set", self.span(meta), name=c[0].value, value=c[1])

    def t_given(self, meta, c):
        name2 = c[1].value if len(c) == 3 else ""
        outcome, value = c[-1]
        return A.TestStep("given", self.tspan(c[0]), name=c[0].value, name2=name2,
                          outcome=outcome, value=value)

    def returns(self, meta, c):
        return ("returns", c[0])

    def fails(self, meta, c):
        return ("fails", None)

    def notfound(self, meta, c):
        return ("notfound", None)

    def times_out(self, meta, c):
        return ("timeout", None)

    def no_agent(self, meta, c):
        return ("noagent", None)

    def t_press(self, meta, c):
        tok = c[0]
        keys = self.unquote(tok) if tok.type == "STRING" else tok.value
        return A.TestStep("press", self.tspan(tok), value=keys)

    def t_silence(self, meta, c):
        return A.TestStep("silence", self.span(meta))

    def t_hangup(self, meta, c):
        return A.TestStep("hangup", self.span(meta))

    def t_expect(self, meta, c):
        kind = c[0].value
        contains = any(isinstance(t, Token) and t.type == "TILDE" for t in c[1:])
        value = None
        last = c[-1]
        if len(c) > 1 and isinstance(last, Token) and last.type != "TILDE":
            value = self.unquote(last) if last.type == "STRING" else last.value
        return A.TestStep("expect", self.tspan(c[0]), name=kind, value=value, contains=contains)

    # ------------------------------------------------------------ expressions

    def interp(self, meta, c):
        return c[0], list(c[1:])

    def filter(self, meta, c):
        args = [a for a in (c[1] or []) if not isinstance(a, A.KwArg)] if len(c) > 1 else []
        return A.Filter(c[0].value, args, self.tspan(c[0]))

    def or_(self, meta, c):
        return A.Binary(self.span(meta), "or", c[0], c[1])

    def and_(self, meta, c):
        return A.Binary(self.span(meta), "and", c[0], c[1])

    def not_(self, meta, c):
        return A.Unary(self.span(meta), "not", c[0])

    def compare(self, meta, c):
        return A.Binary(self.span(meta), c[1].value, c[0], c[2])

    def in_(self, meta, c):
        return A.Binary(self.span(meta), "in", c[0], c[1])

    def not_in(self, meta, c):
        return A.Binary(self.span(meta), "not in", c[0], c[1])

    def binop(self, meta, c):
        return A.Binary(self.span(meta), c[1].value, c[0], c[2])

    def neg(self, meta, c):
        return A.Unary(self.span(meta), "-", c[1])

    def field_get(self, meta, c):
        return A.FieldGet(self.span(meta), c[0], c[1].value, self.tspan(c[1]))

    def call_expr(self, meta, c):
        args, kwargs = self._split_args(c[1])
        return A.Call(self.span(meta), c[0].value, args, kwargs)

    def number(self, meta, c):
        raw = c[0].value
        value = float(raw) if "." in raw else int(raw)
        return A.Literal(self.span(meta), value, "number", raw)

    def string(self, meta, c):
        return A.Literal(self.span(meta), self.unquote(c[0]), "text", c[0].value)

    def duration(self, meta, c):
        ms = parse_duration(c[0].value)
        if ms is None:
            self.diags.append(self._bad_duration(c[0]))
        return A.Literal(self.span(meta), ms, "duration", c[0].value)

    def _bad_duration(self, tok: Token) -> Diagnostic:
        digits = "".join(ch for ch in tok.value if ch.isdigit() or ch == ".")
        unit = tok.value[len(digits):]
        best = closest(unit, ("ms", "s", "m", "h", "d", "sec", "min", "hour", "day"))
        fix = {"sec": "s", "min": "m", "hour": "h", "day": "d"}.get(best or "", best)
        hint = f"did you mean `{digits}{fix}`?" if fix else "units are ms, s, m, h, d"
        return error("E010", self.tspan(tok), f"`{tok.value}` is not a duration", hint)

    def true(self, meta, c):
        return A.Literal(self.span(meta), True, "bool", "true")

    def false(self, meta, c):
        return A.Literal(self.span(meta), False, "bool", "false")

    def none(self, meta, c):
        return A.Literal(self.span(meta), None, "none", "none")

    def var(self, meta, c):
        return A.Var(self.tspan(c[0]), c[0].value)

    def list_(self, meta, c):
        return A.ListExpr(self.span(meta), [x for x in c if x is not None])

    def record_lit(self, meta, c):
        return A.RecordExpr(self.span(meta), [x for x in c if x is not None])

    def pair(self, meta, c):
        key = self.unquote(c[0]) if c[0].type == "STRING" else c[0].value
        return (key, c[1])

    def args(self, meta, c):
        return list(c)

    def kwarg(self, meta, c):
        return A.KwArg(c[0].value, c[1], self.tspan(c[0]))

    @staticmethod
    def _split_args(args) -> tuple[list[A.Expr], list[A.KwArg]]:
        args = args or []
        return ([a for a in args if not isinstance(a, A.KwArg)],
                [a for a in args if isinstance(a, A.KwArg)])
