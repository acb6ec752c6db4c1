"""One record per problem, and the three ways to show it.

Parse, check and compile problems are all `Diagnostic`s: a code, a
severity, where it is, what is wrong and (separately) how to fix it.
Rendering lives here only: full (snippet with gutter and carets),
concise (`file:line:col: error[E101]: message`) and JSON for editors.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import NamedTuple

from .codes import CODES


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Span(NamedTuple):
    """A region of a source file; lines and columns count from 1, end is exclusive.

    A named tuple rather than a dataclass: the parser makes tens of thousands.
    """

    file: str
    line: int
    col: int
    end_line: int = 0
    end_col: int = 0


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    span: Span
    message: str
    help: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        return (self.span.file, self.span.line, self.span.col, self.code)


def error(code: str, span: Span, message: str, help: str = "") -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, span, message, help)


def warning(code: str, span: Span, message: str, help: str = "") -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, span, message, help)


def explain(code: str) -> str | None:
    """The long explanation of a code, for `switchflow explain`."""
    entry = CODES.get(code.upper())
    if entry is None:
        return None
    title, text = entry
    return f"{code.upper()}: {title}\n\n{text.strip()}\n"


def _width(text: str) -> int:
    """Terminal columns taken by text: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_full(diag: Diagnostic, source_lines: list[str] | None) -> str:
    """The long form: header, location, the line with carets, and help."""
    s = diag.span
    out = [f"{diag.severity.value}[{diag.code}]: {diag.message}"]
    out.append(f"  --> {s.file}:{s.line}:{s.col}")
    if source_lines is not None and 1 <= s.line <= len(source_lines):
        text = source_lines[s.line - 1].rstrip("\n").replace("\t", " ")
        gutter = str(s.line)
        pad = " " * len(gutter)
        start = max(s.col - 1, 0)
        end = s.end_col - 1 if s.end_line == s.line and s.end_col > s.col else start + 1
        end = min(max(end, start + 1), max(len(text), start + 1))
        carets = "^" * max(_width(text[start:end]), 1)
        out.append(f"{pad} |")
        out.append(f"{gutter} | {text}")
        out.append(f"{pad} | {' ' * _width(text[:start])}{carets}")
    if diag.help:
        out.append(f"  = help: {diag.help}")
    return "\n".join(out)


def render_concise(diag: Diagnostic) -> str:
    s = diag.span
    text = f"{s.file}:{s.line}:{s.col}: {diag.severity.value}[{diag.code}]: {diag.message}"
    if diag.help:
        text += f" ({diag.help})"
    return text


def to_json(diags: Iterable[Diagnostic]) -> str:
    rows = []
    for d in diags:
        row = asdict(d)
        row["severity"] = d.severity.value
        row["span"] = d.span._asdict()
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False, indent=2)


def summary(diags: list[Diagnostic], files: int) -> str:
    errors = sum(d.is_error for d in diags)
    warnings = len(diags) - errors
    noun = "file" if files == 1 else "files"
    return (f"{files} {noun} checked: {errors} error{'s' * (errors != 1)}, "
            f"{warnings} warning{'s' * (warnings != 1)}")
