"""The one canonical layout of a flow file (what gofmt is to Go).

`format_flow(flow, source_text)` prints a parsed flow back as text:

- `flow NAME` at column 0, the header indented two spaces in a fixed order
  (title, lang, timezone, use, number, hours/holidays/workdays per calendar, set,
  settings); a library starts `library NAME`;
- one blank line between top-level blocks, two spaces per block level;
- options after `: ` joined with `, `; options the author put on their own
  lines under a statement stay on their own lines, handlers keep their form
  (`-> node`, `: a; b` or a block); a `say`'s sentences in other languages
  (and those of a collect's `prompt "…"`) come first under it, one
  `LANG: "…"` line each; a menu's under its `prompt` line;
- expressions with the fewest parentheses that keep their meaning, strings
  re-escaped, templates, numbers and durations as written;
- every comment kept: a comment on its own line goes before the construct
  that followed it, at that construct's indentation; a trailing comment
  stays at the end of its line; a single blank line the author left between
  two lines of a block is kept.

The result parses to the same tree (spans aside) and formatting it again
changes nothing. The source text is only read for blank lines and for the
indentation of comments at the end of the file.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from . import ast as A
from .diagnostics import Span
from .timespec import format_duration, parse_duration

STEP = 2  # spaces per block level

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DIGITS = re.compile(r"[0-9]+")
_HEADER_ORDER = {"title": 0, "lang": 1, "timezone": 2}

# statements whose grammar takes `: options` on their own line
_INLINE_OPTIONS = (A.Play, A.Say, A.Collect, A.Lookup, A.Queue, A.Transfer, A.Record,
                   A.Ticket, A.Fax, A.Submit)


def format_flow(flow: A.Flow, source_text: str) -> str:
    """The canonical text of `flow`, keeping the comments of `source_text`."""
    printer = _Printer(source_text)
    printer.flow(flow)
    return printer.render(flow.comments)


# ---------------------------------------------------------------- words and strings


@cache
def _keywords() -> frozenset[str]:
    from .parser import keywords  # the grammar's own list

    return frozenset(keywords())


def is_name(text: str) -> bool:
    """Can `text` be written bare, as a NAME, without clashing with a keyword?"""
    return _IDENT.fullmatch(text) is not None and text not in _keywords()


def quote(text: str) -> str:
    """A string literal that reads back as `text`."""
    body = (text.replace("\\", "\\\\").replace('"', '\\"')
            .replace("\n", "\\n").replace("\t", "\\t"))
    return f'"{body}"'


def _name_or_string(text: str) -> str:
    return text if is_name(text) else quote(text)


def _digits_or_string(text: str) -> str:
    return text if _DIGITS.fullmatch(text) else quote(text)


# ---------------------------------------------------------------- expressions

_BINARY_PREC = {
    "or": 1, "and": 2,
    "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "in": 4, "not in": 4,
    "+": 5, "-": 5, "*": 6, "/": 6, "%": 6,
}
_NOT, _COMPARE, _SUM, _NEG, _POSTFIX, _ATOM = 3, 4, 5, 7, 8, 9


def _prec(e: A.Expr) -> int:
    if isinstance(e, A.Binary):
        return _BINARY_PREC.get(e.op, _COMPARE)
    if isinstance(e, A.Unary):
        return _NOT if e.op == "not" else _NEG
    if isinstance(e, A.FieldGet | A.Call):
        return _POSTFIX
    return _ATOM


def _operand(e: A.Expr, need: int) -> str:
    text = format_expr(e)
    return f"({text})" if _prec(e) < need else text


def format_expr(e: A.Expr) -> str:
    """An expression with the fewest parentheses the grammar needs."""
    if isinstance(e, A.Template):
        return format_template(e)
    if isinstance(e, A.Literal):
        return _literal(e)
    if isinstance(e, A.Var):
        return e.name
    if isinstance(e, A.FieldGet):
        return f"{_operand(e.obj, _POSTFIX)}.{e.name}"
    if isinstance(e, A.Call):
        return f"{e.name}({_args(e.args, e.kwargs)})"
    if isinstance(e, A.Unary):
        if e.op == "not":
            return f"not {_operand(e.operand, _NOT)}"
        operand = _operand(e.operand, _NEG)
        return f"- {operand}" if operand.startswith("-") else f"-{operand}"
    if isinstance(e, A.Binary):
        prec = _prec(e)
        if prec == _COMPARE:  # comparisons do not chain: both sides are sums
            left, right = _operand(e.left, _SUM), _operand(e.right, _SUM)
        else:  # left-associative
            left, right = _operand(e.left, prec), _operand(e.right, prec + 1)
        return f"{left} {e.op} {right}"
    if isinstance(e, A.ListExpr):
        return "[" + ", ".join(format_expr(x) for x in e.items) + "]"
    if isinstance(e, A.RecordExpr):
        return "{" + ", ".join(f"{_name_or_string(k)}: {format_expr(v)}"
                               for k, v in e.items) + "}"
    raise TypeError(f"cannot format {type(e).__name__}")


def _literal(e: A.Literal) -> str:
    if e.kind == "text":
        return quote(str(e.value))
    if e.kind == "bool":
        return "true" if e.value else "false"
    if e.kind == "none":
        return "none"
    if e.kind == "duration":
        if e.raw and parse_duration(e.raw) is not None:
            return e.raw
        if isinstance(e.value, int):
            return format_duration(e.value)
        return e.raw
    return e.raw or repr(e.value)


def _args(args: list[A.Expr], kwargs: list[A.KwArg]) -> str:
    parts = [format_expr(a) for a in args]
    parts += [f"{k.name}: {format_expr(k.value)}" for k in kwargs]
    return ", ".join(parts)


def format_template(t: A.Template) -> str:
    """A string with `{expr|filter}` parts, in the author's own spelling."""
    if t.raw:
        return t.raw
    out = []
    for part in t.parts:
        if isinstance(part, A.Interp):
            out.append("{" + part.raw + "}")
        else:
            out.append(quote(part)[1:-1].replace("{", "{{").replace("}", "}}"))
    return '"' + "".join(out) + '"'


# ---------------------------------------------------------------- options and statements


def _value(v: A.Expr | A.Range) -> str:
    if isinstance(v, A.Range):
        return f"{v.lo}..{v.hi}"
    return format_expr(v)


def format_option(opt: A.Opt) -> str:
    if opt.is_field:
        return f"{opt.name} = {format_expr(opt.value)}"
    if opt.value is None:
        return opt.name
    return f"{opt.name} {_value(opt.value)}"


def _options(opts: list[A.Opt]) -> str:
    return ", ".join(format_option(o) for o in opts)


def _head(s: A.ActionStmt) -> str:
    """A statement without its options."""
    if isinstance(s, A.Answer):
        return "answer"
    if isinstance(s, A.Play):
        return f"play {s.prompt}"
    if isinstance(s, A.Say):
        return f"say {format_template(s.text)}"
    if isinstance(s, A.Collect):
        return f"collect {s.var}"
    if isinstance(s, A.SetVar):
        return f"set {s.var} = {format_expr(s.value)}"
    if isinstance(s, A.Lookup):
        return f"lookup {s.var} = {s.func}({_args(s.args, s.kwargs)})"
    if isinstance(s, A.Goto):
        return f"goto {'flow ' if s.flow else ''}{s.target}"
    if isinstance(s, A.Queue):
        return f"queue {s.queue}"
    if isinstance(s, A.Transfer):
        kind = "" if s.kind == "number" else f"{s.kind} "
        return f"transfer {kind}{format_expr(s.dest)}"
    if isinstance(s, A.Record):
        return f"record {s.var}"
    if isinstance(s, A.Ticket):
        return f"ticket {s.type}" + (f" as {s.var}" if s.var else "")
    if isinstance(s, A.Fax):
        return f"fax {s.document}"
    if isinstance(s, A.Hangup):
        return "hangup" + (f" {s.cause}" if s.cause else "")
    if isinstance(s, A.CallSub):
        return f"call {s.target}"
    if isinstance(s, A.Return):
        return "return"
    if isinstance(s, A.Log):
        return f"log {format_template(s.text)}"
    if isinstance(s, A.Submit):
        return f"submit {s.name}({_args(s.args, s.kwargs)})"
    raise TypeError(f"cannot format {type(s).__name__}")


def format_simple(s: A.Stmt) -> str:
    """A statement on one line, options inline (inside `: a; b` and `if x: a`)."""
    if not isinstance(s, A.ActionStmt):
        raise TypeError(f"`{s.keyword}` cannot stand in a one-line body")
    head = _head(s)
    return f"{head}: {_options(s.options)}" if s.options else head


def _sentences(s: A.ActionStmt) -> list[A.SayText]:
    """A `say`'s sentences in other languages, or those of a `prompt "…"` option."""
    if isinstance(s, A.Say):
        return s.texts
    prompt = s.option("prompt")
    return prompt.texts if prompt is not None else []


def _split_options(s: A.ActionStmt) -> tuple[list[A.Opt], list[list[A.Opt]]]:
    """Options on the statement's line, and the option lines of its block."""
    inline: list[A.Opt] = []
    lines: list[list[A.Opt]] = []
    last_line = None
    can_inline = isinstance(s, _INLINE_OPTIONS)
    for opt in s.options:
        if can_inline and not lines and opt.span.line <= s.span.line:
            inline.append(opt)
        elif lines and opt.span.line == last_line:
            lines[-1].append(opt)
        else:
            lines.append([opt])
        last_line = opt.span.line
    return inline, lines


# ---------------------------------------------------------------- layout


@dataclass
class _Line:
    indent: int
    text: str
    src: int                 # the source line of the construct, for comments
    top: bool = False        # starts a top-level block: one blank line before
    first: bool = False      # first line inside a block: no blank line before
    blanks: bool = True      # may keep a blank line the author put before it


class _Printer:
    def __init__(self, source_text: str):
        self.src_lines = source_text.split("\n")
        self.lines: list[_Line] = []

    def emit(self, indent: int, text: str, src: int, *, top: bool = False,
             first: bool = False, blanks: bool = True) -> None:
        self.lines.append(_Line(indent, text, src, top, first, blanks))

    # ------------------------------------------------------------ file

    def flow(self, flow: A.Flow) -> None:
        word = "library" if flow.library else "flow"
        self.emit(0, f"{word} {flow.name}", flow.span.line, top=True)
        self.header(flow)
        # nodes, campaigns and tests are kept apart in the tree: print them in source order
        blocks: list[tuple[int, int, A.Node | A.Campaign | A.Test]] = []
        blocks += [(n.span.line, 0, n) for n in flow.nodes]
        blocks += [(c.span.line, 1, c) for c in flow.campaigns]
        blocks += [(t.span.line, 2, t) for t in flow.tests]
        for _, _, block in sorted(blocks, key=lambda b: b[:2]):
            if isinstance(block, A.Campaign):
                self.campaign(block)
            elif isinstance(block, A.Test):
                self.test(block)
            else:
                self.node(block)

    def header(self, flow: A.Flow) -> None:
        items: list[tuple[str, int]] = []
        for h in sorted(flow.header, key=lambda h: _HEADER_ORDER.get(h.key, 9)):
            value = quote(h.value) if h.key == "title" else h.value
            items.append((f"{h.key} {value}", h.span.line))
        for name, span in flow.uses:
            items.append((f"use {name}", span.line))
        if flow.numbers:
            items.append(("number " + ", ".join(quote(n) for n, _ in flow.numbers),
                          flow.numbers[0][1].line))
        for cal in flow.calendars:  # hours and holidays side by side keep calendar order
            if cal.days:
                items.append((f"hours {cal.name}: {_days(cal.days)}", cal.days[0].span.line))
            if cal.holidays or cal.tables:
                parts = [t for t, _ in cal.tables] + _dates(cal.holidays)
                first = min(s.line for s in [*(s for _, s in cal.tables),
                                              *(s for _, _, s in cal.holidays)])
                items.append((f"holidays {cal.name}: {', '.join(parts)}", first))
            if cal.workdays:
                items.append((f"workdays {cal.name}: {', '.join(_dates(cal.workdays))}",
                               cal.workdays[0][2].line))
        for const in flow.consts:
            items.append((f"set {const.var} = {format_expr(const.value)}", const.span.line))
        for opt in flow.settings:
            items.append((format_option(opt), opt.span.line))
        for text, src in items:
            self.emit(STEP, text, src, blanks=False)

    # ------------------------------------------------------------ nodes

    def node(self, node: A.Node) -> None:
        self.emit(0, f"{node.kind} {node.name}:", node.name_span.line, top=True)
        if isinstance(node, A.Menu):
            self.menu(node)
        else:
            self.block(node.body, STEP)

    def menu(self, menu: A.Menu) -> None:
        first = True
        for opt in menu.options:
            self.emit(STEP, format_option(opt), opt.span.line, first=first)
            self.sentences(opt.texts, STEP + STEP, lead=True)
            first = False
        for kb in menu.keys:
            self.handler(_digits_or_string(kb.key), kb.body, STEP, kb.span.line, first)
            first = False
        for on in menu.events:
            self.handler(on.event, on.body, STEP, on.span.line, first)
            first = False

    def block(self, stmts: list[A.Stmt], indent: int) -> None:
        for i, stmt in enumerate(stmts):
            self.stmt(stmt, indent, first=i == 0)

    def stmt(self, s: A.Stmt, indent: int, first: bool) -> None:
        if isinstance(s, A.If):
            self.if_stmt(s, indent, first)
            return
        if not isinstance(s, A.ActionStmt):
            raise TypeError(f"cannot format {type(s).__name__}")
        inline, option_lines = _split_options(s)
        head = _head(s)
        self.emit(indent, f"{head}: {_options(inline)}" if inline else head, s.span.line,
                  first=first)
        inner = indent + STEP
        # the first line of the statement's own block: its sentences in other languages
        lead = not self.sentences(_sentences(s), inner, lead=True)
        for group in option_lines:
            self.emit(inner, _options(group), group[0].span.line, first=lead)
            lead = False
        for on in s.handlers:
            label = "on " + on.event + (f" {_value(on.arg)}" if on.arg is not None else "")
            self.handler(label, on.body, inner, on.span.line, lead)
            lead = False

    def sentences(self, texts: list[A.SayText], indent: int, lead: bool) -> bool:
        """`LANG: "…"` lines; True when there were any."""
        for text in texts:
            self.emit(indent, f"{text.lang}: {format_template(text.text)}", text.span.line,
                      first=lead)
            lead = False
        return bool(texts)

    def handler(self, label: str, body: A.Body, indent: int, src: int, first: bool) -> None:
        """`label -> node`, `label: a; b` or `label:` with a block."""
        stmts = body.stmts
        if body.arrow and len(stmts) == 1 and isinstance(stmts[0], A.Goto):
            self.emit(indent, f"{label} -> {stmts[0].target}", src, first=first)
        elif body.inline and _one_line(stmts):
            self.emit(indent, f"{label}: " + "; ".join(format_simple(s) for s in stmts), src,
                      first=first)
        else:
            self.emit(indent, f"{label}:", src, first=first)
            self.block(stmts, indent + STEP)

    def if_stmt(self, s: A.If, indent: int, first: bool) -> None:
        for i, br in enumerate(s.branches):
            if i == 0:
                head, src = f"if {format_expr(br.cond)}:", s.span.line
            elif br.cond is not None:
                head, src = f"elif {format_expr(br.cond)}:", br.span.line
            else:
                head, src = "else:", br.span.line
            if br.body.inline and _one_line(br.body.stmts):
                text = head + " " + "; ".join(format_simple(x) for x in br.body.stmts)
                self.emit(indent, text, src, first=first and i == 0)
            else:
                self.emit(indent, head, src, first=first and i == 0)
                self.block(br.body.stmts, indent + STEP)

    # ------------------------------------------------------------ campaigns and tests

    def campaign(self, camp: A.Campaign) -> None:
        self.emit(0, f"campaign {camp.name}:", camp.name_span.line, top=True)
        items: list[tuple[str, int]] = []
        if camp.targets is not None:
            t = camp.targets
            items.append((f"targets {t.name}({_args(t.args, t.kwargs)})", t.span.line))
        window_line = camp.window_span.line if camp.window_span else camp.span.line
        if camp.window_calendar is not None:
            items.append((f"window {camp.window_calendar}", window_line))
        if camp.window:
            items.append((f"window {_days(camp.window)}", window_line))
        if camp.rate is not None:
            count, unit, span = camp.rate
            items.append((f"rate {count}/{unit}", span.line))
        if camp.concurrency is not None:
            items.append((f"concurrency {camp.concurrency[0]}", camp.concurrency[1].line))
        if camp.retry is not None:
            tries, every, on, span = camp.retry
            spelled = format_duration(every) if isinstance(every, int) else self._every(span)
            items.append((f"retry {tries} every {spelled} on {', '.join(on)}", span.line))
        if camp.caller_id is not None:
            items.append((f"caller_id {quote(camp.caller_id[0])}", camp.caller_id[1].line))
        for event, target, span in camp.outcomes:
            items.append((f"on {event} -> {target}", span.line))
        for i, (text, src) in enumerate(items):
            self.emit(STEP, text, src, first=i == 0)

    def test(self, test: A.Test) -> None:
        self.emit(0, f"test {quote(test.name)}:", test.span.line, top=True)
        for i, step in enumerate(test.steps):
            self.emit(STEP, format_test_step(step), step.span.line, first=i == 0)

    # ------------------------------------------------------------ output

    def _every(self, span: Span) -> str:
        """A `retry … every X` duration that did not parse: the tree keeps no spelling."""
        line = self.src_lines[span.line - 1] if 1 <= span.line <= len(self.src_lines) else ""
        m = re.search(r"\bevery\s+([0-9][\w.]*)", line)
        return m.group(1) if m else "0s"

    def _blank_before(self, line: int) -> bool:
        return 2 <= line <= len(self.src_lines) and not self.src_lines[line - 2].strip()

    def _indent_of(self, line: int) -> int:
        if not 1 <= line <= len(self.src_lines):
            return 0
        text = self.src_lines[line - 1]
        return len(text) - len(text.lstrip(" "))

    def render(self, comments: list[A.Comment]) -> str:
        lines = self.lines
        first_at: dict[int, int] = {}
        last_at: dict[int, int] = {}
        for i, ln in enumerate(lines):
            first_at.setdefault(ln.src, i)
            last_at[ln.src] = i
        anchors = sorted(first_at)
        before: dict[int, list[A.Comment]] = defaultdict(list)
        trailing: dict[int, A.Comment] = {}
        tail: list[A.Comment] = []
        for c in sorted(comments, key=lambda c: (c.line, c.col)):
            k = bisect.bisect_right(anchors, c.line)
            if not c.own_line and k:
                # at the end of its line; a line merged into an earlier one (a second
                # `number` line) passes its comment to the line it was merged into
                at = last_at[anchors[k - 1]]
                if at not in trailing:
                    trailing[at] = c
                else:  # that line has its comment already: this one goes above it
                    before[at].append(c)
                continue
            # on its own line: goes before the construct that follows it
            if k < len(anchors):
                before[first_at[anchors[k]]].append(c)
            else:
                tail.append(c)

        out: list[str] = []
        prev_src = 0

        def blank() -> None:
            if out and out[-1]:
                out.append("")

        for i, ln in enumerate(lines):
            text = ln.text + (f"  {trailing[i].text}" if i in trailing else "")
            items = [(c.line, c.text) for c in before.get(i, ())] + [(ln.src, text)]
            for k, (src, line_text) in enumerate(items):
                starts_block = k == 0 and ln.top
                kept = (ln.blanks and (k > 0 or not ln.first) and src != prev_src
                        and self._blank_before(src))
                if starts_block or kept:
                    blank()
                out.append(" " * ln.indent + line_text)
                prev_src = src

        if tail:
            # comments after the last construct keep their depth in the last block
            start = max((i for i, ln in enumerate(lines) if ln.top), default=0)
            depth: dict[int, int] = {}
            for ln in lines[start:]:
                depth.setdefault(self._indent_of(ln.src), ln.indent)
            for c in tail:
                if c.line - 1 != prev_src and self._blank_before(c.line):
                    blank()
                indent = max(((s, o) for s, o in depth.items() if s <= c.col - 1),
                             default=(0, 0))[1]
                out.append(" " * indent + c.text)
                prev_src = c.line
        return "\n".join(out) + "\n"


def _one_line(stmts: list[A.Stmt]) -> bool:
    """Can these statements be written `a; b` on one line?"""
    return bool(stmts) and all(
        isinstance(s, A.ActionStmt) and not s.handlers
        and (not s.options or isinstance(s, _INLINE_OPTIONS)) for s in stmts)


def _dates(dates: list[tuple[str, str, Span]]) -> list[str]:
    return [a if a == b else f"{a}..{b}" for a, b, _ in dates]


def _days(days: list[A.DaySpec]) -> str:
    return ", ".join(f"{d.days} {' '.join(d.times) if d.times else 'closed'}" for d in days)


def format_test_step(step: A.TestStep) -> str:
    kind = step.kind
    if kind in ("caller", "at"):
        return f"{kind} {quote(str(step.value))}"
    if kind in ("start", "lang"):
        return f"{kind} {step.value}"
    if kind == "set":
        return f"set {step.name} = {format_expr(step.value)}"
    if kind == "given":
        words = ["given", step.name] + ([step.name2] if step.name2 else []) + [step.outcome]
        if step.outcome == "returns":
            words.append(format_expr(step.value))
        return " ".join(words)
    if kind == "press":
        keys = str(step.value)  # one key bare, a sequence as a string: `press 1`, `press "123#"`
        text = f"press {keys if len(keys) == 1 and keys.isdigit() else quote(keys)}"
        return f"{text} during {step.name}" if step.name else text
    if kind in ("silence", "hangup", "strict"):
        return kind
    if kind == "expect":
        text = f"expect {'no ' if step.negated else ''}{step.name}"
        if step.contains:
            text += " ~"
            if step.value is not None:
                text += quote(str(step.value))
        elif step.value is not None:
            value = str(step.value)
            text += " " + (value if _DIGITS.fullmatch(value) or is_name(value) else quote(value))
        return text + _expect_detail(step)
    raise ValueError(f"unknown test step `{kind}`")


def _expect_detail(step: A.TestStep) -> str:
    """` to NUMBER`, then ` {name: value, …}` or ` [value, …]`, after an expectation."""
    text = f" to {quote(step.to)}" if step.to is not None else ""
    if step.fields is not None:
        text += " {" + ", ".join(
            f"{f.name if is_name(f.name) else quote(f.name)}: "
            + (f"~{quote(str(f.value.value))}" if f.contains else format_expr(f.value))
            for f in step.fields) + "}"
    if step.values is not None:
        text += " [" + ", ".join(format_expr(e) for e in step.values) + "]"
    return text
