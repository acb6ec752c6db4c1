"""Lark parse to the typed AST of ast.py, as Lark's embedded transformer.

The LALR parser calls these methods as it reduces each rule, so no parse
tree is ever built. Positions come from the tokens themselves (statement
keywords are named terminals so that they stay in the children).

Values the grammar lets through but that are malformed (a duration such as
`5sec`, a bad `{…}` in a string) become diagnostics collected on the way;
the AST is still built so that the checker can report everything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lark import Token, Transformer

from . import ast as A
from .diagnostics import Diagnostic, Span, error
from .timespec import duration_problem, parse_duration
from .vtypes import NUMBER_DIGITS

MAX_EXPR_DEPTH = 200  # deeper expressions would exhaust Python's recursion limit later


class BadValue(Exception):
    """A value so malformed that the parse cannot go on."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
_SIMPLE_INTERP = re.compile(r"\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*(?:\|\s*[A-Za-z_]\w*\s*)*")
_WORD = re.compile(r"[A-Za-z_]\w*")
_EXPR_WORDS = {"true", "false", "none", "not", "and", "or", "in"}


def _flatten(items) -> list:
    out = []
    for it in items:
        if isinstance(it, list):
            out.extend(it)
        elif it is not None:
            out.append(it)
    return out


def _start(x) -> tuple[int, int] | None:
    if isinstance(x, Token):
        return (x.line, x.column) if x.line is not None else None
    span = getattr(x, "span", None)
    if isinstance(span, Span):
        return span.line, span.col
    if isinstance(x, list | tuple):
        for item in x:
            pos = _start(item)
            if pos:
                return pos
    return None


def _stop(x) -> tuple[int, int] | None:
    if isinstance(x, Token):
        return (x.end_line, x.end_column) if x.end_line is not None else None
    span = getattr(x, "span", None)
    if isinstance(span, Span):
        return span.end_line, span.end_col
    if isinstance(x, list | tuple):
        for item in reversed(x):
            pos = _stop(item)
            if pos:
                return pos
    return None


def _depth(e) -> int:
    return getattr(e, "depth", 0)


class ToAst(Transformer):
    """Builds the AST during the parse; one instance serves one Lark parser.

    `reset(path)` before each file; `parse_interp(text)` parses `{…}` text.
    Not re-entrant across threads: callers hold parser._LOCK.
    """

    def __init__(self, parse_interp: Callable[[str], object] | None = None):
        super().__init__()
        self.parse_interp = parse_interp
        self.path = "<string>"
        self.line0 = 0   # offsets for text parsed out of a string
        self.col0 = 0
        self.diags: list[Diagnostic] = []

    def reset(self, path: str) -> None:
        self.path, self.line0, self.col0, self.diags = path, 0, 0, []

    # ------------------------------------------------------------ positions

    def span(self, children) -> Span:
        first, last = _start(children), _stop(children)
        if first is None:
            return Span(self.path, max(self.line0, 1), max(self.col0, 1))
        last = last or (first[0], first[1] + 1)
        return self._pos(first[0], first[1], last[0], last[1])

    def tspan(self, tok: Token) -> Span:
        return self._pos(tok.line, tok.column, tok.end_line, tok.end_column)

    def _pos(self, line, col, end_line, end_col) -> Span:
        if self.line0:
            return Span(self.path, self.line0, self.col0 + col - 1,
                        self.line0, self.col0 + (end_col or col + 1) - 1)
        return Span(self.path, line, col, end_line or line, end_col or col + 1)

    def deep(self, node: A.Expr, *parts) -> A.Expr:
        """Record nesting depth; refuse expressions too deep to walk later."""
        node.depth = 1 + max((_depth(p) for p in parts), default=0)
        if node.depth > MAX_EXPR_DEPTH:
            raise BadValue(error("E008", node.span, "expressions are nested too deeply",
                                 "split the expression with `set`"))
        return node

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
        simple = self.simple_interp(inner, line, col)
        if simple is not None:
            return simple
        saved = self.line0, self.col0
        self.line0, self.col0 = line, col
        try:
            expr, filters = self.parse_interp(inner, line, col)
        except BadValue as exc:
            self.diags.append(exc.diagnostic)
            return A.Interp(A.Literal(span, "", "text"), [], span, raw=inner)
        finally:
            self.line0, self.col0 = saved
        return A.Interp(expr, filters, span, raw=inner)

    def simple_interp(self, inner: str, line: int, col: int) -> A.Interp | None:
        """`c.amount_due|money` without a parser run: most interpolations look so."""
        m = _SIMPLE_INTERP.fullmatch(inner)
        if m is None or m.group(1) in _EXPR_WORDS:
            return None
        names = list(_WORD.finditer(inner, 0, m.end(1)))
        first = names[0]
        at = col + first.start()
        expr: A.Expr = A.Var(Span(self.path, line, at, line, at + len(first.group())),
                             first.group())
        for nm in names[1:]:
            c0 = col + nm.start()
            expr = A.FieldGet(Span(self.path, line, at, line, c0 + len(nm.group())), expr,
                              nm.group(), Span(self.path, line, c0, line, c0 + len(nm.group())))
        filters = [A.Filter(f.group(), [], Span(self.path, line, col + f.start(), line,
                                                col + f.end()))
                   for f in _WORD.finditer(inner, m.end(1))]
        span = Span(self.path, line, col, line, col + len(inner))
        return A.Interp(expr, filters, span, raw=inner)

    # ------------------------------------------------------------ file and header

    def start(self, children):
        name_tok, header, is_library = children[0]
        flow = A.Flow(name_tok.value, self.tspan(name_tok), self.path, library=is_library)
        cals: dict[str, A.Calendar] = {}
        for item in header:
            kind = item[0]
            if kind == "line":
                flow.header.append(item[1])
            elif kind == "use":
                flow.uses.append(item[1])
            elif kind in ("hours", "holidays", "workdays"):
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
                elif kind == "workdays":
                    cal.workdays.extend(item[2])
                else:
                    for part in item[2]:
                        if isinstance(part, Token):   # a built-in table such as `cn`
                            cal.tables.append((part.value, self.tspan(part)))
                        else:
                            cal.holidays.append(part)
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

    def flow_decl(self, children):
        return children[0], children[1:], False

    def library_decl(self, children):
        return children[0], children[1:], True

    def use(self, c):
        return ("use", (c[0].value, self.tspan(c[0])))

    def workdays(self, c):
        return ("workdays", c[0], c[1:])

    def title(self, c):
        return ("line", A.HeaderLine("title", self.unquote(c[0]), self.tspan(c[0])))

    def lang(self, c):
        return ("line", A.HeaderLine("lang", c[0].value, self.tspan(c[0])))

    def timezone(self, c):
        return ("line", A.HeaderLine("timezone", c[0].value, self.tspan(c[0])))

    def hours(self, c):
        return ("hours", c[0], c[1:])

    def holidays(self, c):
        return ("holidays", c[0], c[1:])

    def numbers(self, c):
        return ("numbers", [(self.unquote(t), self.tspan(t)) for t in c])

    def header_set(self, c):
        span, c = self.span(c), c[1:]
        return ("set", A.SetVar(span, var=c[0].value, value=c[1]))

    def setting(self, c):
        return ("setting", A.Opt(c[0].value, c[1] if len(c) > 1 else None, self.span(c)))

    def dayspec(self, c):
        times = [t.value for t in c[1:] if t.type == "TIMERANGE"]
        return A.DaySpec(c[0].value, times, self.span(c))

    def daterange(self, c):
        return (c[0].value, c[1].value if len(c) > 1 else c[0].value, self.span(c))

    # ------------------------------------------------------------ nodes

    def step(self, c):
        span, c = self.span(c), c[1:]
        return A.Step(c[0].value, span, self.tspan(c[0]), body=_flatten(c[1:]))

    def sub(self, c):
        span, c = self.span(c), c[1:]
        return A.Sub(c[0].value, span, self.tspan(c[0]), body=_flatten(c[1:]))

    def menu(self, c):
        span, c = self.span(c), c[1:]
        menu = A.Menu(c[0].value, span, self.tspan(c[0]))
        for item in c[1:]:
            if isinstance(item, A.Opt):
                menu.options.append(item)
            elif isinstance(item, A.KeyBranch):
                menu.keys.append(item)
            else:
                menu.events.append(item)
        return menu

    def menu_option(self, c):
        opt = c[0]
        for text in c[1:]:
            self._prompt_text(opt, text, "menu")
        return opt

    def menu_lang(self, c):
        return self.say_lang(c)

    def _prompt_text(self, opt: A.Opt | None, item: A.SayText, where: str) -> None:
        """`en-US: "…"` under a `prompt "…"`; anything else has no sentence to translate."""
        if opt is not None and opt.name == "prompt" and isinstance(opt.value, A.Template):
            opt.texts.append(item)
            return
        key = opt.value.name if opt is not None and isinstance(opt.value, A.Var) else None
        message = (f"{where}'s prompt `{key}` is a prompt key: its {item.lang} words are in "
                   f"prompts/{item.lang}.toml" if key else
                   f"{where} has no prompt sentence to give in {item.lang}")
        self.diags.append(error(
            "E001", item.lang_span, message,
            f'to write the prompt here, give it as a sentence: `prompt "…"`, and under it '
            f'`{item.lang}: "…"`'))

    def menu_key(self, c):
        tok, body = c
        key = self.unquote(tok) if tok.type == "STRING" else tok.value
        return A.KeyBranch(key, body, self.tspan(tok))

    def menu_event(self, c):
        return A.On(c[0].value, None, c[1], self.tspan(c[0]))

    def goto_handler(self, c):
        span = self.tspan(c[0])
        return A.Body([A.Goto(span, target=c[0].value, target_span=span)], span, arrow=True)

    def inline_handler(self, c):
        return A.Body(c[0], self.span(c), inline=True)

    def block_handler(self, c):
        return A.Body(_flatten(c), self.span(c))

    # ------------------------------------------------------------ statements

    def simple_stmts(self, c):
        return list(c)

    def line(self, c):
        stmts, block = c[0], _flatten(c[1:])
        if not block:
            return stmts
        target = stmts[-1]
        if len(stmts) > 1 or not isinstance(target, A.ActionStmt):
            self.diags.append(error("E001", block[0].span,
                                    "only a single statement can have an indented block",
                                    "put each statement on its own line"))
            return stmts
        texts = []
        for item in block:
            if isinstance(item, A.On):
                target.handlers.append(item)
            elif isinstance(item, A.SayText):
                texts.append(item)
            else:
                target.options.append(item)
        for item in texts:   # after the options: a collect's `prompt "…"` may be among them
            self._say_text(target, item)
        return stmts

    def _say_text(self, target: A.ActionStmt, item: A.SayText) -> None:
        if isinstance(target, A.Say):
            target.texts.append(item)
        elif isinstance(target, A.Collect):
            self._prompt_text(target.option("prompt"), item, "`collect`")
        else:
            self.diags.append(error("E001", item.lang_span,
                                    f"`{target.keyword}` takes no sentence per language",
                                    f'only `say` does: `say "…"` and under it `{item.lang}: "…"`'))

    def say_lang(self, c):
        return A.SayText(c[0].value, self.template(c[1]), self.span(c), self.tspan(c[0]))

    def on_handler(self, c):
        arg = c[1] if len(c) == 3 else None
        return A.On(c[0].value, arg, c[-1], self.tspan(c[0]))

    def block_options(self, c):
        return c[0]

    def answer(self, c):
        span, c = self.span(c), c[1:]
        return A.Answer(span)

    def play(self, c):
        span, c = self.span(c), c[1:]
        return A.Play(span, prompt=c[0].value, prompt_span=self.tspan(c[0]),
                      options=self._opts(c[1:]))

    def say(self, c):
        span, c = self.span(c), c[1:]
        return A.Say(span, text=self.template(c[0]), options=self._opts(c[1:]))

    def collect(self, c):
        span, c = self.span(c), c[1:]
        return A.Collect(span, var=c[0].value, options=self._opts(c[1:]))

    def set(self, c):
        span, c = self.span(c), c[1:]
        return A.SetVar(span, var=c[0].value, value=c[1])

    def lookup(self, c):
        span, c = self.span(c), c[1:]
        args, kwargs = self._split_args(c[2])
        return A.Lookup(span, var=c[0].value, func=c[1].value,
                        func_span=self.tspan(c[1]), args=args, kwargs=kwargs,
                        options=self._opts(c[3:]))

    def goto(self, c):
        span, c = self.span(c), c[1:]
        return A.Goto(span, target=c[0].value, target_span=self.tspan(c[0]))

    def goto_flow(self, c):
        span, c = self.span(c), c[2:]
        return A.Goto(span, target=c[0].value, target_span=self.tspan(c[0]), flow=True)

    def queue(self, c):
        span, c = self.span(c), c[1:]
        return A.Queue(span, queue=c[0].value, queue_span=self.tspan(c[0]),
                       options=self._opts(c[1:]))

    def transfer(self, c):
        span, c = self.span(c), c[1:]
        if isinstance(c[0], Token) and c[0].type == "TARGET_KIND":
            return A.Transfer(span, dest=c[1], kind=c[0].value, options=self._opts(c[2:]))
        return A.Transfer(span, dest=c[0], options=self._opts(c[1:]))

    def record(self, c):
        span, c = self.span(c), c[1:]
        return A.Record(span, var=c[0].value, options=self._opts(c[1:]))

    def ticket(self, c):
        span, c = self.span(c), c[1:]
        var = c[1].value if len(c) > 1 and isinstance(c[1], Token) else None
        return A.Ticket(span, type=c[0].value, type_span=self.tspan(c[0]), var=var,
                        options=self._opts(c[1:]))

    def fax(self, c):
        span, c = self.span(c), c[1:]
        return A.Fax(span, document=c[0].value, document_span=self.tspan(c[0]),
                     options=self._opts(c[1:]))

    def hangup(self, c):
        span, c = self.span(c), c[1:]
        return A.Hangup(span, cause=c[0].value if c else None)

    def call(self, c):
        span, c = self.span(c), c[1:]
        return A.CallSub(span, target=c[0].value, target_span=self.tspan(c[0]))

    def return_(self, c):
        return A.Return(self.span(c))

    def log(self, c):
        span, c = self.span(c), c[1:]
        return A.Log(span, text=self.template(c[0]))

    def submit(self, c):
        span, c = self.span(c), c[1:]
        args, kwargs = self._split_args(c[1])
        return A.Submit(span, name=c[0].value, name_span=self.tspan(c[0]), args=args,
                        kwargs=kwargs, options=self._opts(c[2:]))

    def if_stmt(self, c):
        span, c = self.span(c), c[1:]
        branches = [A.Branch(c[0], c[1], span)]
        branches.extend(c[2:])
        return A.If(span, branches=branches)

    def elif_clause(self, c):
        span, c = self.span(c), c[1:]
        return A.Branch(c[0], c[1], span)

    def else_clause(self, c):
        span, c = self.span(c), c[1:]
        return A.Branch(None, c[0], span)

    def inline_body(self, c):
        return A.Body(c[0], self.span(c), inline=True)

    def block_body(self, c):
        return A.Body(_flatten(c), self.span(c))

    @staticmethod
    def _opts(rest) -> list[A.Opt]:
        for item in rest:
            if isinstance(item, list):
                return item
        return []

    def options(self, c):
        return list(c)

    def option(self, c):
        value = c[1] if len(c) > 1 else None
        if c[0].value == "prompt" and isinstance(value, A.Literal) and value.kind == "text":
            value = self._sentence(value)   # `prompt "您输入的是{reading|digits}"`
        return A.Opt(c[0].value, value, self.span(c))

    def _sentence(self, lit: A.Literal) -> A.Template:
        """A string option read again as a sentence with `{…}` values, like a `say`."""
        sp = lit.span
        return self.template(Token("STRING", lit.raw, line=sp.line, column=sp.col,
                                   end_line=sp.end_line, end_column=sp.end_col))

    def field(self, c):
        return A.Opt(c[0].value, c[1], self.span(c), is_field=True)

    def range(self, c):
        return A.Range(self.whole(c[0]), self.whole(c[1]), self.span(c))

    # ------------------------------------------------------------ campaigns

    def campaign(self, c):
        span, c = self.span(c), c[1:]
        camp = A.Campaign(c[0].value, span, self.tspan(c[0]))
        for kind, value in c[1:]:
            if kind == "outcome":
                camp.outcomes.append(value)
            elif kind in ("window", "window_calendar"):
                value, camp.window_span = value
                setattr(camp, kind, value)
            else:
                setattr(camp, kind, value)
        return camp

    def targets(self, c):
        args, kwargs = self._split_args(c[1])
        return ("targets", A.Call(self.tspan(c[0]), c[0].value, args, kwargs))

    def window(self, c):
        if len(c) == 1 and isinstance(c[0], Token):
            return ("window_calendar", (c[0].value, self.span(c)))
        return ("window", (list(c), self.span(c)))

    def rate(self, c):
        span, c = self.span(c), c[1:]
        return ("rate", (self.whole(c[0]), c[2].value, span))

    def concurrency(self, c):
        span, c = self.span(c), c[1:]
        return ("concurrency", (self.whole(c[0]), span))

    def retry(self, c):
        span, c = self.span(c), c[1:]
        every = parse_duration(c[1].value)
        if every is None:
            self.diags.append(self._bad_duration(c[1]))
        return ("retry", (self.whole(c[0]), every, [t.value for t in c[2:]], span))

    def caller_id(self, c):
        return ("caller_id", (self.unquote(c[0]), self.tspan(c[0])))

    def outcome(self, c):
        return ("outcome", (c[0].value, c[1].value, self.tspan(c[1])))

    # ------------------------------------------------------------ tests

    def test(self, c):
        return A.Test(self.unquote(c[0]), self.tspan(c[0]), steps=list(c[1:]))

    def t_caller(self, c):
        span, c = self.span(c), c[1:]
        return A.TestStep("caller", span, value=self.unquote(c[0]))

    def t_at(self, c):
        span, c = self.span(c), c[1:]
        return A.TestStep("at", span, value=self.unquote(c[0]))

    def t_start(self, c):
        return A.TestStep("start", self.tspan(c[0]), value=c[0].value)

    def t_set(self, c):
        span, c = self.span(c), c[1:]
        return A.TestStep("set", span, name=c[0].value, value=c[1])

    def t_given(self, c):
        name2 = c[1].value if len(c) == 3 else ""
        outcome, value = c[-1]
        return A.TestStep("given", self.tspan(c[0]), name=c[0].value, name2=name2,
                          outcome=outcome, value=value)

    def returns(self, c):
        return ("returns", c[0])

    def fails(self, c):
        return ("fails", None)

    def notfound(self, c):
        return ("notfound", None)

    def times_out(self, c):
        return ("timeout", None)

    def no_agent(self, c):
        return ("noagent", None)

    def t_lang(self, c):
        return A.TestStep("lang", self.tspan(c[0]), value=c[0].value)

    def t_press(self, c):
        tok = c[0]
        keys = self.unquote(tok) if tok.type == "STRING" else tok.value
        during = c[1].value if len(c) > 1 else ""   # a prompt key, or `say`
        return A.TestStep("press", self.tspan(tok), value=keys, name=during)

    def t_silence(self, c):
        span, c = self.span(c), c[1:]
        return A.TestStep("silence", span)

    def t_hangup(self, c):
        span, c = self.span(c), c[1:]
        return A.TestStep("hangup", span)

    def t_expect(self, c):
        details = [x for x in c if isinstance(x, tuple)]
        step = self._expect_step([x for x in c if x is not None and not isinstance(x, tuple)])
        for what, content, span in details:
            setattr(step, what, content)
            setattr(step, "to_span" if what == "to" else "detail_span", span)
        return step

    def t_expect_no(self, c):
        step = self._expect_step([x for x in c[1:] if x is not None])
        step.negated = True
        step.span = self._pos(c[0].line, c[0].column, step.span.end_line, step.span.end_col)
        return step

    def _expect_step(self, c) -> A.TestStep:
        kind = c[0].value
        contains = any(isinstance(t, Token) and t.type == "TILDE" for t in c[1:])
        value = None
        last = c[-1]
        if len(c) > 1 and isinstance(last, Token) and last.type != "TILDE":
            value = self.unquote(last) if last.type == "STRING" else last.value
        return A.TestStep("expect", self.tspan(c[0]), name=kind, value=value, contains=contains)

    def t_strict(self, c):
        return A.TestStep("strict", self.tspan(c[0]))

    def expect_fields(self, c):
        return ("fields", [x for x in c[1:-1] if x is not None], self.span(c))

    def expect_field(self, c):
        key = self.unquote(c[0]) if c[0].type == "STRING" else c[0].value
        if isinstance(c[1], Token) and c[1].type == "TILDE":   # `name: ~"part"`
            part = A.Literal(self.tspan(c[2]), self.unquote(c[2]), "text", c[2].value)
            return A.ExpectField(key, part, self.tspan(c[0]), contains=True)
        return A.ExpectField(key, c[1], self.tspan(c[0]))

    def expect_values(self, c):
        return ("values", [x for x in c[1:-1] if x is not None], self.span(c))

    def expect_to(self, c):
        number = self.unquote(c[1]) if c[1].type == "STRING" else c[1].value
        return ("to", number, self.span(c))

    # ------------------------------------------------------------ expressions

    def interp(self, c):
        return c[0], list(c[1:])

    def filter(self, c):
        args = [a for a in (c[1] or []) if not isinstance(a, A.KwArg)] if len(c) > 1 else []
        return A.Filter(c[0].value, args, self.tspan(c[0]))

    def or_(self, c):
        return self.deep(A.Binary(self.span(c), "or", c[0], c[1]), c[0], c[1])

    def and_(self, c):
        return self.deep(A.Binary(self.span(c), "and", c[0], c[1]), c[0], c[1])

    def not_(self, c):
        span, c = self.span(c), c[1:]
        return self.deep(A.Unary(span, "not", c[0]), c[0])

    def compare(self, c):
        return self.deep(A.Binary(self.span(c), c[1].value, c[0], c[2]), c[0], c[2])

    def in_(self, c):
        return self.deep(A.Binary(self.span(c), "in", c[0], c[1]), c[0], c[1])

    def not_in(self, c):
        return self.deep(A.Binary(self.span(c), "not in", c[0], c[2]), c[0], c[2])

    def binop(self, c):
        return self.deep(A.Binary(self.span(c), c[1].value, c[0], c[2]), c[0], c[2])

    def neg(self, c):
        return self.deep(A.Unary(self.span(c), "-", c[1]), c[1])

    def field_get(self, c):
        return self.deep(A.FieldGet(self.span(c), c[0], c[1].value, self.tspan(c[1])), c[0])

    def call_expr(self, c):
        args, kwargs = self._split_args(c[1])
        return self.deep(A.Call(self.span(c), c[0].value, args, kwargs),
                         *args, *(k.value for k in kwargs))

    def number(self, c):
        raw = c[0].value
        if self._too_large(c[0]):
            return A.Literal(self.span(c), 0, "number", raw)
        value = float(raw) if "." in raw else int(raw)
        return A.Literal(self.span(c), value, "number", raw)

    def whole(self, tok: Token) -> int:
        """A NUMBER token where a whole number is wanted (`digits 6..8`, `rate 5/s`)."""
        return 0 if self._too_large(tok) else int(float(tok.value))

    def _too_large(self, tok: Token) -> bool:
        """True (and E013) when a number has more digits than flows allow."""
        whole = tok.value.partition(".")[0].lstrip("0")
        if len(whole) <= NUMBER_DIGITS:
            return False
        shown = tok.value if len(tok.value) <= 24 else f"{tok.value[:20]}…"
        self.diags.append(error(
            "E013", self.tspan(tok), f"number `{shown}` has {len(whole)} digits; "
            f"flow numbers have at most {NUMBER_DIGITS}",
            "digits a caller types or an account number are text: write them as a string"))
        return True

    def string(self, c):
        return A.Literal(self.span(c), self.unquote(c[0]), "text", c[0].value)

    def duration(self, c):
        ms = parse_duration(c[0].value)
        if ms is None:
            self.diags.append(self._bad_duration(c[0]))
        return A.Literal(self.span(c), ms, "duration", c[0].value)

    def _bad_duration(self, tok: Token) -> Diagnostic:
        reason, hint = duration_problem(tok.value)
        return error("E010", self.tspan(tok), f"`{tok.value}` is not a duration: {reason}", hint)

    def true(self, c):
        span, c = self.span(c), c[1:]
        return A.Literal(span, True, "bool", "true")

    def false(self, c):
        span, c = self.span(c), c[1:]
        return A.Literal(span, False, "bool", "false")

    def none(self, c):
        span, c = self.span(c), c[1:]
        return A.Literal(span, None, "none", "none")

    def var(self, c):
        return A.Var(self.tspan(c[0]), c[0].value)

    def list_(self, c):
        return self.deep(A.ListExpr(self.span(c), [x for x in c[1:-1] if x is not None]),
                         *c[1:-1])

    def record_lit(self, c):
        pairs = [x for x in c[1:-1] if x is not None]
        return self.deep(A.RecordExpr(self.span(c), pairs), *(v for _, v in pairs))

    def pair(self, c):
        key = self.unquote(c[0]) if c[0].type == "STRING" else c[0].value
        return (key, c[1])

    def args(self, c):
        return list(c)

    def kwarg(self, c):
        return A.KwArg(c[0].value, c[1], self.tspan(c[0]))

    @staticmethod
    def _split_args(args) -> tuple[list[A.Expr], list[A.KwArg]]:
        args = args or []
        return ([a for a in args if not isinstance(a, A.KwArg)],
                [a for a in args if isinstance(a, A.KwArg)])


setattr(ToAst, "return", ToAst.return_)  # a rule named after a Python keyword
