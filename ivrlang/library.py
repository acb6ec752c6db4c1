"""Libraries: subs and calendars written once and used by several flows.

A library file starts `library NAME` instead of `flow NAME` and holds subs
and calendars only. A flow that says `use NAME` in its header can `call`
the library's subs and `open()` (or dial in the `window` of) its calendars
as if it defined them itself. `link` does this before the flow is checked:
it adds to the flow what the flow uses from its libraries, and what those
parts use in turn, and nothing else. The checker and the compiler then see
one flow whose library parts keep their own file in their spans, so a
problem inside a library points into the library, and the IR names the
library's file for the nodes that come from it.

Names are one namespace: a name defined both by the flow and by a library
it uses, or by two of its libraries, is an error wherever it is defined.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import ast as A
from . import dataflow as D
from . import flowgraph as G
from .catalog import BUILTIN_FUNCTIONS, CALENDAR, Catalog
from .diagnostics import Diagnostic, Span, error
from .parser import NotAFlowFile, ParseResult, Source, parse_file, read_bounded
from .suggest import did_you_mean

_LIBRARY_LINE = re.compile(r"^library[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.M)
_CACHE_SIZE = 32


@dataclass
class Linked:
    """A flow with what it uses from its libraries added, and the problems on the way.

    `broken` is True when a library was not found or does not parse: checking
    the flow itself would only report the library's names as unknown.
    """

    flow: A.Flow
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)   # library files, by path
    broken: bool = False


def libraries_in(folder: str | Path) -> dict[str, str]:
    """The library files (`library NAME` at the top) in `folder`: name -> path."""
    found: dict[str, str] = {}
    base = Path(folder)
    if not base.is_dir():
        return found
    for path in sorted(base.glob("*.flow")):
        try:
            text = read_bounded(path).decode("utf-8", errors="replace")
        except (OSError, NotAFlowFile):
            continue
        m = _LIBRARY_LINE.search(text)
        if m:
            found.setdefault(m.group(1), str(path))
    return found


def link(flow: A.Flow, catalog: Catalog) -> Linked:
    """The flow with the subs and calendars it uses from its `use`d libraries added."""
    linked = Linked(flow)
    if flow.library or not flow.uses:
        return linked
    libraries = _read_uses(flow, catalog, linked)
    if linked.broken:
        return linked
    subs, calendars = _offered(flow, libraries, linked.diagnostics)
    pulled = _pull(flow, subs, calendars, catalog)
    used = {id(item) for item in pulled}
    nodes = [*flow.nodes, *(n for n in pulled if isinstance(n, A.Node))]
    cals = [*flow.calendars, *(c for c in pulled if isinstance(c, A.Calendar))]
    offered = {name: lib for name, (item, lib) in {**subs, **calendars}.items()
               if id(item) not in used}
    linked.flow = dataclasses.replace(flow, nodes=nodes, calendars=cals, offered=offered)
    return linked


# ---------------------------------------------------------------- reading the libraries


def _read_uses(flow: A.Flow, catalog: Catalog, linked: Linked) -> list[tuple[str, Span, A.Flow]]:
    found: list[tuple[str, Span, A.Flow]] = []
    seen: dict[str, Span] = {}
    for name, span in flow.uses:
        if name in seen:
            linked.diagnostics.append(error("E701", span, f"`use {name}` is given twice",
                                            f"the first is on line {seen[name].line}"))
            continue
        seen[name] = span
        path = _path_of(name, flow.file, catalog)
        if path is None:
            linked.broken = True      # its names would all be reported unknown
            known = _known(flow.file, catalog)
            linked.diagnostics.append(error(
                "E710", span, f"unknown library `{name}`",
                did_you_mean(name, known) or
                (f"libraries: {', '.join(sorted(known))}" if known else
                 f"a library is a file `{name}.flow` beside the flow, "
                 f"starting with `library {name}`")))
            continue
        result = _parse(path)
        if result.source is not None:
            linked.sources[path] = result.source
        if result.flow is None or any(d.is_error for d in result.diagnostics):
            linked.broken = True
            linked.diagnostics.append(error("E710", span, f"library `{name}` ({path}) has errors",
                                            f"fix them first: switchflow check {path}"))
            linked.diagnostics.extend(result.diagnostics)
            continue
        lib = result.flow
        if not lib.library:
            linked.diagnostics.append(error(
                "E710", span, f"`{name}` ({path}) is a flow, not a library",
                "a library starts with `library NAME`; flows hand calls to each other "
                "with `goto flow NAME`"))
        elif lib.name != name:
            linked.diagnostics.append(error("E710", span,
                                            f"{path} declares library `{lib.name}`, not `{name}`",
                                            f"write `use {lib.name}`, or rename the library"))
        else:
            found.append((name, span, lib))
    return found


def _path_of(name: str, flow_file: str, catalog: Catalog) -> str | None:
    if catalog.libraries is not None:
        return catalog.libraries.get(name)
    beside = Path(flow_file).parent / f"{name}.flow"
    return str(beside) if beside.is_file() else None


def _known(flow_file: str, catalog: Catalog) -> dict[str, str]:
    if catalog.libraries is not None:
        return catalog.libraries
    return libraries_in(Path(flow_file).parent)


_PARSED: dict[str, tuple[tuple[int, int], ParseResult]] = {}


def _parse(path: str) -> ParseResult:
    """The library parsed; kept while the file is unchanged (several flows use one)."""
    try:
        info = Path(path).stat()
        key = (info.st_mtime_ns, info.st_size)
    except OSError:
        return parse_file(path)
    cached = _PARSED.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    result = parse_file(path)
    if len(_PARSED) >= _CACHE_SIZE:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[path] = (key, result)
    return result


# ---------------------------------------------------------------- names


Offer = dict[str, tuple[A.Node | A.Calendar, str]]   # name -> (definition, library)


def _offered(flow: A.Flow, libraries: list[tuple[str, Span, A.Flow]],
             diags: list[Diagnostic]) -> tuple[Offer, Offer]:
    """Every sub and calendar of the libraries, refusing names defined twice."""
    own_nodes = {n.name: n for n in flow.nodes}
    own_cals = {c.name: c for c in flow.calendars}
    subs: Offer = {}
    cals: Offer = {}
    for lib_name, use_span, lib in libraries:
        items: list[tuple[A.Node | A.Calendar, dict, Offer, str]] = [
            (n, own_nodes, subs, "sub") for n in lib.nodes if isinstance(n, A.Sub)]
        items += [(c, own_cals, cals, "calendar") for c in lib.calendars]
        for item, own, pool, kind in items:
            where = _where(item)
            mine = own.get(item.name)
            if mine is not None:
                diags.append(error("E107", _where(mine),
                                   f"`{item.name}` is also defined in library `{lib_name}` "
                                   f"({where.file}:{where.line})",
                                   "a name means one thing: remove this one to use the "
                                   "library's, or rename it"))
            elif item.name in pool:
                other, other_lib = pool[item.name]
                first = _where(other)
                diags.append(error("E107", use_span,
                                   f"libraries `{other_lib}` and `{lib_name}` both define "
                                   f"{kind} `{item.name}` ({first.file}:{first.line}, "
                                   f"{where.file}:{where.line})",
                                   "a name means one thing: rename one of them"))
            else:
                pool[item.name] = (item, lib_name)
    return subs, cals


def _where(item: A.Node | A.Calendar) -> Span:
    return item.name_span if isinstance(item, A.Node) else item.span


# ---------------------------------------------------------------- what the flow uses


def _pull(flow: A.Flow, subs: Offer, calendars: Offer,
          catalog: Catalog) -> list[A.Node | A.Calendar]:
    """The library subs and calendars the flow uses, and what they use, in library order."""
    takes_calendar = {name for name, sig in {**catalog.functions, **BUILTIN_FUNCTIONS}.items()
                      if any(p.type == CALENDAR for p in sig.params)}
    pulled: dict[int, A.Node | A.Calendar] = {}
    todo: deque[str] = deque()

    def want(names: Iterable[str]) -> None:
        todo.extend(names)

    for node in flow.nodes:
        want(_names_used(_statements(node), takes_calendar))
    for const in flow.consts:
        want(_calendars_in(const.value, takes_calendar))
    want(c.window_calendar for c in flow.campaigns if c.window_calendar)
    for cal in flow.calendars:
        want(name for name, _ in cal.tables)
    while todo:
        name = todo.popleft()
        found = subs.get(name) or calendars.get(name)
        if found is None or id(found[0]) in pulled:
            continue
        item = found[0]
        pulled[id(item)] = item
        if isinstance(item, A.Calendar):
            want(table for table, _ in item.tables)
        else:
            want(_names_used(_statements(item), takes_calendar))
    return sorted(pulled.values(), key=lambda i: (_where(i).file, _where(i).line))


def _statements(node: A.Node) -> Iterator[A.Stmt]:
    for _, part in G.node_bodies(node):
        yield from G.walk(part.stmts if isinstance(part, A.Body) else part)


def _names_used(stmts: Iterable[A.Stmt], takes_calendar: set[str]) -> Iterator[str]:
    """Subs called and calendars named (`open(office)`) by the statements."""
    for stmt in stmts:
        if isinstance(stmt, A.CallSub):
            yield stmt.target
        for expr in D.expressions(stmt):
            yield from _calendars_in(expr, takes_calendar)


def _calendars_in(expr: A.Expr | None, takes_calendar: set[str]) -> Iterator[str]:
    """Calendar names given to functions that take one, anywhere inside `expr`."""
    match expr:
        case A.Call():
            if expr.name in takes_calendar:
                yield from (a.name for a in expr.args if isinstance(a, A.Var))
            for a in [*expr.args, *(k.value for k in expr.kwargs)]:
                yield from _calendars_in(a, takes_calendar)
        case A.FieldGet():
            yield from _calendars_in(expr.obj, takes_calendar)
        case A.Unary():
            yield from _calendars_in(expr.operand, takes_calendar)
        case A.Binary():
            yield from _calendars_in(expr.left, takes_calendar)
            yield from _calendars_in(expr.right, takes_calendar)
        case A.ListExpr():
            for item in expr.items:
                yield from _calendars_in(item, takes_calendar)
        case A.RecordExpr():
            for _, value in expr.items:
                yield from _calendars_in(value, takes_calendar)
        case A.Template():
            for part in expr.parts:
                if isinstance(part, A.Interp):
                    yield from _calendars_in(part.expr, takes_calendar)


# ---------------------------------------------------------------- the library file itself


def library_problems(lib: A.Flow) -> Iterator[tuple[Span, str, str]]:
    """(span, message, help) for each part of a library that only a flow may have."""
    def where(what: str) -> tuple[str, str]:
        return (f"a library holds subs and calendars only; {what} belongs in a flow",
                f"move it into the flows that `use {lib.name}`")

    for line in lib.header:
        if line.key == "timezone":
            yield line.span, *where("`timezone`")
    for _, span in lib.numbers[:1]:
        yield span, *where("`number`")
    for name, span in lib.uses:
        yield span, (f"a library cannot use another library (`use {name}`)"), \
            f"put what `{lib.name}` needs from `{name}` into one of them"
    for const in lib.consts:
        yield const.span, *where(f"`set {const.var}`")
    for opt in lib.settings:
        yield opt.span, *where(f"the setting `{opt.name}`")
    for node in lib.nodes:
        if not isinstance(node, A.Sub):
            yield node.name_span, *where(f"{node.kind} `{node.name}`")
    for camp in lib.campaigns:
        yield camp.name_span, *where(f"campaign `{camp.name}`")
    for test in lib.tests:
        yield test.span, (f"test `{test.name}`: a library's subs are tested by the flows "
                          "that use them"), "move the test into a flow that calls the sub"
