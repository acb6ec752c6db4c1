"""Graph export: DOT and Mermaid text for a small flow, and rendering through Graphviz."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ivrlang.graph import (
    FONT,
    GraphvizError,
    GraphvizMissing,
    render,
    to_dot,
    to_mermaid,
)
from ivrlang.parser import parse_text

REPO = Path(__file__).resolve().parent.parent
HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")

SMALL = """\
flow small
  title "燃气 \\"热线\\" \\\\ 测试"

step start:
  answer
  goto main

menu main:
  prompt main_menu
  1 -> lookup_step
  "#" -> agent
  2: call helper; goto main
  nomatch: hangup
  exhausted -> agent

step lookup_step:
  collect account: digits 8, prompt enter_account
    on fail -> agent
  if account == "0": goto main
  transfer "95007"
    on fail -> agent

sub helper:
  play x
  return

step agent:
  queue general
    on timeout 30s -> voicemail

campaign dunning:
  targets overdue(days: 30)
  on answer -> start
"""


def flow_of(text: str = SMALL):
    result = parse_text(text, "small.flow")
    assert result.flow is not None and not result.diagnostics, result.diagnostics
    return result.flow


@pytest.fixture
def dot() -> str:
    return to_dot(flow_of())


@pytest.fixture
def mermaid() -> str:
    return to_mermaid(flow_of())


# ---------------------------------------------------------------- DOT


def test_dot_is_a_digraph_with_cjk_fonts(dot: str):
    assert dot.startswith('digraph "small" {\n')
    assert dot.rstrip().endswith("}")
    assert f'fontname="{FONT}"' in dot
    assert "Noto Sans CJK SC" in FONT and "WenQuanYi Zen Hei" in FONT
    assert 'charset="UTF-8"' in dot


def test_dot_title_is_escaped_and_keeps_chinese(dot: str):
    assert 'label="燃气 \\"热线\\" \\\\ 测试 (small)"' in dot


def test_dot_nodes_have_a_shape_per_kind(dot: str):
    assert '"@start" [label="start", shape=circle' in dot
    assert '"start" [label="start", shape=box' in dot
    assert '"main" [label="main", shape=hexagon' in dot
    assert '"helper" [label="helper", shape=component' in dot
    assert '"@campaign:dunning" [label="dunning", shape=cds' in dot


def test_dot_edges_are_labelled_and_styled(dot: str):
    assert '"@start" -> "start";' in dot
    assert '"start" -> "main";' in dot
    assert '"main" -> "lookup_step" [label="1"];' in dot
    assert '"main" -> "agent" [label="#"];' in dot
    assert '"main" -> "helper" [label="2", style=dotted];' in dot
    assert '"main" -> "main" [label="2"];' in dot
    assert re.search(r'"main" -> "agent" \[label="exhausted", style=dashed', dot)
    assert re.search(r'"lookup_step" -> "agent" \[label="fail", style=dashed', dot)
    assert re.search(r'"agent" -> "@missing:voicemail" \[label="timeout", style=dashed', dot)
    assert '"@campaign:dunning" -> "start" [label="answer"];' in dot


def test_dot_goto_edges_are_not_dashed(dot: str):
    for line in dot.splitlines():
        if '[label="1"]' in line or '"start" -> "main"' in line:
            assert "dashed" not in line and "dotted" not in line


def test_dot_end_nodes_for_queue_transfer_and_hangup(dot: str):
    assert '"@end:agent:1" [label="queue general"' in dot
    assert '"agent" -> "@end:agent:1";' in dot
    assert '"@end:lookup_step:1" [label="transfer \\"95007\\""' in dot
    assert '"@end:main:1" [label="hangup"' in dot
    assert re.search(r'"main" -> "@end:main:1" \[label="nomatch", style=dashed', dot)


def test_dot_marks_unknown_targets(dot: str):
    assert '"@missing:voicemail" [label="voicemail ?", shape=box, style=dashed' in dot


def test_duplicate_edges_are_drawn_once():
    text = SMALL.replace("  goto main\n\nmenu", "  if x: goto main\n  goto main\n\nmenu", 1)
    assert to_dot(flow_of(text)).count('"start" -> "main";') == 1


def test_output_is_deterministic():
    assert to_dot(flow_of()) == to_dot(flow_of())
    assert to_mermaid(flow_of()) == to_mermaid(flow_of())


def test_flow_without_start_has_no_start_marker():
    flow = flow_of("flow out\n\ncampaign c:\n  on answer -> call\n\nstep call:\n  hangup\n")
    dot = to_dot(flow)
    assert '"@start"' not in dot
    assert '"@campaign:c" -> "call" [label="answer"];' in dot


# ---------------------------------------------------------------- Mermaid


def test_mermaid_is_a_flowchart(mermaid: str):
    assert mermaid.startswith("flowchart")
    assert '  %% 燃气 "热线" \\ 测试 (small)' in mermaid


def test_mermaid_shapes(mermaid: str):
    assert '  entry(("start")):::start_node' in mermaid
    assert '  n_start("start"):::step_node' in mermaid
    assert '  n_main{{"main"}}:::menu_node' in mermaid
    assert '  n_helper[["helper"]]:::sub_node' in mermaid
    assert '  c_dunning>"dunning"]:::campaign_node' in mermaid
    assert '  t_agent_1(["queue general"]):::end_node' in mermaid


def test_mermaid_edges_and_escapes(mermaid: str):
    assert "  entry --> n_start" in mermaid
    assert '  n_main -->|"1"| n_lookup_step' in mermaid
    assert '  n_main -->|"#35;"| n_agent' in mermaid  # `#` starts an entity code in Mermaid
    assert '  n_main -.->|"exhausted"| n_agent' in mermaid
    assert '  n_main -.->|"2"| n_helper' in mermaid
    assert '(["transfer #quot;95007#quot;"])' in mermaid


def test_mermaid_failure_and_call_link_styles(mermaid: str):
    links = [ln for ln in mermaid.splitlines() if re.match(r"  \w+ (-->|-\.->)", ln)]
    failures = [i for i, ln in enumerate(links)
                if re.search(r'\|"(fail|timeout|nomatch|exhausted)"\|', ln)]
    calls = [i for i, ln in enumerate(links) if "n_helper" in ln and "-.->" in ln]
    assert failures and calls
    style = {ln.split()[1]: ln for ln in mermaid.splitlines() if ln.startswith("  linkStyle")}
    assert any(s.split()[1] == ",".join(map(str, failures)) and "stroke-dasharray:6 4" in s
               for s in style.values())
    assert any(s.split()[1] == ",".join(map(str, calls)) and "stroke-dasharray:2 3" in s
               for s in style.values())


def test_mermaid_ids_are_plain_and_avoid_keywords(mermaid: str):
    for line in mermaid.splitlines()[2:]:
        if line.startswith(("  linkStyle", "  classDef")):
            assert " end " not in line
            continue
        ident = re.match(r"  ([A-Za-z0-9_]+)", line)
        assert ident, line
        assert ident.group(1) != "end"


# ---------------------------------------------------------------- rendering


@needs_dot
def test_render_svg(dot: str):
    svg = render(dot, "svg")
    assert svg.lstrip().startswith((b"<?xml", b"<svg"))
    assert "燃气".encode() in svg


@needs_dot
def test_render_png(dot: str):
    assert render(dot, "png").startswith(b"\x89PNG\r\n\x1a\n")


@needs_dot
def test_render_reports_bad_dot():
    with pytest.raises(GraphvizError, match="dot"):
        render("digraph { this is not dot", "svg")


def test_render_rejects_unknown_formats(dot: str):
    with pytest.raises(ValueError, match="svg"):
        render(dot, "exe; rm -rf /")


def test_render_without_graphviz(dot: str, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizMissing, match=r"apt-get install graphviz") as info:
        render(dot, "svg")
    assert isinstance(info.value, GraphvizError)
    assert "install Graphviz" in str(info.value)


def _shipped() -> list[Path]:
    return sorted((REPO / "flows").glob("*.flow"))


@needs_dot
@pytest.mark.parametrize("path", _shipped(), ids=lambda p: p.name)
def test_shipped_flows_render(path: Path):
    result = parse_text(path.read_text(encoding="utf-8"), str(path))
    if result.flow is None:
        pytest.skip(f"{path.name} does not parse yet")
    assert render(to_dot(result.flow), "svg").lstrip().startswith((b"<?xml", b"<svg"))
    assert to_mermaid(result.flow).startswith("flowchart")
