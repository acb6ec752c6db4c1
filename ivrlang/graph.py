"""Pictures of a flow: Graphviz DOT, Mermaid, and DOT rendered by Graphviz.

One picture node per flow node (steps as boxes, menus as hexagons, subs as
components), a `start` marker pointing at `step start`, one entry per
campaign pointing at its `on answer` (and `on machine`) node, and small end
nodes where a node queues, transfers or hangs up. Edges are those of
flowgraph.edges(), labelled with the menu key or the event; failure edges
(fail, error, notfound, timeout, nomatch, noinput, exhausted…) are dashed,
`call` edges dotted. The same flow always gives the same bytes.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import PurePath

from . import ast as A
from . import flowgraph as FG
from .fmt import format_expr

FONT = "WenQuanYi Zen Hei, Noto Sans CJK SC, sans-serif"
FORMATS = ("svg", "png", "pdf")
FAILURE_COLOR = "#b03a2e"

# menu events that are failures, as in flowgraph.edges()
_MENU_FAILURES = ("nomatch", "noinput", "exhausted")


class GraphvizError(RuntimeError):
    """Graphviz could not draw the graph."""


class GraphvizMissing(GraphvizError):
    """The `dot` program is not installed."""


# ---------------------------------------------------------------- the picture, format-free


@dataclass(frozen=True)
class _Vertex:
    key: str     # DOT id: the node's own name, or `@…` for markers (never a NAME)
    mid: str     # Mermaid id: letters, digits and `_` only
    label: str
    kind: str    # start | step | menu | sub | campaign | end | missing


@dataclass(frozen=True)
class _Arc:
    source: str  # vertex keys
    target: str
    label: str
    kind: str    # goto | failure | call | entry


def _model(flow: A.Flow) -> tuple[list[_Vertex], list[_Arc]]:
    vertices: list[_Vertex] = []
    arcs: list[_Arc] = []
    names = {n.name for n in flow.nodes}
    missing: dict[str, _Vertex] = {}
    seen_arcs: set[_Arc] = set()

    def target(name: str) -> str:
        if name in names:
            return name
        if name not in missing:
            missing[name] = _Vertex(f"@missing:{name}", f"m_{name}", f"{name} ?", "missing")
        return missing[name].key

    def arc(source: str, dest: str, label: str, kind: str) -> None:
        a = _Arc(source, dest, label, kind)
        if a not in seen_arcs:
            seen_arcs.add(a)
            arcs.append(a)

    if "start" in names:
        vertices.append(_Vertex("@start", "entry", "start", "start"))
        arc("@start", "start", "", "entry")
    for node in flow.nodes:
        label = node.name
        if node.name_span.file != flow.file:   # a sub from a library the flow uses
            label = f"{node.name} ({PurePath(node.name_span.file).name})"
        vertices.append(_Vertex(node.name, f"n_{node.name}", label, node.kind))
        for e in FG.edges(node):
            arc(node.name, target(e.target), e.label, e.kind)
        ends: dict[str, _Vertex] = {}
        for text, label, kind in _ends(node):
            if text not in ends:
                n = len(ends) + 1
                ends[text] = _Vertex(f"@end:{node.name}:{n}", f"t_{node.name}_{n}", text, "end")
                vertices.append(ends[text])
            arc(node.name, ends[text].key, label, kind)
    for camp in flow.campaigns:
        key = f"@campaign:{camp.name}"
        vertices.append(_Vertex(key, f"c_{camp.name}", camp.name, "campaign"))
        for event, dest, _span in camp.outcomes:
            arc(key, target(dest), event, "goto")
    vertices.extend(missing.values())
    return vertices, arcs


def _ends(node: A.Node) -> list[tuple[str, str, str]]:
    """(end text, edge label, edge kind) for each queue, transfer and hangup of a node."""
    out: list[tuple[str, str, str]] = []
    for label, part in FG.node_bodies(node):
        stmts = part.stmts if isinstance(part, A.Body) else part
        kind = "failure" if label in _MENU_FAILURES else "goto"
        _collect_ends(stmts, label, kind, out)
    return out


def _collect_ends(stmts: list[A.Stmt], label: str, kind: str,
                  out: list[tuple[str, str, str]]) -> None:
    for stmt in stmts:
        if isinstance(stmt, A.Queue):
            out.append((f"queue {stmt.queue}", label, kind))
        elif isinstance(stmt, A.Transfer) and stmt.dest is not None:
            target = "" if stmt.kind == "number" else f"{stmt.kind} "
            out.append((f"transfer {target}{format_expr(stmt.dest)}", label, kind))
        elif isinstance(stmt, A.Goto) and stmt.flow:
            out.append((f"flow {stmt.target}", label, kind))
        elif isinstance(stmt, A.Hangup):
            out.append(("hangup" + (f" {stmt.cause}" if stmt.cause else ""), label, kind))
        elif isinstance(stmt, A.If):
            for br in stmt.branches:
                _collect_ends(br.body.stmts, label, kind, out)
        if isinstance(stmt, A.ActionStmt):
            for on in stmt.handlers:
                _collect_ends(on.body.stmts, on.event, "failure", out)


def _title(flow: A.Flow) -> str:
    return f"{flow.title} ({flow.name})" if flow.title else flow.name


# ---------------------------------------------------------------- Graphviz DOT

_DOT_NODE = {
    "start": 'shape=circle, style=filled, fillcolor="#333333", fontcolor=white, '
             "fontsize=9, width=0.55, fixedsize=true",
    "step": 'shape=box, style="rounded,filled", fillcolor="#e8f1fb"',
    "menu": 'shape=hexagon, style=filled, fillcolor="#fff3d4"',
    "sub": 'shape=component, style=filled, fillcolor="#e9f6e9"',
    "campaign": 'shape=cds, style=filled, fillcolor="#f1e6fa"',
    "end": 'shape=box, style="rounded,filled", fillcolor="#eeeeee", fontsize=9, '
           "height=0.3, margin=\"0.08,0.02\"",
    "missing": 'shape=box, style=dashed, color=red, fontcolor=red',
}
_DOT_EDGE = {
    "goto": "",
    "entry": "",
    "failure": f'style=dashed, color="{FAILURE_COLOR}", fontcolor="{FAILURE_COLOR}"',
    "call": "style=dotted",
}


def dot_quote(text: str) -> str:
    """A DOT double-quoted string showing `text` literally as a label."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{body}"'


def to_dot(flow: A.Flow) -> str:
    """The flow as a Graphviz digraph (UTF-8 text)."""
    vertices, arcs = _model(flow)
    font = dot_quote(FONT)
    lines = [
        f"digraph {dot_quote(flow.name)} {{",
        f'  graph [charset="UTF-8", rankdir=TB, labelloc=t, fontsize=14, fontname={font}, '
        f"label={dot_quote(_title(flow))}];",
        f"  node [fontname={font}, fontsize=11];",
        f"  edge [fontname={font}, fontsize=10];",
        "",
    ]
    for v in vertices:
        lines.append(f"  {dot_quote(v.key)} [label={dot_quote(v.label)}, {_DOT_NODE[v.kind]}];")
    lines.append("")
    for a in arcs:
        attrs = [f"label={dot_quote(a.label)}"] if a.label else []
        if _DOT_EDGE[a.kind]:
            attrs.append(_DOT_EDGE[a.kind])
        tail = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {dot_quote(a.source)} -> {dot_quote(a.target)}{tail};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- Mermaid

_MERMAID_SHAPE = {
    "start": ('((', '))'),
    "step": ('(', ')'),
    "menu": ('{{', '}}'),
    "sub": ('[[', ']]'),
    "campaign": ('>', ']'),
    "end": ('([', '])'),
    "missing": ('[', ']'),
}
_MERMAID_CLASS = {
    "start": "fill:#333333,color:#ffffff,stroke:#333333",
    "step": "fill:#e8f1fb,stroke:#4a78a8",
    "menu": "fill:#fff3d4,stroke:#b8860b",
    "sub": "fill:#e9f6e9,stroke:#3c8d3c",
    "campaign": "fill:#f1e6fa,stroke:#7d4ea8",
    "end": "fill:#eeeeee,stroke:#888888,font-size:11px",
    "missing": "fill:#ffffff,stroke:#ff0000,color:#ff0000,stroke-dasharray:4 3",
}
_MERMAID_ESCAPES = {
    '"': "#quot;", "#": "#35;", ";": "#59;", "&": "#amp;", "<": "#lt;", ">": "#gt;",
    "|": "#124;", "`": "#96;", "\n": " ", "\r": " ",
}


def mermaid_quote(text: str) -> str:
    """A Mermaid quoted label showing `text` literally (entity codes for the risky characters)."""
    return '"' + "".join(_MERMAID_ESCAPES.get(ch, ch) for ch in text) + '"'


def to_mermaid(flow: A.Flow) -> str:
    """The flow as a Mermaid flowchart."""
    vertices, arcs = _model(flow)
    mid = {v.key: v.mid for v in vertices}
    title = _title(flow).replace("\n", " ").replace("\r", " ")
    lines = ["flowchart TD", f"  %% {title}"]
    for v in vertices:
        left, right = _MERMAID_SHAPE[v.kind]
        lines.append(f"  {v.mid}{left}{mermaid_quote(v.label)}{right}:::{v.kind}_node")
    styled: dict[str, list[int]] = {"failure": [], "call": []}
    for i, a in enumerate(arcs):
        link = "-.->" if a.kind in styled else "-->"
        label = f"|{mermaid_quote(a.label)}|" if a.label else ""
        lines.append(f"  {mid[a.source]} {link}{label} {mid[a.target]}")
        if a.kind in styled:
            styled[a.kind].append(i)
    if styled["failure"]:
        lines.append("  linkStyle " + ",".join(map(str, styled["failure"]))
                     + f" stroke:{FAILURE_COLOR},color:{FAILURE_COLOR},stroke-dasharray:6 4")
    if styled["call"]:
        lines.append("  linkStyle " + ",".join(map(str, styled["call"]))
                     + " stroke-dasharray:2 3")
    for kind in sorted({v.kind for v in vertices}):
        lines.append(f"  classDef {kind}_node {_MERMAID_CLASS[kind]}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- rendering


def render(dot_text: str, fmt: str = "svg", timeout: float = 60.0) -> bytes:
    """Run Graphviz `dot -T<fmt>` on DOT text; `fmt` is svg, png or pdf."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format `{fmt}`; use one of {', '.join(FORMATS)}")
    exe = shutil.which("dot")
    hint = "install Graphviz, e.g. `apt-get install graphviz`"
    if exe is None:
        raise GraphvizMissing(f"Graphviz `dot` is not on PATH: {hint}")
    try:
        proc = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise GraphvizError(f"Graphviz `dot` took longer than {timeout:g}s") from None
    except OSError as exc:
        raise GraphvizMissing(f"cannot run Graphviz `dot` ({exc.strerror or exc}): {hint}") from exc
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise GraphvizError(f"Graphviz `dot` failed (exit {proc.returncode}): {message}")
    return proc.stdout
