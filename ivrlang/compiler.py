"""AST to IR: the plain, JSON-serialisable, versioned program the engine runs.

The IR keeps the flow's structure (nodes holding lists of ops, branches
holding lists of ops) so traces can name nodes and lines. Every option is
resolved: defaults from actions.py are filled in and durations are
milliseconds. Compile only flows the checker passed; the compiler trusts
what the checker proved.
"""

from __future__ import annotations

from typing import Any

from . import ast as A
from .actions import ACTIONS, MENU, SETTINGS, Action, Kind, Option
from .calendars import business_calendars, table_names
from .catalog import BUILTIN_FUNCTIONS, CALENDAR, Catalog
from .timespec import expand_days, parse_time_range

IR_VERSION = 1

Json = dict[str, Any]


def compile_flow(flow: A.Flow, catalog: Catalog | None = None) -> Json:
    return _Compiler(flow, catalog or Catalog()).flow()


class _Compiler:
    def __init__(self, flow: A.Flow, catalog: Catalog):
        self.f = flow
        self.lang = catalog.lang_of(flow.header_value("lang"))
        self.tables = table_names(flow, catalog)
        self.business = business_calendars(flow, catalog)
        self.submits = catalog.submits
        self.calendar_params = {
            name: [i for i, p in enumerate(sig.params) if p.type == CALENDAR]
            for name, sig in {**catalog.functions, **BUILTIN_FUNCTIONS}.items()
        }

    def flow(self) -> Json:
        f = self.f
        return {
            "ir_version": IR_VERSION,
            "flow": f.name,
            "source": f.file,
            "title": f.title,
            "lang": self.lang,
            "timezone": f.header_value("timezone"),   # None: the engine's default
            "numbers": [n for n, _ in f.numbers],
            "settings": self.settings(),
            "calendars": self.calendars(),
            "vars": {c.var: self.expr(c.value) for c in f.consts},
            "entry": "start" if f.node("start") else None,
            "nodes": {n.name: self.node(n) for n in f.nodes},
            "campaigns": {c.name: self.campaign(c) for c in f.campaigns},
            "tests": [self.test(t) for t in f.tests],
        }

    def calendars(self) -> Json:
        """Each calendar with its own days; the public tables it follows carry the
        flow's additions to them (`holidays cn: …`), the engine knows the rest."""
        added = {c.name: c for c in self.f.calendars if c.name in self.tables}
        return {c.name: {"hours": hours(c.days),
                         "holidays": _dates(c.holidays),
                         "workdays": _dates(c.workdays),
                         "public": [_table(t, added.get(t)) for t, _ in c.tables]}
                for c in self.f.calendars if c.name in self.business}

    def settings(self) -> Json:
        out = {name: False if spec.kind is Kind.FLAG else spec.default
               for name, spec in SETTINGS.items()}
        for opt in self.f.settings:
            out[opt.name] = self.value(SETTINGS[opt.name], opt.value)
        return out

    # ------------------------------------------------------------ nodes

    def node(self, node: A.Node) -> Json:
        base: Json = {"kind": node.kind, "line": node.name_span.line}
        if node.name_span.file != self.f.file:   # a sub from a library: its lines are there
            base["source"] = node.name_span.file
        if isinstance(node, A.Menu):
            base.update(self.options(MENU, node.options))
            base["keys"] = {kb.key: self.ops(kb.body.stmts) for kb in node.keys}
            events = {on.event: self.ops(on.body.stmts) for on in node.events}
            for event in MENU.handlers:
                base[event] = events.get(event)
            return base
        base["ops"] = self.ops(node.body)
        return base

    def ops(self, stmts: list[A.Stmt]) -> list[Json]:
        return [self.op(s) for s in stmts]

    def op(self, stmt: A.Stmt) -> Json:
        out: Json = {"op": stmt.keyword, "line": stmt.span.line}
        if isinstance(stmt, A.If):
            out["branches"] = [{"cond": self.expr(b.cond) if b.cond else None,
                                "ops": self.ops(b.body.stmts)} for b in stmt.branches]
            return out
        assert isinstance(stmt, A.ActionStmt)
        action = ACTIONS[stmt.keyword]
        out.update(self.head(stmt))
        out.update(self.options(action, stmt.options))
        if isinstance(stmt, A.Submit) and out["timeout"] is None:
            out["timeout"] = self.submits[stmt.name].timeout_ms   # the catalogue's, or None
        if action.fields:
            out["fields"] = {o.name: self.expr(o.value) for o in stmt.options if o.is_field}
        if action.handlers:
            out["on"] = {on.event: {"arg": self.handler_arg(on), "ops": self.ops(on.body.stmts)}
                         for on in stmt.handlers}
        return out

    def submit_values(self, s: A.Submit) -> Json:
        """The arguments by parameter name, in the catalogue's order (the engine sends these)."""
        given = dict(zip((p.name for p in self.submits[s.name].params), s.args, strict=False))
        given.update({k.name: k.value for k in s.kwargs})
        return {p.name: self.expr(given[p.name]) for p in self.submits[s.name].params
                if p.name in given}

    def handler_arg(self, on: A.On):
        if isinstance(on.arg, A.Literal):
            return on.arg.value
        return None

    def head(self, s: A.ActionStmt) -> Json:
        """The statement's own words, before its options."""
        match s:
            case A.Play():
                return {"prompt": s.prompt}
            case A.Say():
                return {"text": self.expr(s.text),
                        "texts": {t.lang: self.expr(t.text) for t in s.texts}}
            case A.Log():
                return {"text": self.expr(s.text)}
            case A.Collect() | A.Record():
                return {"var": s.var}
            case A.SetVar():
                return {"var": s.var, "value": self.expr(s.value)}
            case A.Lookup():
                return {"var": s.var, "name": s.func, "args": [self.expr(a) for a in s.args],
                        "kwargs": {k.name: self.expr(k.value) for k in s.kwargs}}
            case A.Goto() if s.flow:
                return {"flow": s.target}
            case A.Goto() | A.CallSub():
                return {"node": s.target}
            case A.Queue():
                return {"queue": s.queue}
            case A.Transfer():
                return {"dest": self.expr(s.dest), "kind": s.kind}
            case A.Ticket():
                return {"type": s.type, "var": s.var}
            case A.Fax():
                return {"document": s.document}
            case A.Hangup():
                return {"cause": s.cause or "NORMAL_CLEARING"}
            case A.Submit():
                return {"name": s.name, "values": self.submit_values(s)}
        return {}

    def options(self, action: Action, opts: list[A.Opt]) -> Json:
        given = {o.name: o for o in opts if not o.is_field}
        out: Json = {}
        for name, spec in action.options.items():
            opt = given.get(name)
            if opt is None:
                out[name] = False if spec.kind is Kind.FLAG else spec.default
            elif isinstance(opt.value, A.Template):   # `prompt "…{x}…"`: a sentence, as `say`
                out[name] = {"text": self.expr(opt.value),
                             "texts": {t.lang: self.expr(t.text) for t in opt.texts}}
            else:
                out[name] = self.value(spec, opt.value)
        return out

    def value(self, spec: Option, value) -> Any:
        if spec.kind is Kind.FLAG:
            return True
        if spec.kind is Kind.EXPR:
            return self.expr(value)
        if isinstance(value, A.Range):
            return [value.lo, value.hi]
        if isinstance(value, A.Var):
            return value.name
        if spec.kind is Kind.INT_RANGE and isinstance(value, A.Literal):
            return [value.value, value.value]
        if isinstance(value, A.Literal):
            return value.value
        return None

    # ------------------------------------------------------------ expressions

    def expr(self, e: A.Expr | None) -> Json | None:
        match e:
            case None:
                return None
            case A.Literal():
                return {"lit": e.value}
            case A.Template():
                return {"fmt": [p if isinstance(p, str) else {
                    "expr": self.expr(p.expr),
                    "filters": [[f.name, [self.expr(a) for a in f.args]] for f in p.filters],
                } for p in e.parts]}
            case A.Var():
                return {"var": e.name}
            case A.FieldGet():
                return {"get": [self.expr(e.obj), e.name]}
            case A.Call():
                cal = self.calendar_params.get(e.name, [])
                args = [{"lit": a.name} if i in cal and isinstance(a, A.Var) else self.expr(a)
                        for i, a in enumerate(e.args)]
                return {"call": e.name, "args": args,
                        "kwargs": {k.name: self.expr(k.value) for k in e.kwargs}}
            case A.Unary(op="not"):
                return {"not": self.expr(e.operand)}
            case A.Unary():
                return {"neg": self.expr(e.operand)}
            case A.Binary():
                return {"bin": e.op, "l": self.expr(e.left), "r": self.expr(e.right)}
            case A.ListExpr():
                return {"list": [self.expr(i) for i in e.items]}
            case A.RecordExpr():
                return {"record": {k: self.expr(v) for k, v in e.items}}
        raise TypeError(f"cannot compile {type(e).__name__}")

    # ------------------------------------------------------------ campaigns and tests

    def campaign(self, c: A.Campaign) -> Json:
        window: Json | None = None
        if c.window_calendar:
            window = {"calendar": c.window_calendar}
        elif c.window:
            window = {"hours": hours(c.window)}
        per_ms = {"s": 1000, "m": 60_000, "h": 3_600_000}
        return {
            "line": c.name_span.line,
            "targets": {"source": c.targets.name,
                        "args": [self.expr(a) for a in c.targets.args],
                        "kwargs": {k.name: self.expr(k.value) for k in c.targets.kwargs}}
            if c.targets else None,
            "window": window,
            "rate": {"count": c.rate[0], "per_ms": per_ms.get(c.rate[1], 1000)} if c.rate else None,
            "concurrency": c.concurrency[0] if c.concurrency else 1,
            "retry": {"tries": c.retry[0], "every_ms": c.retry[1], "on": c.retry[2]}
            if c.retry else None,
            "caller_id": c.caller_id[0] if c.caller_id else None,
            "on": {event: target for event, target, _ in c.outcomes},
        }

    def test(self, t: A.Test) -> Json:
        steps = []
        for s in t.steps:
            step: Json = {"kind": s.kind, "line": s.span.line}
            if s.kind == "given":
                step.update(target=s.name, name=s.name2 or None, outcome=s.outcome,
                            value=self.expr(s.value) if s.value is not None else None)
            elif s.kind == "expect":
                step.update(what=s.name, value=s.value, contains=s.contains)
                if s.negated:
                    step["no"] = True
                if s.fields is not None:
                    step["fields"] = {f.name: {"contains": f.value.value} if f.contains
                                      else self.expr(f.value) for f in s.fields}
                if s.values is not None:
                    step["values"] = [self.expr(e) for e in s.values]
                if s.to is not None:
                    step["to"] = s.to
            elif s.kind == "set":
                step.update(var=s.name, value=self.expr(s.value))
            elif s.kind == "press" and s.name:
                step.update(value=s.value, during=s.name)
            elif s.value is not None:
                step["value"] = s.value
            steps.append(step)
        return {"name": t.name, "line": t.span.line, "steps": steps,
                "strict": any(s.kind == "strict" for s in t.steps)}


def _dates(dates: list[tuple[str, str, object]]) -> list[list[str]]:
    return [[a, b] for a, b, _ in dates]


def _table(name: str, added: A.Calendar | None) -> Json:
    return {"table": name,
            "holidays": _dates(added.holidays) if added else [],
            "workdays": _dates(added.workdays) if added else []}


def hours(days: list[A.DaySpec]) -> dict[str, list[list[int]]]:
    """Day specs as minutes-after-midnight ranges per weekday (mon..sun)."""
    out: dict[str, list[list[int]]] = {}
    for spec in days:
        ranges = [list(parse_time_range(r)) for r in spec.times]
        for day in expand_days(spec.days):
            out.setdefault(day, []).extend(ranges)
    return out
