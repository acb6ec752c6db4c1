"""Checks of what a test expects beyond a name: `{field: value}`, `[values]`, `to NUMBER`, `no`.

A test's expectations name what a caller or an agent notices: the fields of
a ticket, the values a `say` spoke, where a fax went. Each is checked here
against the catalogue, so a misspelt field is an error at its own column
instead of a test that can never pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import ast as A
from . import vtypes as T
from .catalog import Catalog
from .diagnostics import Span
from .exprcheck import Scope, infer
from .suggest import did_you_mean

Report = Callable[[str, Span, str, str], None]   # (code, span, message, help)

# what an agent sees on a ticket besides its fields, and the type of each
TICKET_FACTS: dict[str, T.Type] = {"severity": T.NUMBER, "confidential": T.BOOL,
                                   "assign": T.TEXT, "id": T.DIGITS}
# what the queue and the agent's screen-pop carry
QUEUE_FACTS: dict[str, T.Type] = {"priority": T.NUMBER, "skill": T.TEXT, "account": T.DIGITS}
DETAIL_KINDS = {"fields": ("ticket", "queue", "fax"), "values": ("say",), "to": ("fax",)}
_FAX_NUMBER = re.compile(r"\+?[0-9]{3,20}")


def check_order(test: A.Test, report: Report) -> None:
    """`strict` is the test's first line; no `expect no` after the flow hung up."""
    previous: A.TestStep | None = None
    for i, step in enumerate(test.steps):
        if step.kind == "strict" and i:
            report("E602", step.span, "`strict` must be the first line of the test",
                   "move it up: it makes the whole test strict")
        if step.kind == "expect" and step.negated and previous is not None \
                and previous.kind == "expect" and previous.name == "hangup" \
                and not previous.negated:
            report("E602", step.span, "nothing can happen after the flow hung up: this "
                   "`expect no` checks nothing", "move it above `expect hangup`")
        if step.kind != "expect" or not step.negated:
            previous = step


def check_detail(step: A.TestStep, catalog: Catalog, report: Report) -> None:
    """The `{…}`, `[…]` or `to` after `expect KIND VALUE`, if any."""
    for what, kinds in DETAIL_KINDS.items():
        content = getattr(step, what)
        if content is None:
            continue
        span = (step.to_span if what == "to" else step.detail_span) or step.span
        if step.name not in kinds:
            shape = {"fields": "`{name: value, …}`", "values": "`[value, …]`",
                     "to": "`to NUMBER`"}[what]
            verb = "takes" if len(kinds) == 1 else "take"
            report("E602", span, f"`expect {step.name}` takes no {shape}",
                   "only " + ", ".join(f"`expect {k}`" for k in kinds) + f" {verb} {shape}")
            continue
        if what != "values" and (step.value is None or step.contains):
            noun = {"ticket": "ticket type", "queue": "queue", "fax": "fax document"}[step.name]
            report("E602", step.span, f"`expect {step.name}` with `{{…}}` needs the {noun} "
                   "written in full", f"e.g. `expect {step.name} NAME {{…}}`")
            continue
        if what == "fields":
            _check_fields(step, catalog, report)
        elif what == "values":
            for expr in content:
                _constant(expr, catalog, report)
        elif not _FAX_NUMBER.fullmatch(content):
            report("E602", span, f"`{content}` is not a fax number",
                   'a number is digits, with an optional leading `+`: `to "02155501234"`')


def _check_fields(step: A.TestStep, catalog: Catalog, report: Report) -> None:
    known = _known_fields(step, catalog)
    seen: set[str] = set()
    for item in step.fields or []:
        name, expr, span = item.name, item.value, item.span
        if name in seen:
            report("E602", span, f"field `{name}` is given twice", "give each field once")
            continue
        seen.add(name)
        actual = T.TEXT if item.contains else _constant(expr, catalog, report)
        if known is None:
            continue
        if name not in known:
            report("E601", span, f"{_what(step)} has no field `{name}`",
                   did_you_mean(name, known) or "fields: " + ", ".join(sorted(known)))
            continue
        wanted = known[name]
        if actual not in (None, T.NONE) and not T.compatible(actual, wanted) \
                and not (T.is_texty(wanted) and T.is_texty(actual)):
            hint = ('put it in quotes: `"…"`' if T.is_texty(wanted) and actual == T.NUMBER
                    else f"write it as {T.describe(wanted)}")
            report("E201", expr.span, f"field `{name}` is {T.describe(wanted)}, "
                   f"not {T.describe(actual)}", hint)


def _known_fields(step: A.TestStep, catalog: Catalog) -> dict[str, T.Type] | None:
    """The fields the expectation may name; None when the catalogue does not say."""
    name = str(step.value)
    if step.name == "ticket":
        types = catalog.tickets
        if types is None or name not in types:
            return None
        return {**TICKET_FACTS, **{f.name: f.type for f in types[name].fields}}
    if step.name == "queue":
        return dict(QUEUE_FACTS)
    documents = catalog.fax_documents
    if documents is None or name not in documents:
        return None
    return {p.name: p.type for p in documents[name].params}


def _what(step: A.TestStep) -> str:
    noun = {"ticket": "ticket type", "queue": "a queue", "fax": "fax document"}[step.name]
    return f"{noun} `{step.value}`" if step.name != "queue" else noun


def _constant(expr: A.Expr, catalog: Catalog, report: Report) -> T.Type | None:
    """A test's value is computed before the call: it can use no variable."""
    scope = Scope(catalog, {}, set(), [])
    found = infer(expr, scope)
    for diag in scope.diags:
        report(diag.code, diag.span, diag.message, diag.help)
    return None if scope.diags else found
