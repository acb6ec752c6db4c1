"""Definite assignment: variables used on a path where nothing set them yet.

A forward analysis over nodes: the set of variables surely set on entry to
a node is the intersection over every way in. Statements that name a
variable (`collect`, `lookup`, `record`, `set`, `ticket … as`) set it on
every outcome, even failure (to "" or none), so only ordering matters.
A `call` is taken to set everything its sub sets anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import ast as A
from . import flowgraph as G

Assigned = frozenset[str]


def expressions(stmt: A.Stmt) -> Iterator[A.Expr]:
    """The expressions a statement evaluates itself (not those of its handlers)."""
    if isinstance(stmt, A.If):
        yield from (b.cond for b in stmt.branches if b.cond is not None)
        return
    for attr in ("value", "text", "dest"):
        value = getattr(stmt, attr, None)
        if isinstance(value, A.Expr):
            yield value
    if isinstance(stmt, A.Say):
        yield from (t.text for t in stmt.texts)
    if isinstance(stmt, A.Lookup):
        yield from stmt.args
        yield from (k.value for k in stmt.kwargs)
    if isinstance(stmt, A.ActionStmt):
        yield from (o.value for o in stmt.options if isinstance(o.value, A.Expr))


def variables_in(expr: A.Expr) -> Iterator[A.Var]:
    match expr:
        case A.Var():
            yield expr
        case A.FieldGet():
            yield from variables_in(expr.obj)
        case A.Call():
            for a in expr.args:
                yield from variables_in(a)
            for k in expr.kwargs:
                yield from variables_in(k.value)
        case A.Unary():
            yield from variables_in(expr.operand)
        case A.Binary():
            yield from variables_in(expr.left)
            yield from variables_in(expr.right)
        case A.ListExpr():
            for i in expr.items:
                yield from variables_in(i)
        case A.RecordExpr():
            for _, v in expr.items:
                yield from variables_in(v)
        case A.Template():
            for p in expr.parts:
                if isinstance(p, A.Interp):
                    yield from variables_in(p.expr)


def sets(stmt: A.Stmt) -> str | None:
    if isinstance(stmt, A.Collect | A.Record | A.Lookup | A.SetVar):
        return stmt.var
    if isinstance(stmt, A.Ticket):
        return stmt.var
    return None


class _Analysis:
    def __init__(self, flow: A.Flow, tracked: set[str]):
        self.nodes = {n.name: n for n in flow.nodes}
        self.tracked = tracked          # variables the flow sets somewhere
        self.entry: dict[str, Assigned] = {}
        self.todo: list[str] = []
        self.uses: list[tuple[A.Var, str]] = []   # (use, node) not surely set
        self.reporting = False
        self.sub_sets = {
            n.name: frozenset(v for s in G.walk(n.body) if (v := sets(s)))
            for n in flow.nodes if isinstance(n, A.Sub)
        }

    def reach(self, node: str, assigned: Assigned) -> None:
        if node not in self.nodes:
            return
        old = self.entry.get(node)
        new = assigned if old is None else old & assigned
        if new != old:
            self.entry[node] = new
            self.todo.append(node)

    def run_node(self, name: str) -> None:
        node = self.nodes[name]
        start = self.entry[name]
        for _, part in G.node_bodies(node):
            self.block(name, part.stmts if isinstance(part, A.Body) else part, start)

    def block(self, node: str, stmts: list[A.Stmt], assigned: Assigned) -> Assigned | None:
        current: Assigned | None = assigned
        for stmt in stmts:
            if current is None:
                return None
            current = self.stmt(node, stmt, current)
        return current

    def stmt(self, node: str, stmt: A.Stmt, assigned: Assigned) -> Assigned | None:
        if self.reporting:
            for expr in expressions(stmt):
                for var in variables_in(expr):
                    if var.name in self.tracked and var.name not in assigned:
                        self.uses.append((var, node))
        if isinstance(stmt, A.If):
            outs = [self.block(node, b.body.stmts, assigned) for b in stmt.branches]
            if stmt.branches[-1].cond is not None:
                outs.append(assigned)
            live = [o for o in outs if o is not None]
            return frozenset.intersection(*live) if live else None
        var = sets(stmt)
        after = assigned | {var} if var else assigned
        if isinstance(stmt, A.Goto):
            if not stmt.flow:
                self.reach(stmt.target, assigned)
            return None
        if isinstance(stmt, A.CallSub):
            self.reach(stmt.target, assigned)
            return assigned | self.sub_sets.get(stmt.target, frozenset())
        if isinstance(stmt, A.ActionStmt):
            falls = [self.block(node, on.body.stmts, after) for on in stmt.handlers]
            if not G.stmt_completes(stmt):
                live = [f for f in falls if f is not None]
                return frozenset.intersection(*live) if live else None
            for f in falls:
                if f is not None:
                    after = after & f
        return after


def maybe_unset(flow: A.Flow, entries: dict[str, Assigned],
                tracked: set[str]) -> list[tuple[A.Var, str]]:
    """Uses of tracked variables that some path reaches before they are set."""
    analysis = _Analysis(flow, tracked)
    for node, assigned in entries.items():
        analysis.reach(node, assigned)
    while analysis.todo:
        analysis.run_node(analysis.todo.pop())
    analysis.reporting = True
    for name in list(analysis.entry):
        analysis.run_node(name)
    seen: set[tuple[str, str]] = set()
    out = []
    for var, node in analysis.uses:
        if (node, var.name) not in seen:
            seen.add((node, var.name))
            out.append((var, node))
    return out
