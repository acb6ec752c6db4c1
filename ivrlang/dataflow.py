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
    if isinstance(stmt, A.Lookup | A.Submit):
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
    """The fixpoint over nodes; inside a node, one mutable set and an undo log.

    Along a node's statements the set of assigned variables only grows, so
    it is kept in one set: a branch adds to it, records what it added, and
    takes it back before the next branch; where branches meet, only what
    every completing branch added stays. Each statement thus costs what it
    adds, not the size of the set (copying a frozenset per statement made
    the pass quadratic in the number of variables). Snapshots are taken only
    where a path leaves for another node.
    """

    def __init__(self, flow: A.Flow, tracked: set[str]):
        self.nodes = {n.name: n for n in flow.nodes}
        self.tracked = tracked          # variables the flow sets somewhere
        self.entry: dict[str, Assigned] = {}
        self.todo: list[str] = []
        self.uses: list[tuple[A.Var, str]] = []   # (use, node) not surely set
        self.reporting = False
        self.assigned: set[str] = set()   # surely set at the statement being walked
        self.added: list[str] = []        # what was added to it, in order (to undo)
        self.sub_sets = {
            n.name: frozenset(v for s in G.walk(n.body) if (v := sets(s)))
            for n in flow.nodes if isinstance(n, A.Sub)
        }

    def reach(self, node: str) -> None:
        """A path arrives at `node` with the current set: its entry is the intersection."""
        if node not in self.nodes:
            return
        old = self.entry.get(node)
        if old is None:
            self.entry[node] = frozenset(self.assigned)
            self.todo.append(node)
            return
        new = old & self.assigned
        if len(new) != len(old):      # entries only shrink: a smaller one is a change
            self.entry[node] = new
            self.todo.append(node)

    def add(self, var: str) -> None:
        if var not in self.assigned:
            self.assigned.add(var)
            self.added.append(var)

    def undo(self, mark: int) -> set[str]:
        """Take back what was added since `mark`; returns it."""
        back = set(self.added[mark:])
        self.assigned -= back
        del self.added[mark:]
        return back

    def run_node(self, name: str) -> None:
        node = self.nodes[name]
        self.assigned, self.added = set(self.entry[name]), []
        for _, part in G.node_bodies(node):
            self.block(name, part.stmts if isinstance(part, A.Body) else part)
            self.undo(0)

    def block(self, node: str, stmts: list[A.Stmt]) -> bool:
        """Walk statements, adding what they set; False when the path stops here."""
        return all(self.stmt(node, stmt) for stmt in stmts)

    def branches(self, node: str, bodies: list[list[A.Stmt]], fall_through: bool) -> bool:
        """Alternative bodies from here; afterwards what every completing one set is kept."""
        mark = len(self.added)
        outs = [set()] if fall_through else []
        for stmts in bodies:
            completes = self.block(node, stmts)
            back = self.undo(mark)
            if completes:
                outs.append(back)
        if not outs:
            return False
        for var in set.intersection(*outs):
            self.add(var)
        return True

    def stmt(self, node: str, stmt: A.Stmt) -> bool:
        if self.reporting:
            for expr in expressions(stmt):
                for var in variables_in(expr):
                    if var.name in self.tracked and var.name not in self.assigned:
                        self.uses.append((var, node))
        if isinstance(stmt, A.If):
            return self.branches(node, [b.body.stmts for b in stmt.branches],
                                 fall_through=stmt.branches[-1].cond is not None)
        if isinstance(stmt, A.Goto):
            if not stmt.flow:
                self.reach(stmt.target)
            return False
        if isinstance(stmt, A.CallSub):
            self.reach(stmt.target)
            for var in self.sub_sets.get(stmt.target, ()):
                self.add(var)
            return True
        var = sets(stmt)
        if var:
            self.add(var)
        if isinstance(stmt, A.ActionStmt):
            # a handler falling through rejoins the statement's own way on
            completes = G.stmt_completes(stmt)
            handled = self.branches(node, [on.body.stmts for on in stmt.handlers],
                                    fall_through=completes)
            return completes or handled
        return True


def maybe_unset(flow: A.Flow, entries: dict[str, Assigned],
                tracked: set[str]) -> list[tuple[A.Var, str]]:
    """Uses of tracked variables that some path reaches before they are set."""
    analysis = _Analysis(flow, tracked)
    for node, assigned in entries.items():
        analysis.assigned = set(assigned)
        analysis.reach(node)
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
