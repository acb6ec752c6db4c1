"""The flow as a graph of nodes: edges, reachability, fall-through and loops.

Used by the checker (unreachable nodes, steps that fall off their end,
loops with no way out) and by the graph export.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from . import ast as A
from .diagnostics import Span

LEAVES = (A.Hangup, A.Queue, A.Transfer)  # statements that can end the call


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str       # "", a menu key, or an event such as "fail"
    kind: str        # "goto" | "call" | "failure"
    span: Span


def walk(stmts: list[A.Stmt]) -> Iterator[A.Stmt]:
    """Every statement, including those inside branches and handlers."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, A.If):
            for br in stmt.branches:
                yield from walk(br.body.stmts)
        elif isinstance(stmt, A.ActionStmt):
            for on in stmt.handlers:
                yield from walk(on.body.stmts)


def node_bodies(node: A.Node) -> Iterator[tuple[str, A.Body | list[A.Stmt]]]:
    """(label, statements) for each part of a node."""
    if isinstance(node, A.Menu):
        for key in node.keys:
            yield key.key, key.body
        for on in node.events:
            yield on.event, on.body
    else:
        yield "", node.body


def _stmts(part: A.Body | list[A.Stmt]) -> list[A.Stmt]:
    return part.stmts if isinstance(part, A.Body) else part


def edges(node: A.Node) -> list[Edge]:
    """Outgoing edges; a branch taken on failure (fail, error, timeout…) is a failure edge."""
    out: list[Edge] = []
    for label, part in node_bodies(node):
        kind = "failure" if label in ("nomatch", "noinput", "exhausted") else "goto"
        _collect_edges(node.name, _stmts(part), label, kind, out)
    return out


def _collect_edges(source: str, stmts: list[A.Stmt], label: str, kind: str,
                   out: list[Edge]) -> None:
    for stmt in stmts:
        if isinstance(stmt, A.Goto) and not stmt.flow:
            out.append(Edge(source, stmt.target, label, kind, stmt.target_span or stmt.span))
        elif isinstance(stmt, A.CallSub):
            out.append(Edge(source, stmt.target, label, "call", stmt.target_span or stmt.span))
        elif isinstance(stmt, A.If):
            for br in stmt.branches:
                _collect_edges(source, br.body.stmts, label, kind, out)
        if isinstance(stmt, A.ActionStmt):
            for on in stmt.handlers:
                _collect_edges(source, on.body.stmts, on.event, "failure", out)


def completes(stmts: list[A.Stmt]) -> bool:
    """Can execution run past the last of these statements?"""
    return all(stmt_completes(s) for s in stmts)


def stmt_completes(stmt: A.Stmt) -> bool:
    if isinstance(stmt, A.Goto | A.Hangup | A.Return):
        return False
    if isinstance(stmt, A.Queue | A.Transfer):
        # handing the call over ends it; only a handler that falls through continues
        return any(completes(on.body.stmts) for on in stmt.handlers)
    if isinstance(stmt, A.If):
        if stmt.branches[-1].cond is not None:
            return True
        return any(completes(br.body.stmts) for br in stmt.branches)
    return True


def first_dead(stmts: list[A.Stmt]) -> A.Stmt | None:
    """The first statement that follows one which never completes."""
    for before, after in pairwise(stmts):
        if not stmt_completes(before):
            return after
    return None


def can_end_call(node: A.Node) -> bool:
    """Does the node contain any way for the call to end or leave the flow?"""
    for _, part in node_bodies(node):
        for stmt in walk(_stmts(part)):
            if isinstance(stmt, LEAVES) or (isinstance(stmt, A.Goto) and stmt.flow):
                return True
            if isinstance(stmt, A.Collect) and stmt.handler("fail") is None:
                return True
            if isinstance(stmt, A.Lookup) and stmt.handler("error") is None:
                return True
    if isinstance(node, A.Step) and completes(node.body):
        return True
    if isinstance(node, A.Menu):
        exhausted = next((e for e in node.events if e.event == "exhausted"), None)
        return exhausted is None or completes(exhausted.body.stmts)
    return False


def reachable(flow: A.Flow, entries: list[str]) -> set[str]:
    by_name = {n.name: n for n in flow.nodes}
    seen: set[str] = set()
    todo = [e for e in entries if e in by_name]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(e.target for e in edges(by_name[name]) if e.target in by_name)
    return seen


def strongly_connected(names: list[str], succ: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (flows can have thousands of nodes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in names:
        if root in index:
            continue
        work = [(root, iter(succ.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ.get(w, ()))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                result.append(comp)
    return result


def trapped_loops(flow: A.Flow) -> list[list[str]]:
    """Cycles of goto edges from which no node leaves the cycle or ends the call."""
    by_name = {n.name: n for n in flow.nodes}
    succ = {n.name: [e.target for e in edges(n) if e.target in by_name and e.kind != "call"]
            for n in flow.nodes}
    trapped = []
    for comp in strongly_connected([n.name for n in flow.nodes], succ):
        members = set(comp)
        cyclic = len(comp) > 1 or comp[0] in succ.get(comp[0], ())
        if not cyclic:
            continue
        leaves = any(t not in members for name in comp for t in succ[name])
        if leaves or any(can_end_call(by_name[name]) for name in comp):
            continue
        trapped.append(sorted(comp, key=[n.name for n in flow.nodes].index))
    return trapped
