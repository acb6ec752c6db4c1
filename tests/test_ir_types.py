"""engine/ir.py names every field the compiler emits: the actions read typed IR, not guesses."""

from __future__ import annotations

import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import make_catalog

import engine.ir as ir_types
from cli.project import project_catalog
from ivrlang import check_file, compile_flow

ROOT = Path(__file__).resolve().parents[1]

OP_TYPES: dict[str, type] = {
    "play": ir_types.PlayOp, "say": ir_types.SayOp, "collect": ir_types.CollectOp,
    "set": ir_types.SetOp, "lookup": ir_types.LookupOp, "goto": ir_types.GotoOp,
    "queue": ir_types.QueueOp, "transfer": ir_types.TransferOp, "record": ir_types.RecordOp,
    "ticket": ir_types.TicketOp, "fax": ir_types.FaxOp, "hangup": ir_types.HangupOp,
    "log": ir_types.LogOp, "if": ir_types.IfOp, "call": ir_types.GotoOp,
    "answer": ir_types.OpIR, "return": ir_types.OpIR, "submit": ir_types.SubmitOp,
}

SHIPPED = sorted((ROOT / "flows").glob("*.flow"))
GOOD = sorted((ROOT / "tests" / "data" / "good").glob("*.flow"))


def fields(td: type) -> set[str]:
    return set(typing.get_type_hints(td))


def ops_of(ops: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for op in ops:
        yield op
        for handler in (op.get("on") or {}).values():
            yield from ops_of(handler["ops"])
        for branch in op.get("branches") or ():
            yield from ops_of(branch["ops"])


def untyped(ir: Mapping[str, Any]) -> list[str]:
    found = [f"flow.{k}" for k in ir if k not in fields(ir_types.FlowIR)]
    for name, node in ir["nodes"].items():
        if node["kind"] == "menu":
            found += [f"{name}.{k}" for k in node if k not in fields(ir_types.MenuNode)]
            lists = [*node["keys"].values(),
                     *(node[e] or [] for e in ("nomatch", "noinput", "exhausted"))]
        else:
            lists = [node["ops"]]
        for ops in lists:
            for op in ops_of(ops):
                typed = fields(OP_TYPES[op["op"]])
                found += [f"{op['op']}.{k} (line {op['line']})" for k in op if k not in typed]
    return found


@pytest.mark.parametrize("path", SHIPPED + GOOD, ids=lambda p: p.name)
def test_every_ir_field_is_named_in_engine_ir(path):
    catalog = project_catalog(near=path.parent) if path in SHIPPED else make_catalog()
    checked = check_file(path, catalog)
    assert checked.ok, [d.message for d in checked.diagnostics]
    assert untyped(compile_flow(checked.flow, catalog)) == []


def test_every_op_has_a_type():
    import ivrlang.actions

    assert set(ivrlang.actions.ACTIONS) <= set(OP_TYPES)
