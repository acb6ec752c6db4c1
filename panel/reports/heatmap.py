"""The IVR heat map: the flow's own graph (ivrlang.graph, as `switchflow graph` draws it)
with each node coloured by how many callers left the IVR there and each menu key's
edge labelled with how often it was pressed.

The picture is ivrlang's DOT left as it is, plus one later statement per node
(Graphviz merges a node's attributes, so the later fill and label win) and
key edges relabelled in place; Graphviz `dot` turns it into SVG on the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath

from ivrlang import ast as A
from ivrlang.catalog import Catalog
from ivrlang.graph import dot_quote, render, to_dot
from ivrlang.library import link
from ivrlang.parser import parse_file
from store.reports.ivrheat import FlowHeat

# light to dark: how many of the callers reaching the IVR left at a node
RAMP = ("#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")
UNREACHED = "#f4f4f4"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
# an edge line of ivrlang.graph.to_dot whose label is a menu key (digits, * #, [0-9] classes)
_EDGE = re.compile(rf'^  ({_QUOTED}) -> ({_QUOTED}) \[label="([0-9*#\[\]-]+)"(.*)\];$')


class FlowNotFound(LookupError):
    """No flow file of that name; the message says where it was looked for."""


@dataclass(frozen=True)
class FlowSource:
    name: str
    path: Path


def flow_sources(compiled: Iterable[Mapping], flows_dir: Path) -> dict[str, FlowSource]:
    """Flows the panel can draw: the compiled ones it was given, else the files in [paths] flows."""
    found = {ir["flow"]: FlowSource(ir["flow"], Path(ir["source"]))
             for ir in compiled if ir.get("flow") and ir.get("source")}
    if found:
        return found
    return {p.stem: FlowSource(p.stem, p) for p in sorted(flows_dir.glob("*.flow"))}


def load_flow(source: FlowSource) -> A.Flow:
    """The flow's AST with the subs it uses from libraries, as `switchflow graph` draws it."""
    result = parse_file(str(source.path))
    if result.flow is None or result.flow.name != source.name:
        raise FlowNotFound(f"flow `{source.name}` does not parse from {source.path}; "
                           f"run `switchflow check {source.path}`")
    return link(result.flow, Catalog()).flow


def colour(left: int, most: int) -> str:
    if most <= 0 or left <= 0:
        return RAMP[0]
    return RAMP[min(len(RAMP) - 1, 1 + (len(RAMP) - 2) * left // most)]


def heat_dot(flow: A.Flow, heat: FlowHeat) -> str:
    """The flow's DOT with the heat laid on it."""
    lines = to_dot(flow).rstrip("\n").split("\n")   # the last line closes the digraph
    most = max(heat.left.values(), default=0)
    menus = {n.name for n in flow.nodes if n.kind == "menu"}
    out = []
    for line in lines[:-1]:
        m = _EDGE.match(line)
        if m and _unquote(m.group(1)) in menus and heat.reached[_unquote(m.group(1))]:
            menu, key = _unquote(m.group(1)), m.group(3)
            presses = heat.keys[(menu, key)]
            width = 1 + 4 * presses / max(heat.keys.values(), default=1) if presses else 1
            line = (f"  {m.group(1)} -> {m.group(2)} [label={dot_quote(f'{key} ×{presses}')}"
                    f"{m.group(4)}, penwidth={width:.2f}];")
        out.append(line)
    out.append("")
    out.append("  // heat: callers leaving the IVR at each node, key presses on menu edges")
    for node in flow.nodes:
        reached, left = heat.reached[node.name], heat.left[node.name]
        name = node.name
        if node.name_span.file != flow.file:     # a sub from a library, named as ivrlang does
            name = f"{node.name} ({PurePath(node.name_span.file).name})"
        if not reached and not left:
            attrs = f'fillcolor="{UNREACHED}", fontcolor="#8a8a8a", color="#bbbbbb"'
            label = name
        else:
            fill = colour(left, most)
            dark = fill in RAMP[-2:]
            attrs = f'fillcolor="{fill}"' + (", fontcolor=white" if dark else "")
            label = f"{name}\nleft here: {left}\nreached: {reached}"
            if left:
                hows = ", ".join(f"{how} {n}" for how, n in heat.how[node.name].most_common())
                attrs += f", tooltip={dot_quote(hows)}"
        out.append(f"  {dot_quote(node.name)} [label={dot_quote(label)}, {attrs}];")
    out.append("}")
    return "\n".join(out) + "\n"


def heat_svg(flow: A.Flow, heat: FlowHeat) -> bytes:
    """The heat map as SVG (Graphviz `dot`; ivrlang.graph.GraphvizError when it cannot)."""
    return render(heat_dot(flow, heat), "svg", timeout=20)


def _unquote(quoted: str) -> str:
    return re.sub(r'\\(.)', r"\1", quoted[1:-1])
