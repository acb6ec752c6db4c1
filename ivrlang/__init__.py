"""The switchflow flow language: parse, check, compile, format and draw `.flow` files.

Pure: no network, no database, and no imports from the rest of switchflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .ast import Flow
from .catalog import Catalog
from .checker import check
from .compiler import IR_VERSION, compile_flow
from .diagnostics import Diagnostic
from .parser import Source, parse_file, parse_source, read_source

__all__ = ["IR_VERSION", "Catalog", "Checked", "Diagnostic", "Flow", "check", "check_file",
           "check_text", "compile_flow"]


@dataclass
class Checked:
    """A flow file after parsing and checking; `flow` is None when it did not parse."""

    path: str
    flow: Flow | None
    source: Source | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return self.flow is not None and not any(d.is_error for d in self.diagnostics)


def check_file(path: str | Path, catalog: Catalog | None = None) -> Checked:
    result = parse_file(path)
    return _finish(str(path), result, catalog)


def check_text(text: str, path: str = "<string>", catalog: Catalog | None = None) -> Checked:
    source, diags = read_source(path, text.encode("utf-8"))
    if source is None or diags:
        return Checked(path, None, source, diags)
    return _finish(path, parse_source(source), catalog)


def _finish(path: str, result, catalog: Catalog | None) -> Checked:
    diags = list(result.diagnostics)
    if result.flow is not None:
        seen = {d.span for d in diags}
        diags.extend(d for d in check(result.flow, catalog) if d.span not in seen)
    return Checked(path, result.flow, result.source, sorted(diags, key=Diagnostic.sort_key))
