"""A Report as a terminal table, CSV, JSON or a PNG chart: the same numbers in each.

Table and PNG show values for people (`66.7 %`, `1:02:03`); CSV and JSON keep
them raw (percentages as numbers, durations and waits in seconds) under the
column keys, for spreadsheets and scripts. CSV holds several tables one
after the other, each introduced by a row `# title` and its header row,
separated by an empty row; the first is the summary.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import unicodedata
import warnings
from typing import Any

from store.reports.model import Report

log = logging.getLogger(__name__)

CJK_FONTS = ("WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC",
             "Source Han Sans SC", "SimHei", "Microsoft YaHei")


def show(value: Any, kind: str) -> str:
    """A value as a person reads it."""
    if value is None:
        return "n/a"
    if kind == "percent":
        return f"{value:.1f} %"
    if kind == "seconds":
        return f"{value:.1f} s"
    if kind == "duration":
        total = round(value)
        return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"
    return str(value)


def _width(text: str) -> int:
    """Columns the text takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _grid(header: list[str], rows: list[list[str]], right: list[bool]) -> list[str]:
    widths = [max(_width(c) for c in col) for col in zip(header, *rows, strict=True)]
    lines = ["  ".join(_pad(h, w, r) for h, w, r in zip(header, widths, right, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w, r) for c, w, r in zip(row, widths, right, strict=True))
              for row in rows]
    return ["  " + line.rstrip() for line in lines]


def to_text(report: Report) -> str:
    out = [f"{report.title} report: {report.period.label()}", "", "summary"]
    out += _grid(["", "value", ""], [[m.label, show(m.value, m.kind), m.note]
                                      for m in report.summary], [False, True, False])
    for table in report.tables:
        out += ["", table.title]
        if not table.rows:
            out.append("  (none)")
            continue
        out += _grid([c.label for c in table.columns],
                     [[show(v, c.kind) for v, c in zip(row, table.columns, strict=True)]
                      for row in table.rows],
                     [c.kind != "text" for c in table.columns])
    if report.notes:
        out += ["", *report.notes]
    return "\n".join(out) + "\n"


def to_json(report: Report) -> str:
    data = {
        "report": report.kind,
        "title": report.title,
        "period": {"from": report.period.start.isoformat(),
                   "to": report.period.end.isoformat(), "zone": report.period.zone,
                   "times": "local"},
        "summary": {m.key: {"label": m.label, "value": m.value, "kind": m.kind,
                            **({"note": m.note} if m.note else {})} for m in report.summary},
        "tables": {t.key: {"title": t.title,
                           "columns": [{"key": c.key, "label": c.label, "kind": c.kind}
                                       for c in t.columns],
                           "rows": t.as_dicts()} for t in report.tables},
        "notes": list(report.notes),
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\n")
    w.writerow([f"# {report.title} report", report.period.start.isoformat(),
                report.period.end.isoformat(), report.period.zone])
    w.writerow([])
    w.writerow(["# summary"])
    w.writerow(["metric", "label", "value", "note"])
    for m in report.summary:
        w.writerow([m.key, m.label, "" if m.value is None else m.value, m.note])
    for table in report.tables:
        w.writerow([])
        w.writerow([f"# {table.title}"])
        w.writerow([c.key for c in table.columns])
        for row in table.rows:
            w.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


# ---------------------------------------------------------------- PNG


def cjk_font() -> str | None:
    """The name of an installed font that has Chinese characters, if any."""
    from matplotlib import font_manager
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def needs_cjk(report: Report) -> bool:
    texts = [report.title, *(c for c in (report.chart.categories if report.chart else ())),
             *(name for name, _ in (report.chart.series if report.chart else ()))]
    return any(ord(ch) > 0x2E80 for text in texts for ch in text)


# colours people read without a legend: answered green, lost red/orange, idle grey
COLOURS = {"answered": "#2e7d32", "abandoned": "#ef6c00", "not answered": "#c62828",
           "IVR only": "#9e9e9e", "ready": "#2e7d32", "on break": "#ef6c00",
           "wrap-up": "#1565c0", "logged in, not ready": "#9e9e9e",
           "caller hung up": "#c62828", "queued for an agent": "#1565c0",
           "flow ended the call": "#2e7d32",
           "new": "#90caf9", "dispatched": "#42a5f5", "accepted": "#1e88e5",
           "in progress": "#ef6c00", "resolved": "#81c784", "closed": "#2e7d32"}


def _colour(name: str) -> str | None:
    if name.startswith("short abandons"):
        return "#ffcc80"
    return COLOURS.get(name)


def to_png(report: Report) -> bytes:
    """The report's chart, its summary beneath, as PNG bytes (matplotlib's Agg backend).

    Laid out in inches, so a chart with many bars grows instead of squeezing them.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    font = cjk_font()
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    summary = [f"{m.label}: {show(m.value, m.kind)}" + (f"   ({m.note})" if m.note else "")
               for m in report.summary]
    chart = report.chart
    rows = len(chart.categories) if chart else 0
    plot_h = max(3.6, 0.32 * rows + 0.8) if chart and chart.horizontal else 3.8
    title_h, axis_h, line_h = 0.75, 0.6, 0.2
    text_h = line_h * len(summary) + 0.35
    height = title_h + plot_h + axis_h + text_h
    width = 11.0
    left = 2.6 if chart and chart.horizontal else 0.8
    legend_w = 2.6
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": family,
                         "axes.unicode_minus": False}), warnings.catch_warnings():
        warnings.simplefilter("ignore")          # a glyph missing without a CJK font
        fig = plt.figure(figsize=(width, height), dpi=110)
        ax = fig.add_axes(((left) / width, (text_h + axis_h) / height,
                           (width - left - legend_w) / width, plot_h / height))
        fig.text(0.15 / width, 1 - 0.3 / height, f"{report.title} — {report.period.label()}",
                 fontsize=13, ha="left", va="center", weight="bold")
        if chart is None or not chart.categories:
            ax.axis("off")
            ax.text(0.5, 0.5, "nothing in this period", ha="center", va="center", fontsize=14)
        else:
            _bars(ax, chart)
        fig.text(0.15 / width, (text_h - 0.15) / height, "\n".join(summary), va="top",
                 ha="left", fontsize=9, linespacing=1.45)
        out = io.BytesIO()
        fig.savefig(out, format="png")
        plt.close(fig)
    return out.getvalue()


def _bars(ax, chart) -> None:
    import numpy as np
    positions = np.arange(len(chart.categories))
    base = np.zeros(len(chart.categories))
    count = max(1, len(chart.series))
    width = 0.75 if chart.stacked else 0.8 / count
    for i, (name, values) in enumerate(chart.series):
        vals = np.array(values, dtype=float)
        if not vals.any() and chart.stacked:
            continue
        offset = 0 if chart.stacked else (i - (count - 1) / 2) * width
        if chart.horizontal:
            ax.barh(positions + offset, vals, height=width, left=base if chart.stacked else 0,
                    label=name, color=_colour(name))
        else:
            ax.bar(positions + offset, vals, width=width, bottom=base if chart.stacked else 0,
                   label=name, color=_colour(name))
        if chart.stacked:
            base = base + vals
    if chart.horizontal:
        ax.set_yticks(positions, chart.categories, fontsize=9)
        ax.set_xlabel(chart.value_label)
        ax.grid(axis="x", alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    else:
        ax.set_xticks(positions, chart.categories, fontsize=9,
                      rotation=0 if len(chart.categories) <= 24 else 90)
        ax.set_ylabel(chart.value_label)
        ax.set_xlabel(chart.category_label)
        ax.grid(axis="y", alpha=0.3)
        ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_axisbelow(True)
    ax.set_title(chart.title, fontsize=10, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
