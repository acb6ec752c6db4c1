"""Mutation testing for flows: would the flow's own tests notice a change a caller would?

Each mutant is the compiled flow with one small change of the kind a slip
of the keyboard or a bad merge makes: a branch that goes elsewhere, two menu
keys swapped, a statement dropped, a ticket field or flag changed, a value
spoken changed, a condition inverted. A mutant is *killed* when at least one
of the flow's tests fails on it; a mutant that every test lets through is a
regression a caller would notice that no test catches.

Mutants work on the IR (what the engine runs), so they cannot fail to
parse, and each names the source line it changes.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Path = tuple[Any, ...]        # keys and indexes from the IR's root to the changed spot
RunTest = Callable[[Mapping[str, Any], Mapping[str, Any]], "TestRun"]   # (ir, test) -> run


@dataclass(frozen=True)
class TestRun:
    """What the mutation runner needs of one test run: did it pass, which nodes it visited."""

    passed: bool
    nodes: frozenset[str]


@dataclass(frozen=True)
class Mutant:
    """One change: where (node, source line), what, and how to apply it."""

    node: str
    line: int
    what: str
    apply: Callable[[dict[str, Any]], None] = field(repr=False, compare=False)

    def build(self, ir: Mapping[str, Any]) -> dict[str, Any]:
        """The flow with this change; what the change does not touch is shared with `ir`."""
        where = getattr(self.apply, "where", None)
        if where is None:
            mutated = copy.deepcopy(dict(ir))
        else:
            mutated = dict(ir)
            here: Any = mutated
            for step in where:     # copy only the containers on the way to the change
                here[step] = dict(here[step]) if isinstance(here[step], Mapping) \
                    else list(here[step])
                here = here[step]
        self.apply(mutated)
        return mutated


@dataclass
class MutationReport:
    flow: str
    source: str
    killed: list[Mutant] = field(default_factory=list)
    survived: list[Mutant] = field(default_factory=list)
    baseline_passes: bool = True

    @property
    def total(self) -> int:
        return len(self.killed) + len(self.survived)

    @property
    def score(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * len(self.killed) / self.total


# ---------------------------------------------------------------- generating mutants


@dataclass(frozen=True)
class _Context:
    """What the operators need to know beyond one statement."""

    nodes: list[str]                                   # the flow's node names, sorted
    records: Mapping[str, Mapping[str, str]]           # variable -> its record's fields: type
    flows: list[str]                                   # the project's flows, sorted
    read: Mapping[str, set[str]] = field(default_factory=dict)   # variable -> fields read


def mutants(ir: Mapping[str, Any], records: Mapping[str, Mapping[str, str]] | None = None,
            flows: Iterable[str] = ()) -> list[Mutant]:
    """Every mutant of the flow, in source order.

    `records` gives the fields (name: type, in catalogue order) of each
    lookup's and campaign target source's record, so that a value read from
    a record can be mutated into its neighbouring field of the same type;
    `flows` names the project's flows, for `goto flow`.
    """
    found: list[Mutant] = []
    ctx = _Context(sorted(ir["nodes"]), _records_of_variables(ir, records or {}),
                   sorted(set(flows)), _fields_read(ir))
    for name, node in ir["nodes"].items():
        root: Path = ("nodes", name)
        if node["kind"] == "menu":
            found.extend(_menu_mutants(name, node, root))
            for key, ops in node["keys"].items():
                found.extend(_ops_mutants(name, ops, (*root, "keys", key), ctx))
            for event in ("nomatch", "noinput", "exhausted"):
                if node.get(event):
                    found.extend(_ops_mutants(name, node[event], (*root, event), ctx))
        else:
            found.extend(_ops_mutants(name, node["ops"], (*root, "ops"), ctx))
    found.sort(key=lambda m: m.line)
    return _once(found)


def _once(found: list[Mutant]) -> list[Mutant]:
    """Each distinct change once (a value spoken twice in a sentence gives the same edit)."""
    seen: set[str] = set()
    out = []
    for mutant in found:
        key = getattr(mutant.apply, "key", None)
        if key is None or key not in seen:
            out.append(mutant)
            if key is not None:
                seen.add(key)
    return out


def _records_of_variables(ir: Mapping[str, Any], records: Mapping[str, Mapping[str, str]]
                          ) -> dict[str, Mapping[str, str]]:
    """Which record each variable holds: `lookup c = customer(…)`, a campaign's `target`."""
    out: dict[str, Mapping[str, str]] = {}
    for campaign in (ir.get("campaigns") or {}).values():
        source = (campaign.get("targets") or {}).get("source")
        if source in records:
            out["target"] = records[source]
    for op in _all_ops(ir):
        if op["op"] == "lookup" and op["name"] in records:
            out[op["var"]] = records[op["name"]]
    return out


def _fields_read(ir: Mapping[str, Any]) -> dict[str, set[str]]:
    """Every `var.field` the flow reads anywhere (in conditions, sentences, tickets …)."""
    read: dict[str, set[str]] = {}

    def visit(value: Any) -> None:
        if isinstance(value, Mapping):
            got = value.get("get")
            if isinstance(got, list) and len(got) == 2 and isinstance(got[0], Mapping) \
                    and isinstance(got[0].get("var"), str):
                read.setdefault(got[0]["var"], set()).add(got[1])
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(ir["nodes"])
    return read


def _all_ops(ir: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    def walk(ops: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        for op in ops:
            yield op
            for handler in (op.get("on") or {}).values():
                yield from walk(handler["ops"])
            for branch in op.get("branches") or []:
                yield from walk(branch["ops"])

    for node in ir["nodes"].values():
        if node["kind"] == "menu":
            for ops in (*node["keys"].values(),
                        *(node[e] for e in ("nomatch", "noinput", "exhausted") if node.get(e))):
                yield from walk(ops)
        else:
            yield from walk(node["ops"])


def _menu_mutants(name: str, node: Mapping[str, Any], root: Path) -> Iterator[Mutant]:
    keys = list(node["keys"])
    for a, b in itertools.pairwise(keys):
        if _same_ops(node["keys"][a], node["keys"][b]):
            continue    # equivalent: both keys do the same
        yield Mutant(name, node["line"], f"menu `{name}`: keys {a} and {b} swapped",
                     _swap((*root, "keys"), a, b))
    for key in keys:
        yield Mutant(name, node["line"], f"menu `{name}`: key {key} removed",
                     _delete((*root, "keys"), key))
    if node.get("tries", 1) > 1:
        yield Mutant(name, node["line"], f"menu `{name}`: one try fewer",
                     _set((*root, "tries"), node["tries"] - 1))


def _same_ops(a: Any, b: Any) -> bool:
    """Two branches that run the same statements (their source lines aside)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        keys = (set(a) | set(b)) - {"line"}
        return all(_same_ops(a.get(k), b.get(k)) for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_ops(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _ops_mutants(node: str, ops: list[Mapping[str, Any]], path: Path,
                 ctx: _Context) -> Iterator[Mutant]:
    for i, op in enumerate(ops):
        here = (*path, i)
        line = op.get("line", 0)
        kind = op["op"]
        if kind not in ("goto", "return") and not _last_plain_hangup(ops, i):
            yield Mutant(node, line, f"`{kind}` dropped", _delete(path, i))
        yield from _op_mutants(node, op, here, line, ctx)
        for event, handler in (op.get("on") or {}).items():
            yield from _ops_mutants(node, handler["ops"], (*here, "on", event, "ops"), ctx)
        for b, branch in enumerate(op.get("branches") or []):
            yield from _ops_mutants(node, branch["ops"], (*here, "branches", b, "ops"), ctx)


def _last_plain_hangup(ops: list[Mapping[str, Any]], i: int) -> bool:
    """Dropping it changes nothing a caller notices: a step that ends hangs up the same way."""
    op = ops[i]
    return i == len(ops) - 1 and op["op"] == "hangup" and op.get("cause") == "NORMAL_CLEARING"


def _op_mutants(node: str, op: Mapping[str, Any], here: Path, line: int,
                ctx: _Context) -> Iterator[Mutant]:
    kind = op["op"]
    if kind in ("goto", "call") and op.get("node") in ctx.nodes:
        other = _neighbour(ctx.nodes, op["node"])
        if other:
            yield Mutant(node, line, f"`{kind} {op['node']}` goes to `{other}` instead",
                         _set((*here, "node"), other))
    elif kind == "goto" and op.get("flow") in ctx.flows:
        other = _neighbour(ctx.flows, op["flow"])
        if other:
            yield Mutant(node, line, f"`goto flow {op['flow']}` goes to flow `{other}` instead",
                         _set((*here, "flow"), other))
    elif kind == "ticket":
        yield from _ticket_mutants(node, op, here, line, ctx)
    elif kind == "queue":
        yield Mutant(node, line, f"queue {op['queue']}: priority changed",
                     _set((*here, "priority"), 0 if op.get("priority") else 50))
    elif kind == "fax":
        yield from _fax_mutants(node, op, here, line, ctx)
    elif kind in ("say", "log"):
        yield from _fmt_mutants(node, op["text"], (*here, "text"), line, kind, ctx)
    elif kind == "set":
        yield from _expr_mutants(node, op["value"], (*here, "value"), line, f"set {op['var']}")
        yield from _field_swaps(node, op["value"], (*here, "value"), line,
                                f"set {op['var']}", ctx)
    elif kind == "if":
        for b, branch in enumerate(op["branches"]):
            if branch["cond"] is not None:
                yield Mutant(node, line, f"`if` condition {b + 1} inverted",
                             _set((*here, "branches", b, "cond"), {"not": branch["cond"]}))
                yield from _expr_mutants(node, branch["cond"],
                                         (*here, "branches", b, "cond"), line, "condition")
    elif kind == "hangup" and op.get("cause") != "NORMAL_CLEARING":
        yield Mutant(node, line, "hang-up cause NORMAL_CLEARING",
                     _set((*here, "cause"), "NORMAL_CLEARING"))
    if kind != "fax" and isinstance(op.get("dest"), Mapping):
        yield from _expr_mutants(node, op["dest"], (*here, "dest"), line, f"{kind} dest")


_CALLER = {"var": "caller"}


def _ticket_mutants(node: str, op: Mapping[str, Any], here: Path, line: int,
                    ctx: _Context) -> Iterator[Mutant]:
    """What the agent reads: the flag, the severity, each field."""
    kind = f"ticket {op['type']}"
    yield Mutant(node, line, f"{kind}: confidential flipped",
                 _set((*here, "confidential"), not op.get("confidential")))
    if op.get("severity"):
        worse = op["severity"] + 1 if op["severity"] < 4 else op["severity"] - 1
        yield Mutant(node, line, f"{kind}: severity {worse}", _set((*here, "severity"), worse))
    for name, expr in (op.get("fields") or {}).items():
        yield Mutant(node, line, f"{kind}: field `{name}` left out",
                     _delete((*here, "fields"), name))
        if expr != _CALLER:     # already the caller ID: the same ticket
            yield Mutant(node, line, f"{kind}: field `{name}` = caller ID",
                         _set((*here, "fields", name), _CALLER))
        where = (*here, "fields", name)
        yield from _expr_mutants(node, expr, where, line, f"{kind} field `{name}`")
        yield from _field_swaps(node, expr, where, line, f"{kind} field `{name}`", ctx)


def _fax_mutants(node: str, op: Mapping[str, Any], here: Path, line: int,
                 ctx: _Context) -> Iterator[Mutant]:
    """What the recipient gets, and where: each field, the number."""
    kind = f"fax {op['document']}"
    for name, expr in (op.get("fields") or {}).items():
        where = (*here, "fields", name)
        yield Mutant(node, line, f"{kind}: field `{name}` left out",
                     _delete((*here, "fields"), name))
        yield from _expr_mutants(node, expr, where, line, f"{kind} field `{name}`")
        yield from _field_swaps(node, expr, where, line, f"{kind} field `{name}`", ctx)
    if isinstance(op.get("to"), Mapping):
        if op["to"] != _CALLER:
            yield Mutant(node, line, f"{kind}: sent to the caller ID", _set((*here, "to"),
                                                                            _CALLER))
        yield from _expr_mutants(node, op["to"], (*here, "to"), line, f"{kind} to")


def _fmt_mutants(node: str, fmt: Any, path: Path, line: int, kind: str,
                 ctx: _Context) -> Iterator[Mutant]:
    """Values spoken: each `{expr}` replaced by another value of the sentence, or by 0."""
    if not isinstance(fmt, Mapping) or "fmt" not in fmt:
        return
    parts = fmt["fmt"]
    values = [i for i, p in enumerate(parts) if not isinstance(p, str)]
    for i in values:
        expr = parts[i]["expr"]
        shown = show_expr(expr)
        verb = "spoken" if kind == "say" else "written"
        yield Mutant(node, line, f"{kind}: {{{shown}}} {verb} as 0",
                     _set((*path, "fmt", i, "expr"), {"lit": 0}))
        for other in values:
            if other != i and parts[other]["expr"] != expr:
                yield Mutant(node, line, f"{kind}: {{{shown}}} {verb} in place of "
                             f"{{{show_expr(parts[other]['expr'])}}}",
                             _set((*path, "fmt", other, "expr"), expr))
                break
        yield from _field_swaps(node, expr, (*path, "fmt", i, "expr"), line, kind, ctx)


_FLIP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==",
         "and": "or", "or": "and", "+": "-", "-": "+", "*": "/", "/": "*"}


def _expr_mutants(node: str, expr: Any, path: Path, line: int, where: str) -> Iterator[Mutant]:
    """Operators changed and number literals moved by one, anywhere in an expression."""
    if not isinstance(expr, Mapping):
        return
    if "bin" in expr and expr["bin"] in _FLIP:
        yield Mutant(node, line, f"{where}: `{expr['bin']}` became `{_FLIP[expr['bin']]}`",
                     _set((*path, "bin"), _FLIP[expr["bin"]]))
        yield from _expr_mutants(node, expr["l"], (*path, "l"), line, where)
        yield from _expr_mutants(node, expr["r"], (*path, "r"), line, where)
    elif "not" in expr:
        yield Mutant(node, line, f"{where}: `not` dropped", _set(path, expr["not"]))
    elif "lit" in expr and isinstance(expr["lit"], int | float) \
            and not isinstance(expr["lit"], bool):
        yield Mutant(node, line, f"{where}: {expr['lit']} became {expr['lit'] + 1}",
                     _set((*path, "lit"), expr["lit"] + 1))
    elif "lit" in expr and isinstance(expr["lit"], bool):
        yield Mutant(node, line, f"{where}: {expr['lit']} became {not expr['lit']}",
                     _set((*path, "lit"), not expr["lit"]))
    elif "lit" in expr and isinstance(expr["lit"], str) and expr["lit"]:
        yield Mutant(node, line, f"{where}: text {expr['lit']!r} emptied",
                     _set((*path, "lit"), ""))


def _field_swaps(node: str, expr: Any, path: Path, line: int, kind: str,
                 ctx: _Context) -> Iterator[Mutant]:
    """`c.month_usage` read as `c.year_usage`: the same record's other fields of the same
    type that the flow reads too (the fields an author can mix up), else the next one."""
    if not (isinstance(expr, Mapping) and "get" in expr):
        return
    obj, name = expr["get"]
    var = obj.get("var") if isinstance(obj, Mapping) else None
    record = ctx.records.get(var) if var else None
    if not record or name not in record:
        return
    names = list(record)
    same_type = [f for f in names[names.index(name) + 1:] + names[:names.index(name)]
                 if record[f] == record[name]]
    read = [f for f in same_type if f in ctx.read.get(var, ())]
    for other in read or same_type[:1]:
        yield Mutant(node, line, f"{kind}: `.{name}` read as `.{other}`",
                     _set((*path, "get"), [obj, other]))


def _neighbour(names: list[str], name: str) -> str | None:
    i = names.index(name)
    others = names[i + 1:] + names[:i]
    return others[0] if others else None


# ---------------------------------------------------------------- applying


def _walk(ir: dict[str, Any], path: Path) -> Any:
    here: Any = ir
    for step in path:
        here = here[step]
    return here


@dataclass(frozen=True)
class _Change:
    """One edit of the IR; `key` says what it does, so the same edit is tried once."""

    key: str
    where: Path                       # the container the edit changes
    edit: Callable[[dict[str, Any]], None]

    def __call__(self, ir: dict[str, Any]) -> None:
        self.edit(ir)


def _set(path: Path, value: Any) -> _Change:
    def apply(ir: dict[str, Any]) -> None:
        _walk(ir, path[:-1])[path[-1]] = copy.deepcopy(value)
    return _Change(f"set {path!r} {value!r}", path[:-1], apply)


def _delete(path: Path, key: Any) -> _Change:
    def apply(ir: dict[str, Any]) -> None:
        del _walk(ir, path)[key]
    return _Change(f"delete {path!r} {key!r}", path, apply)


def _swap(path: Path, a: str, b: str) -> _Change:
    def apply(ir: dict[str, Any]) -> None:
        where = _walk(ir, path)
        where[a], where[b] = where[b], where[a]
    return _Change(f"swap {path!r} {a!r} {b!r}", path, apply)


# ---------------------------------------------------------------- running


def run_mutation(ir: Mapping[str, Any], run: RunTest, *,
                 records: Mapping[str, Mapping[str, str]] | None = None,
                 flows: Iterable[str] = (),
                 progress: Callable[[Mutant, bool], None] | None = None) -> MutationReport:
    """Run the flow's tests against every mutant, stopping at the first test that fails.

    A mutant is tried only against the tests whose calls visited its node on
    the unchanged flow: a change elsewhere cannot alter what those tests see.
    Tests that killed a mutant of the same node go first: most mutants then
    take one run.
    """
    report = MutationReport(ir["flow"], ir["source"])
    baseline = [(test, run(ir, test)) for test in ir["tests"]]
    if not all(result.passed for _, result in baseline):
        report.baseline_passes = False
        return report
    killers: dict[str, list[int]] = {}      # node -> tests that killed there, latest first
    for mutant in mutants(ir, records, flows):
        mutated = mutant.build(ir)
        visiting = [i for i, (_, result) in enumerate(baseline) if mutant.node in result.nodes]
        first = [i for i in killers.get(mutant.node, []) if i in visiting]
        order = first + [i for i in visiting if i not in first]
        killer = next((i for i in order if not run(mutated, baseline[i][0]).passed), None)
        if killer is not None:
            killers[mutant.node] = [killer] + [i for i in first if i != killer]
        (report.survived if killer is None else report.killed).append(mutant)
        if progress:
            progress(mutant, killer is not None)
    return report


def show_expr(expr: Any) -> str:
    """An IR expression as the flow author wrote it, near enough to recognise."""
    if not isinstance(expr, Mapping):
        return repr(expr)
    if "lit" in expr:
        return repr(expr["lit"]) if isinstance(expr["lit"], str) else str(expr["lit"])
    if "var" in expr:
        return expr["var"]
    if "get" in expr:
        return f"{show_expr(expr['get'][0])}.{expr['get'][1]}"
    if "call" in expr:
        return f"{expr['call']}(" + ", ".join(show_expr(a) for a in expr["args"]) + ")"
    if "not" in expr:
        return f"not {show_expr(expr['not'])}"
    if "neg" in expr:
        return f"-{show_expr(expr['neg'])}"
    if "bin" in expr:
        return f"{show_expr(expr['l'])} {expr['bin']} {show_expr(expr['r'])}"
    return "…"
