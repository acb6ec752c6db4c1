"""Static checks of a parsed flow against a catalogue.

`check(flow, catalog)` returns every problem it can find, errors and
warnings, sorted by position. It never raises on a flow the parser built.
"""

from __future__ import annotations

import re
import zoneinfo
from collections import deque

from . import ast as A
from . import dataflow as D
from . import flowgraph as G
from . import vtypes as T
from .actions import (
    ACTIONS,
    CAMPAIGN_OUTCOMES,
    HANGUP_CAUSES,
    MENU,
    RETRY_ON,
    SETTINGS,
    TEST_EXPECTS,
    Action,
)
from .calendars import business_calendars, check_calendars
from .catalog import BUILTIN_FUNCTIONS, BUILTIN_VARIABLES, Catalog
from .diagnostics import Diagnostic, Span, warning
from .exprcheck import Scope, check_args, conversion, infer
from .fullwidth import full_width_error
from .keypattern import (
    KeyPatternError,
    Positions,
    is_pattern,
    parse_key,
    shared_entry,
    shared_prefix,
)
from .library import library_problems
from .options import check_handlers, check_options, check_value
from .suggest import did_you_mean
from .targets import target_problem
from .testcheck import check_detail, check_order
from .timespec import expand_days, parse_local_datetime, parse_time_range

_MENU_KEY = re.compile(r"[0-9*#]+")
_PHONE = re.compile(r"\+?[0-9]{2,20}")


def check(flow: A.Flow, catalog: Catalog | None = None) -> list[Diagnostic]:
    return _Checker(flow, catalog or Catalog()).run()


class _Checker:
    def __init__(self, flow: A.Flow, catalog: Catalog):
        self.flow = flow
        self.catalog = catalog
        self.warnings: list[Diagnostic] = []
        self.nodes = {n.name: n for n in flow.nodes}
        self.scope = Scope(catalog, {}, business_calendars(flow, catalog))
        self.lang = catalog.lang_of(flow.header_value("lang"))
        self.prompt_keys = catalog.prompt_keys(self.lang)
        self.used_queues: set[str] = set()
        self.used_prompts: set[str] = set()
        self.sentences: list[tuple[str, Span, list[A.SayText]]] = []  # say, prompt "…"

    # ------------------------------------------------------------ driver

    def run(self) -> list[Diagnostic]:
        self.check_header()
        self.scope.variables = self.collect_variables()
        for const in self.flow.consts:
            infer(const.value, self.scope)
        self.check_names()
        for node in self.flow.nodes:
            self.check_node(node)
        for camp in self.flow.campaigns:
            self.check_campaign(camp)
        self.check_say_languages()
        self.check_structure()
        for test in self.flow.tests:
            self.check_test(test)
        diags = self.scope.diags + self.warnings
        unique = {(d.code, d.span, d.message): d for d in diags}
        return sorted(unique.values(), key=Diagnostic.sort_key)

    def warn(self, code: str, span: Span, message: str, help: str = "") -> None:
        self.warnings.append(warning(code, span, message, help))

    def error(self, code: str, span: Span, message: str, help: str = "") -> None:
        self.scope.report(code, span, message, help)

    def full_width(self, span: Span, written: str) -> bool:
        """E014 when keys or digits are written full-width; True if so."""
        found = full_width_error(span, written)
        if found is not None:
            self.scope.diags.append(found)
        return found is not None

    # ------------------------------------------------------------ header

    def check_header(self) -> None:
        seen: dict[str, A.HeaderLine] = {}
        for line in self.flow.header:
            if line.key in seen:
                self.error("E701", line.span, f"`{line.key}` is given twice",
                           f"the first is on line {seen[line.key].span.line}")
            seen[line.key] = line
            if line.key == "lang" and self.catalog.prompts is not None \
                    and line.value not in self.catalog.prompts:
                self.error("E702", line.span, f"no prompt catalogue for language `{line.value}`",
                           did_you_mean(line.value, self.catalog.prompts)
                           or f"add prompts/{line.value}.toml")
            if line.key == "timezone":
                try:
                    zoneinfo.ZoneInfo(line.value)
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    self.error("E703", line.span, f"unknown time zone `{line.value}`",
                               did_you_mean(line.value, zoneinfo.available_timezones())
                               or "e.g. Asia/Shanghai, Asia/Hong_Kong, UTC")
        for cal in self.flow.calendars:
            self.check_days(cal.days)
        check_calendars(self.flow, self.catalog, self.error, self.warn)
        if self.flow.library:
            for span, message, help in library_problems(self.flow):
                self.error("E711", span, message, help)
        for number, span in self.flow.numbers:
            if self.full_width(span, f'"{number}"'):
                continue
            if not _PHONE.fullmatch(number):
                self.error("E202", span, f"`{number}` is not a phone number",
                           "digits only, optionally starting with +")
        seen_settings: set[str] = set()
        for opt in self.flow.settings:
            spec = SETTINGS.get(opt.name)
            if spec is None:
                self.error("E120", opt.span, f"unknown setting `{opt.name}`",
                           did_you_mean(opt.name, SETTINGS) or "settings: " + ", ".join(SETTINGS))
                continue
            if opt.name in seen_settings:
                self.error("E701", opt.span, f"setting `{opt.name}` is given twice")
            seen_settings.add(opt.name)
            check_value("flow", opt.name, spec, opt.value, opt.span, self.scope, self.check_prompt)

    def check_days(self, days: list[A.DaySpec]) -> None:
        for spec in days:
            try:
                expand_days(spec.days)
            except ValueError as exc:
                self.error("E011", spec.span, str(exc), "days are mon..sun, ranges like mon-fri")
            for rng in spec.times:
                try:
                    parse_time_range(rng)
                except ValueError as exc:
                    self.error("E011", spec.span, str(exc))

    # ------------------------------------------------------------ variables

    def collect_variables(self) -> dict[str, T.Type]:
        """Every variable the flow sets, with its type (conflicting types become any).

        Variables set to values of really different types (a number and
        text, not digits and text) are also noted in `scope.mixed` (E204).
        """
        found: dict[str, T.Type] = dict(BUILTIN_VARIABLES)
        if self.flow.campaigns:
            found["target"] = self.target_type()
        assigned: dict[str, list[T.Type]] = {name: [t] for name, t in found.items()}

        def assign(name: str, t: T.Type) -> None:
            types = assigned.setdefault(name, [])
            types.append(t)
            found[name], mixed = _merged(types)
            if mixed:
                self.scope.mixed[name] = tuple(dict.fromkeys(types))
            else:
                self.scope.mixed.pop(name, None)

        scope = Scope(self.catalog, found, self.scope.calendars)  # throwaway diagnostics
        for const in self.flow.consts:
            assign(const.var, infer(const.value, scope))
        for stmt in self.all_statements():
            if isinstance(stmt, A.Collect):
                assign(stmt.var, T.DIGITS)
            elif isinstance(stmt, A.Record):
                assign(stmt.var, T.TEXT)
            elif isinstance(stmt, A.Lookup):
                sig = self.catalog.lookups.get(stmt.func)
                assign(stmt.var, T.RecordType(stmt.func, dict(sig.fields)) if sig else T.ANY)
            elif isinstance(stmt, A.Ticket) and stmt.var:
                assign(stmt.var, T.RecordType("ticket", {"id": T.DIGITS, "severity": T.NUMBER}))
            elif isinstance(stmt, A.SetVar):
                found.setdefault(stmt.var, T.ANY)
        for stmt in self.all_statements():
            if isinstance(stmt, A.SetVar):
                assign(stmt.var, infer(stmt.value, scope))
        return found

    def target_type(self) -> T.Type:
        fields: dict[str, T.Type] = {}
        for camp in self.flow.campaigns:
            if camp.targets and self.catalog.targets:
                src = self.catalog.targets.get(camp.targets.name)
                if src:
                    fields.update(src.fields)
        return T.RecordType("target", fields)

    def all_statements(self):
        for node in self.flow.nodes:
            for _, part in G.node_bodies(node):
                yield from G.walk(part.stmts if isinstance(part, A.Body) else part)

    # ------------------------------------------------------------ names and references

    def check_names(self) -> None:
        seen: dict[str, Span] = {}
        for node in self.flow.nodes:
            if node.name in seen:
                self.error("E107", node.name_span, f"node `{node.name}` is defined twice",
                           f"the first is on line {seen[node.name].line}; rename one")
            seen.setdefault(node.name, node.name_span)
        for kind, items in (("campaign", self.flow.campaigns), ("test", self.flow.tests)):
            names: set[str] = set()
            for item in items:
                if item.name in names:
                    self.error("E107", item.span, f"{kind} `{item.name}` is defined twice")
                names.add(item.name)
        if self.flow.library:
            return
        if "start" not in self.nodes and not self.flow.campaigns:
            self.error("E116", self.flow.span, f"flow `{self.flow.name}` has no `step start:`",
                       "add `step start:`, or a `campaign` block for an outbound flow")
        elif "start" in self.nodes and not isinstance(self.nodes["start"], A.Step | A.Menu):
            self.error("E117", self.nodes["start"].name_span, "`start` must be a step or menu")

    def check_prompt(self, key: str, span: Span) -> None:
        self.used_prompts.add(key)
        if self.prompt_keys is not None and key not in self.prompt_keys:
            self.error("E102", span, f"unknown prompt key `{key}`",
                       did_you_mean(key, self.prompt_keys)
                       or f"add `{key} = \"…\"` to prompts/{self.lang}.toml")

    def check_target(self, name: str, span: Span, *, call: bool = False) -> None:
        node = self.nodes.get(name)
        if node is None:
            pool = [n.name for n in self.flow.nodes
                    if isinstance(n, A.Sub) == call] + list(self.flow.offered)
            self.error("E101", span, f"unknown node `{name}`",
                       did_you_mean(name, pool or self.nodes))
        elif call and not isinstance(node, A.Sub):
            self.error("E117", span, f"`call` needs a sub, but `{name}` is a {node.kind}",
                       f"use `goto {name}`")
        elif not call and isinstance(node, A.Sub):
            self.error("E117", span, f"`{name}` is a sub: enter it with `call {name}`")

    # ------------------------------------------------------------ nodes and statements

    def check_node(self, node: A.Node) -> None:
        in_sub = isinstance(node, A.Sub)
        if isinstance(node, A.Menu):
            self.check_menu(node)
        else:
            self.check_block(node.body, in_sub)
            if isinstance(node, A.Step) and G.completes(node.body):
                self.warn("W402", node.name_span, f"step `{node.name}` can fall off its end",
                          "end it with goto, hangup, queue or transfer; "
                          "falling off hangs up without a word")

    def check_block(self, stmts: list[A.Stmt], in_sub: bool) -> None:
        dead = G.first_dead(stmts)
        if dead is not None:
            self.warn("W407", dead.span, "this statement can never run",
                      "the statement before it always leaves")
        for stmt in stmts:
            self.check_stmt(stmt, in_sub)

    def check_body(self, body: A.Body, in_sub: bool) -> None:
        self.check_block(body.stmts, in_sub)

    def check_stmt(self, stmt: A.Stmt, in_sub: bool) -> None:
        if isinstance(stmt, A.If):
            for br in stmt.branches:
                if br.cond is not None:
                    infer(br.cond, self.scope)
                self.check_body(br.body, in_sub)
            return
        assert isinstance(stmt, A.ActionStmt)
        action: Action = ACTIONS[stmt.keyword]
        where = f"`{stmt.keyword}`"
        check_options(where, action, stmt.options, stmt.span, self.scope, self.check_prompt)
        check_handlers(where, action.handlers, stmt.handlers, self.scope)
        for on in stmt.handlers:
            self.check_body(on.body, in_sub)
        getattr(self, f"stmt_{stmt.keyword}", lambda s, sub: None)(stmt, in_sub)

    def stmt_play(self, stmt: A.Play, in_sub: bool) -> None:
        self.check_prompt(stmt.prompt, stmt.prompt_span or stmt.span)

    def stmt_say(self, stmt: A.Say, in_sub: bool) -> None:
        infer(stmt.text, self.scope)
        self.check_sentences("say", stmt.span, stmt.texts)

    def check_spoken(self, opt: A.Opt | None) -> None:
        """A `prompt "…"` sentence of a menu or collect: its languages, as for `say`."""
        if opt is not None and isinstance(opt.value, A.Template):
            self.check_sentences("prompt", opt.span, opt.texts)

    def check_sentences(self, keyword: str, span: Span, texts: list[A.SayText]) -> None:
        """A sentence's versions in other languages (E701, E702; W704 comes later)."""
        self.sentences.append((keyword, span, texts))
        seen: dict[str, A.SayText] = {}
        for text in texts:
            infer(text.text, self.scope)
            if text.lang == self.lang:
                self.error("E701", text.lang_span,
                           f"the `{keyword}` line itself is the {self.lang} sentence",
                           f"the flow's `lang` is {self.lang}; give other languages here")
            elif text.lang in seen:
                self.error("E701", text.lang_span, f"`{keyword}` has two {text.lang} sentences",
                           f"the first is on line {seen[text.lang].span.line}")
            else:
                self.check_language(text.lang, text.lang_span)
            seen.setdefault(text.lang, text)

    def check_language(self, lang: str, span: Span) -> None:
        known = self.catalog.prompts
        if known is not None and lang not in known:
            self.error("E702", span, f"no prompt catalogue for language `{lang}`",
                       did_you_mean(lang, known) or f"add prompts/{lang}.toml")

    def check_say_languages(self) -> None:
        """W704: a sentence in fewer languages than the flow's prompts exist in."""
        langs = self.prompt_languages()
        if len(langs) < 2:
            return
        for keyword, span, texts in self.sentences:
            missing = sorted(langs - {self.lang} - {t.lang for t in texts})
            if missing:
                shown = ", ".join(missing)
                self.warn("W704", span, f"`{keyword}` has no {shown} sentence, but the flow's "
                          f"prompts exist in {', '.join(sorted(langs))}",
                          f'add `{missing[0]}: "…"` under it; without one, {missing[0]} '
                          f"callers hear the {self.lang} sentence")

    def prompt_languages(self) -> set[str]:
        """The languages whose catalogue holds every prompt the flow plays (none: no claim)."""
        if self.catalog.prompts is None or not self.used_prompts:
            return set()
        return {lang for lang, keys in self.catalog.prompts.items() if self.used_prompts <= keys}

    def stmt_log(self, stmt: A.Log, in_sub: bool) -> None:
        infer(stmt.text, self.scope)

    def stmt_set(self, stmt: A.SetVar, in_sub: bool) -> None:
        infer(stmt.value, self.scope)

    def stmt_goto(self, stmt: A.Goto, in_sub: bool) -> None:
        if stmt.flow:
            self.check_flow(stmt.target, stmt.target_span or stmt.span)
        else:
            self.check_target(stmt.target, stmt.target_span or stmt.span)

    def check_flow(self, name: str, span: Span) -> None:
        """`goto flow NAME`: one of the project's flows (when the catalogue lists them)."""
        known = self.catalog.flows
        if known is not None and name not in known:
            self.error("E121", span, f"unknown flow `{name}`",
                       did_you_mean(name, known) or "flows: " + ", ".join(sorted(known)))

    def stmt_call(self, stmt: A.CallSub, in_sub: bool) -> None:
        self.check_target(stmt.target, stmt.target_span or stmt.span, call=True)

    def stmt_return(self, stmt: A.Return, in_sub: bool) -> None:
        if not in_sub:
            self.error("E118", stmt.span, "`return` outside a sub",
                       "use `goto` or `hangup` in a step")

    def stmt_hangup(self, stmt: A.Hangup, in_sub: bool) -> None:
        if stmt.cause and stmt.cause not in HANGUP_CAUSES:
            self.error("E119", stmt.span, f"unknown hangup cause `{stmt.cause}`",
                       did_you_mean(stmt.cause, HANGUP_CAUSES) or "e.g. NORMAL_CLEARING")

    def stmt_collect(self, stmt: A.Collect, in_sub: bool) -> None:
        self.check_spoken(stmt.option("prompt"))
        if stmt.handler("fail") is None:
            self.warn("W403", stmt.span, f"`collect {stmt.var}` has no failure path",
                      "add `on fail -> NODE` (callers who fail every try are hung up on)")

    def stmt_lookup(self, stmt: A.Lookup, in_sub: bool) -> None:
        span = stmt.func_span or stmt.span
        sig = self.catalog.lookups.get(stmt.func)
        if sig is None:
            hint = did_you_mean(stmt.func, self.catalog.lookups)
            if stmt.func in BUILTIN_FUNCTIONS or stmt.func in self.catalog.functions:
                hint = (f"`{stmt.func}` is a function: use it in an expression, "
                        f"`set x = {stmt.func}(…)`")
            elif stmt.func in self.catalog.submits:
                hint = f"`{stmt.func}` writes to the back office: `submit {stmt.func}(…)`"
            self.error("E103", span, f"unknown lookup `{stmt.func}`",
                       hint or "lookups: " + ", ".join(sorted(self.catalog.lookups)))
            for a in stmt.args:
                infer(a, self.scope)
        else:
            check_args(stmt.func, sig.params, stmt.args, stmt.kwargs, span, self.scope)
        if stmt.handler("error") is None:
            self.error("E404", stmt.span, f"`lookup {stmt.var}` has no error path",
                       "add `on error -> NODE` for when the back office is down")
        if (sig is None or sig.can_miss) and stmt.handler("notfound") is None:
            self.warn("W405", stmt.span, f"`lookup {stmt.var}` has no notfound path",
                      "add `on notfound: …`")

    def lacks(self, stmt: A.ActionStmt, event: str) -> bool:
        """No handler for `event`, and none misspelt (that is E112 already)."""
        known = ACTIONS[stmt.keyword].handlers
        return stmt.handler(event) is None and all(h.event in known for h in stmt.handlers)

    def stmt_submit(self, stmt: A.Submit, in_sub: bool) -> None:
        span = stmt.name_span or stmt.span
        sig = self.catalog.submits.get(stmt.name)
        if sig is None:
            hint = did_you_mean(stmt.name, self.catalog.submits)
            if stmt.name in self.catalog.lookups:
                hint = f"`{stmt.name}` is a lookup: `lookup x = {stmt.name}(…)` reads it"
            self.error("E122", span, f"unknown submit `{stmt.name}`",
                       hint or ("submits: " + ", ".join(sorted(self.catalog.submits))
                                if self.catalog.submits else
                                "the catalogue declares no submits"))
            for a in [*stmt.args, *(k.value for k in stmt.kwargs)]:
                infer(a, self.scope)
        else:
            check_args(stmt.name, sig.params, stmt.args, stmt.kwargs, span, self.scope)
        if self.lacks(stmt, "error"):
            self.warn("W415", stmt.span, f"`submit {stmt.name}` has no error path",
                      "add `on error: …`; without it a refused or failed write is only "
                      "logged, and the flow goes on as if it had been accepted")

    def stmt_queue(self, stmt: A.Queue, in_sub: bool) -> None:
        if self.lacks(stmt, "timeout"):
            unstaffed = ("" if stmt.handler("noagent") else
                         ", and are hung up on when no agent is logged in")
            self.warn("W413", stmt.span, f"`queue {stmt.queue}` has no timeout path",
                      "add `on timeout 5m -> NODE`: without it callers wait as long as the "
                      f"queue keeps them{unstaffed}")
        self.used_queues.add(stmt.queue)
        known = self.catalog.queues
        if known is not None and stmt.queue not in known:
            self.error("E115", stmt.queue_span or stmt.span, f"unknown queue `{stmt.queue}`",
                       did_you_mean(stmt.queue, known) or "queues: " + ", ".join(sorted(known)))

    def stmt_transfer(self, stmt: A.Transfer, in_sub: bool) -> None:
        if self.lacks(stmt, "fail"):
            self.warn("W411", stmt.span, "`transfer` has no failure path",
                      "add `on fail -> NODE`; without it a busy, unanswered or unreachable "
                      "number ends the call with an error")
        t = infer(stmt.dest, self.scope)
        if not T.compatible(t, T.TEXT):
            fix = conversion(stmt.dest, t, T.DIGITS)
            self.error("E201", stmt.dest.span, f"`transfer` needs a number as text, "
                       f"but this is {T.describe(t)}",
                       'quote it: `transfer "110"`' if isinstance(stmt.dest, A.Literal) or not fix
                       else f"write `transfer {fix}`")
        elif isinstance(stmt.dest, A.Literal) and not self.full_width(stmt.dest.span,
                                                                      stmt.dest.raw):
            problem = target_problem(stmt.kind, str(stmt.dest.value))
            if problem:
                example = {"number": '"110"', "extension": 'extension "1001"',
                           "sip": 'sip "duty@pbx.example.com"'}[stmt.kind]
                self.error("E202", stmt.dest.span, f"`transfer`: {problem}",
                           f"e.g. `transfer {example}`")

    def stmt_record(self, stmt: A.Record, in_sub: bool) -> None:
        if self.lacks(stmt, "silence"):
            self.warn("W414", stmt.span, f"`record {stmt.var}` has no silence path",
                      f"add `on silence: …`; without it a caller who said nothing goes on "
                      f"with `{stmt.var}` empty, as if a message had been left")

    def stmt_ticket(self, stmt: A.Ticket, in_sub: bool) -> None:
        types = self.catalog.tickets
        span = stmt.type_span or stmt.span
        if stmt.var and stmt.handler("error") is None:
            self.error("E404", stmt.span, f"`ticket {stmt.type} as {stmt.var}` has no error path",
                       f"add `on error: …`: when the ticket desk is down, `{stmt.var}` is none")
        fields = [o for o in stmt.options if o.is_field]
        for f in fields:
            infer(f.value, self.scope)
        if types is None:
            return
        ttype = types.get(stmt.type)
        if ttype is None:
            self.error("E113", span, f"unknown ticket type `{stmt.type}`",
                       did_you_mean(stmt.type, types) or "types: " + ", ".join(sorted(types)))
            return
        given = set()
        for f in fields:
            decl = ttype.field(f.name)
            if decl is None:
                self.error("E113", f.span, f"ticket `{stmt.type}` has no field `{f.name}`",
                           did_you_mean(f.name, [x.name for x in ttype.fields])
                           or "fields: " + ", ".join(x.name for x in ttype.fields))
                continue
            given.add(f.name)
            t = infer(f.value, Scope(self.catalog, self.scope.variables, self.scope.calendars))
            if not T.compatible(t, decl.type):
                fix = conversion(f.value, t, decl.type)
                self.error("E201", f.value.span, f"ticket field `{f.name}` needs "
                           f"{T.describe(decl.type)}, but this is {T.describe(t)}",
                           f"write `{f.name} = {fix}`" if fix else "")
        for decl in ttype.fields:
            if decl.required and decl.name not in given:
                self.error("E111", span, f"ticket `{stmt.type}` needs field `{decl.name}`",
                           f"add `{decl.name} = …`")

    def stmt_fax(self, stmt: A.Fax, in_sub: bool) -> None:
        options = {o.name: o for o in stmt.options if not o.is_field}
        if self.lacks(stmt, "fail"):
            when = ("the job cannot be queued" if "to" in options
                    else "the far end never takes the fax")
            self.warn("W412", stmt.span, f"`fax {stmt.document}` has no failure path",
                      f"add `on fail -> NODE`; without it the flow carries on as if the fax "
                      f"had gone when {when}")
        if "retries" in options and "to" not in options:
            self.error("E110", options["retries"].span,
                       "`fax`: `retries` needs `to`: a fax on this line is sent once",
                       "remove `retries`, or send it as a fax job with `to NUMBER`")
        fields = [o for o in stmt.options if o.is_field]
        for f in fields:
            infer(f.value, self.scope)
        docs = self.catalog.fax_documents
        if docs is None:
            return
        doc = docs.get(stmt.document)
        span = stmt.document_span or stmt.span
        if doc is None:
            self.error("E114", span, f"unknown fax document `{stmt.document}`",
                       did_you_mean(stmt.document, docs) or "documents: " + ", ".join(sorted(docs)))
            return
        params = {p.name: p for p in doc.params}
        for f in fields:
            if f.name not in params:
                hint = (f"`{f.name}` is an option: write `{f.name} VALUE`"
                        if f.name in ACTIONS["fax"].options else
                        did_you_mean(f.name, params)
                        or ("it takes " + ", ".join(params) if params else "it takes no values"))
                self.error("E203", f.span, f"fax `{stmt.document}` takes no `{f.name}`", hint)
        named = {f.name for f in fields}
        for p in doc.params:
            if p.required and p.name not in named:
                self.error("E203", span, f"fax `{stmt.document}` needs `{p.name} = …`")

    # ------------------------------------------------------------ menus

    def check_menu(self, menu: A.Menu) -> None:
        where = f"menu `{menu.name}`"
        check_options(where, MENU, menu.options, menu.name_span, self.scope, self.check_prompt)
        self.check_spoken(menu.option("prompt"))
        check_handlers(where, MENU.handlers, menu.events, self.scope)
        digits_opt = menu.option("digits")
        digits = (digits_opt.value.value if digits_opt and isinstance(digits_opt.value, A.Literal)
                  and isinstance(digits_opt.value.value, int) else 1)
        seen: dict[str, A.KeyBranch] = {}
        pressable: list[tuple[A.KeyBranch, Positions]] = []
        for kb in menu.keys:
            positions = self.check_menu_key(kb, digits)
            if positions is not None:
                pressable.append((kb, positions))
            if kb.key in seen:
                self.error("E301", kb.span, f"key `{kb.key}` has two branches",
                           f"the first is on line {seen[kb.key].span.line}")
            seen.setdefault(kb.key, kb)
            self.check_body(kb.body, False)
        self.check_key_overlaps(where, pressable)
        self.check_menu_counts(where, menu)
        for on in menu.events:
            self.check_body(on.body, False)
        events = {e.event for e in menu.events}
        missing = [e for e in ("noinput", "nomatch") if e not in events]
        if missing:
            self.warn("W303", menu.name_span, f"{where} has no {' or '.join(missing)} branch",
                      f"add e.g. `{missing[0]}: play …` so callers know what to do")
        exhausted = next((e for e in menu.events if e.event == "exhausted"), None)
        if exhausted is None:
            self.warn("W402", menu.name_span, f"{where} has no `exhausted` branch",
                      "callers who fail every try are hung up on; add `exhausted -> agent`")
        elif G.completes(exhausted.body.stmts):
            self.warn("W402", exhausted.span, f"{where}: `exhausted` can fall off its end",
                      "end it with goto, hangup, queue or transfer")

    def check_menu_key(self, kb: A.KeyBranch, digits: int) -> Positions | None:
        """One key (or key pattern) against what a caller can press in this menu."""
        if self.full_width(kb.span, f'"{kb.key}"'):
            return None
        try:
            positions = parse_key(kb.key)
        except KeyPatternError as exc:
            self.error("E302", kb.span, f"key `{kb.key}` cannot be pressed: {exc}",
                       "keys are 0-9, * and #; a pattern adds digit classes like `[0-5]`")
            return None
        if len(positions) > digits:
            self.error("E302", kb.span,
                       f"key `{kb.key}` is {len(positions)} presses but the menu takes {digits}",
                       f"add `digits {len(positions)}` to the menu")
            return None
        if digits > 1 and any("#" in p for p in positions):
            self.error("E302", kb.span,
                       f"key `{kb.key}` uses `#`, but `#` ends the entry in a menu of "
                       f"{digits} digits", "use another key, or `*`")
            return None
        return positions

    def check_key_overlaps(self, where: str, keys: list[tuple[A.KeyBranch, Positions]]) -> None:
        """Patterns that claim the same entry, and keys that begin longer keys.

        An exact key and a pattern may overlap: the exact key wins.
        """
        for i, (a, pa) in enumerate(keys):
            for b, pb in keys[i + 1:]:
                if a.key == b.key:
                    continue
                both = shared_entry(pa, pb) if is_pattern(a.key) and is_pattern(b.key) else None
                if both is not None:
                    self.error("E301", b.span, f"{where}: keys `{a.key}` and `{b.key}` both "
                               f"match `{both}`", "make the patterns exclude each other")
                for short, long, ps, pl in ((a, b, pa, pb), (b, a, pb, pa)):
                    begun = shared_prefix(ps, pl)
                    if begun is not None:
                        what = (f"key `{begun}`" if begun == short.key
                                else f"`{begun}` (key `{short.key}`)")
                        self.error("E304", long.span,
                                   f"{where}: {what} is also the start of key `{long.key}`",
                                   f"callers who mean `{begun}` must wait out `interdigit`; "
                                   "give the keys different first keys or the same length")

    def check_menu_counts(self, where: str, menu: A.Menu) -> None:
        """`max_noinput` / `max_nomatch` above `tries` could never be reached."""
        tries_opt = menu.option("tries")
        tries = (tries_opt.value.value if tries_opt and isinstance(tries_opt.value, A.Literal)
                 else MENU.options["tries"].default)
        for name in ("max_noinput", "max_nomatch"):
            opt = menu.option(name)
            if opt and isinstance(opt.value, A.Literal) and isinstance(opt.value.value, int) \
                    and isinstance(tries, int) and opt.value.value > tries:
                self.error("E202", opt.span, f"{where}: `{name}` is {opt.value.value} but "
                           f"`tries` is {tries}, so it can never be reached",
                           f"raise `tries` to {opt.value.value}, or lower `{name}`")

    # ------------------------------------------------------------ structure

    def entries(self) -> list[str]:
        if self.flow.library:   # its subs are there for the flows that use it (E711 the rest)
            return [n.name for n in self.flow.nodes]
        names = ["start"] if "start" in self.nodes else []
        for camp in self.flow.campaigns:
            names.extend(target for _, target, _ in camp.outcomes)
        return names

    def check_structure(self) -> None:
        entries = self.entries()
        if not entries:
            return
        seen = G.reachable(self.flow, entries)
        for node in self.flow.nodes:
            if node.name not in seen:
                self.warn("W401", node.name_span, f"node `{node.name}` is unreachable",
                          "nothing leads here: goto it, or remove it")
        self.check_definite_assignment(entries)
        self.check_recursion()
        for loop in G.trapped_loops(self.flow):
            node = self.nodes[loop[0]]
            path = " -> ".join([*loop, loop[0]])
            self.warn("W406", node.name_span, f"loop {path} has no way out",
                      "give one of its nodes a branch that leaves (an agent, hangup)")

    def check_recursion(self) -> None:
        """E410 for every cycle of subs calling subs (each `call` waits for its sub)."""
        calls: dict[str, list[tuple[str, Span]]] = {}
        for node in self.flow.nodes:
            if isinstance(node, A.Sub):
                calls[node.name] = [
                    (s.target, s.target_span or s.span)
                    for s in G.walk(node.body)
                    if isinstance(s, A.CallSub) and isinstance(self.nodes.get(s.target), A.Sub)]
        reported: set[str] = set()
        for start in calls:
            found = None if start in reported else _cycle_through(start, calls)
            if found is None:
                continue
            cycle, span = found
            reported.update(cycle)
            path = " -> ".join([*cycle, cycle[0]])
            self.error("E410", span, f"subs call themselves: {path}",
                       "a `call` waits for its sub, so this never ends; loop with "
                       "`goto` between steps instead")

    def check_definite_assignment(self, entries: list[str]) -> None:
        base = frozenset(BUILTIN_VARIABLES) | {c.var for c in self.flow.consts}
        answer_nodes = {t for c in self.flow.campaigns for _, t, _ in c.outcomes}
        starts = {name: base | {"target"} if name in answer_nodes else base for name in entries}
        tracked = {v for s in self.all_statements() if (v := D.sets(s))} - base
        for var, node in D.maybe_unset(self.flow, starts, tracked):
            self.warn("W409", var.span, f"`{var.name}` may be unset here",
                      f"some path into `{node}` reaches this before `{var.name}` is set")

    # ------------------------------------------------------------ campaigns

    def check_campaign(self, camp: A.Campaign) -> None:
        if camp.targets is None:
            self.error("E504", camp.name_span, f"campaign `{camp.name}` has no `targets`",
                       "e.g. `targets overdue(days: 30)`")
        else:
            sources = self.catalog.targets
            src = sources.get(camp.targets.name) if sources is not None else None
            if sources is not None and src is None:
                self.error("E504", camp.targets.span,
                           f"unknown target source `{camp.targets.name}`",
                           did_you_mean(camp.targets.name, sources)
                           or "sources: " + ", ".join(sorted(sources)))
            elif src is not None:
                check_args(src.name, src.params, camp.targets.args, camp.targets.kwargs,
                           camp.targets.span, self.scope)
        if camp.window is None and camp.window_calendar is None:
            self.error("E501", camp.name_span, f"campaign `{camp.name}` has no calling window",
                       "add e.g. `window mon-sat 09:00-20:00`")
        elif camp.window_calendar is not None and camp.window_calendar not in self.scope.calendars:
            self.error("E108", camp.name_span, f"unknown calendar `{camp.window_calendar}`",
                       did_you_mean(camp.window_calendar, self.scope.calendars))
        if camp.window:
            self.check_days(camp.window)
        if camp.rate is not None:
            n, unit, span = camp.rate
            if unit not in ("s", "m", "h") or n < 1:
                self.error("E503", span, f"rate {n}/{unit} is not a rate",
                           "write e.g. `5/s`, `30/m`")
        if camp.concurrency is not None and camp.concurrency[0] < 1:
            self.error("E503", camp.concurrency[1], "concurrency must be at least 1")
        if camp.retry is not None:
            _tries, every, on, span = camp.retry
            for outcome in on:
                if outcome not in RETRY_ON:
                    self.error("E503", span, f"cannot retry on `{outcome}`",
                               did_you_mean(outcome, RETRY_ON) or "on: " + ", ".join(RETRY_ON))
            if every is not None and every < 60_000:
                self.error("E503", span, "retries less than a minute apart annoy customers",
                           "e.g. `retry 3 every 2h on busy, noanswer`")
        outcomes = set()
        for event, target, span in camp.outcomes:
            if event not in CAMPAIGN_OUTCOMES:
                self.error("E112", span, f"campaign: unknown outcome `{event}`",
                           did_you_mean(event, CAMPAIGN_OUTCOMES)
                           or "outcomes: " + ", ".join(CAMPAIGN_OUTCOMES))
            outcomes.add(event)
            self.check_target(target, span)
        if "answer" not in outcomes:
            self.error("E502", camp.name_span, f"campaign `{camp.name}` has no `on answer -> NODE`")

    # ------------------------------------------------------------ tests

    def check_test(self, test: A.Test) -> None:
        expects = 0
        for step in test.steps:
            getattr(self, f"test_{step.kind}", lambda s: None)(step)
            expects += step.kind == "expect"
        check_order(test, self.error)
        if not expects:
            self.warn("W603", test.span, f"test `{test.name}` expects nothing",
                      "add `expect …` lines: a test that checks nothing cannot fail")

    def test_lang(self, step: A.TestStep) -> None:
        self.check_language(str(step.value), step.span)

    def test_start(self, step: A.TestStep) -> None:
        if step.value not in self.nodes:
            self.error("E601", step.span, f"test starts at unknown node `{step.value}`",
                       did_you_mean(step.value, self.nodes))
        elif isinstance(self.nodes[step.value], A.Sub):
            self.error("E117", step.span, f"a test cannot start at the sub `{step.value}`",
                       "a sub runs only inside a `call`: start at the step that calls it")

    def test_at(self, step: A.TestStep) -> None:
        try:
            parse_local_datetime(step.value)
        except ValueError as exc:
            self.error("E602", step.span, str(exc), 'e.g. `at "2026-11-23 10:00"`')

    def test_set(self, step: A.TestStep) -> None:
        infer(step.value, Scope(self.catalog, {**self.scope.variables}, self.scope.calendars,
                                self.scope.diags))

    def test_press(self, step: A.TestStep) -> None:
        if self.full_width(step.span, f'"{step.value}"'):
            pass
        elif not _MENU_KEY.fullmatch(str(step.value)):
            self.error("E602", step.span, f"`{step.value}` cannot be pressed",
                       "keys are 0-9, * and #")
        prompt = step.name
        if prompt and prompt != "say" and self.prompt_keys is not None \
                and prompt not in self.prompt_keys:
            self.error("E601", step.span, f"test presses during unknown prompt `{prompt}`",
                       did_you_mean(prompt, self.prompt_keys) or "a prompt key, or `say`")

    def test_given(self, step: A.TestStep) -> None:
        name = step.name
        allowed = {"queue": ("timeout", "noagent"), "fax": ("fails",),
                   "transfer": ("fails",), "ticket": ("fails",), "submit": ("fails",)}.get(name)
        if allowed is None and name in self.catalog.lookups:
            allowed = ("returns", "fails", "notfound", "timeout")
        if allowed is not None and step.outcome not in allowed:
            self.error("E602", step.span, f"`given {name}` cannot be `{step.outcome}`",
                       "it can be " + " or ".join(f"`{a}`" for a in allowed))
            return
        if name == "queue":
            if step.name2 and step.name2 not in self.used_queues:
                self.error("E601", step.span, f"the flow never queues to `{step.name2}`",
                           did_you_mean(step.name2, self.used_queues))
            elif not step.name2:
                self.error("E602", step.span, "`given queue` needs a queue name",
                           "e.g. `given queue emergency timeout`")
            return
        if name in ("fax", "transfer"):
            return
        if name == "submit":
            if step.name2 and step.name2 not in self.catalog.submits:
                self.error("E601", step.span, f"test gives an unknown submit `{step.name2}`",
                           did_you_mean(step.name2, self.catalog.submits))
            return
        if name == "ticket":
            types = self.catalog.tickets
            if step.name2 and types is not None and step.name2 not in types:
                self.error("E601", step.span, f"test gives an unknown ticket type `{step.name2}`",
                           did_you_mean(step.name2, types))
            return
        if name in self.catalog.lookups or name in self.catalog.functions:
            if step.value is not None:
                infer(step.value, Scope(self.catalog, {}, set(), []))
            if name in self.catalog.functions and step.outcome != "returns":
                self.error("E602", step.span, f"function `{name}` can only be given `returns`")
            return
        self.error("E601", step.span, f"test gives an unknown lookup `{name}`",
                   did_you_mean(name, set(self.catalog.lookups) | set(self.catalog.functions)))

    def test_expect(self, step: A.TestStep) -> None:
        kind, value = step.name, step.value
        if kind not in TEST_EXPECTS:
            self.error("E602", step.span, f"cannot expect `{kind}`",
                       did_you_mean(kind, TEST_EXPECTS) or "expect: " + ", ".join(TEST_EXPECTS))
            return
        check_detail(step, self.catalog, self.error)
        needs_value = kind not in ("hangup", "record", "lost", "answer") and not step.negated \
            and step.values is None
        if needs_value and value is None:
            self.error("E602", step.span, f"`expect {kind}` needs a value",
                       f"e.g. `expect {kind} …`")
            return
        pools = {
            "node": self.nodes,
            "play": self.prompt_keys,
            "queue": self.catalog.queues,
            "ticket": self.catalog.tickets,
            "fax": self.catalog.fax_documents,
            "flow": self.catalog.flows,
            "submit": self.catalog.submits,
        }
        pool = pools.get(kind)
        if pool is not None and value is not None and not step.contains and value not in pool:
            self.error("E601", step.span, f"test expects unknown {kind} `{value}`",
                       did_you_mean(str(value), pool))


def _merged(types: list[T.Type]) -> tuple[T.Type, bool]:
    """The type of a variable set to each of `types`, and whether they really conflict."""
    first = types[0]
    if all(t == first for t in types):
        return first, False
    if T.ANY in types or all(T.is_texty(t) for t in types):
        return T.ANY, False
    return T.ANY, True


def _cycle_through(start: str, calls: dict[str, list[tuple[str, Span]]]
                   ) -> tuple[list[str], Span] | None:
    """The shortest chain of calls from `start` back to it (the subs in order, the span of
    the `call` that closes it), or None. Breadth-first: linear in the calls."""
    came_from: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        name = queue.popleft()
        for target, span in calls.get(name, ()):
            if target == start:
                path: list[str] = []
                at: str | None = name
                while at is not None:
                    path.append(at)
                    at = came_from[at]
                return path[::-1], span
            if target not in came_from:
                came_from[target] = name
                queue.append(target)
    return None
