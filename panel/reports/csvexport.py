"""Reports as CSV downloads, safe to open in a spreadsheet.

The layout is store.reports.render.to_csv's (a heading row `# title`, the
header, the rows; tables one after the other), so the panel's file and
`switchflow report --format csv` read the same. Text that a spreadsheet
would take for a formula (starting with = + - @, a tab or a carriage
return) gets a leading apostrophe; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

from store.reports.model import Report

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as written to the file: None empty, risky text defused."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = str(value)
        return "'" + text if text.startswith(FORMULA_START) else text
    return value


def write(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        w.writerow([cell(v) for v in row])
    return buffer.getvalue()


def report_rows(report: Report) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [f"# {report.title} report", report.period.start.isoformat(),
         report.period.end.isoformat(), report.period.zone],
        [], ["# summary"], ["metric", "label", "value", "note"],
        *([m.key, m.label, m.value, m.note] for m in report.summary)]
    for table in report.tables:
        rows += [[], [f"# {table.title}"], [c.key for c in table.columns], *map(list, table.rows)]
    return rows


def download(rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """A CSV attachment; `filename` is reduced to safe ASCII."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._") or "report.csv"
    # a BOM so spreadsheet programs read UTF-8 (Chinese flow titles, ticket types)
    return Response("\ufeff" + write(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"',
                             "X-Content-Type-Options": "nosniff"})
