"""The switchflow flow language: parse, check, compile, format and draw `.flow` files.

Pure: no network, no database, and no imports from the rest of switchflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .ast import Flow
from .catalog import Catalog
from .checker import check
from .compiler import IR_VERSION, compile_flow
from .diagnostics import Diagnostic
from .library import link
from .parser import Source, parse_file, parse_source, read_source

__all__ = ["IR_VERSION", "Catalog", "Checked", "Diagnostic", "Flow", "check", "check_file",
           "check_text", "compile_flow"]


@dataclass
class Checked:
    """A flow file after parsing and checking; `flow` is None when it did not parse.

    `flow` includes what the file uses from its libraries (`use NAME`);
    `sources` holds those libraries' text, for showing problems inside them.
    """

    path: str
    flow: Flow | None
    source: Source | None
    diagnostics: list[Diagnostic]
    sources: dict[str, Source] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.flow is not None and not any(d.is_error for d in self.diagnostics)

    def lines(self, file: str) -> list[str] | None:
        """The lines of `file`: this flow's, or those of a library it uses."""
        if self.source is not None and file == self.source.path:
            return self.source.lines
        other = self.sources.get(file)
        return other.lines if other is not None else None


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
    flow, sources = result.flow, {}
    if flow is not None:
        catalog = catalog or Catalog()
        linked = link(flow, catalog)
        flow, sources = linked.flow, linked.sources
        diags.extend(linked.diagnostics)
        if not linked.broken:
            seen = {d.span for d in diags}
            diags.extend(d for d in check(flow, catalog) if d.span not in seen)
    unique = list(dict.fromkeys(diags))
    return Checked(path, flow, result.source, sorted(unique, key=Diagnostic.sort_key), sources)
