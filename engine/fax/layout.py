"""The layout language a document template writes: one block per line.

A template (conf/documents/NAME.j2) is jinja2 that prints lines like these:

    # 燃气用气账单                 a title, large and centred
    ## 本月用气                    a heading
    : 户号 | 12345678              a label and its value
    |! 月份 | 用气量 | 金额         a table's header row
    | 2026-10 | 35.0 | 107.45      a table row (cells split on |)
    ---                            a rule across the page
    ===                            a page break
    text …                         a paragraph, wrapped to the page width
    (an empty line)                a little space

Nothing else is special; `\\|` in a cell is a literal bar. The same blocks
are drawn as fax pages (pages.py) and as PDF (pdf.py), so one template
serves the fax, the panel's preview and `switchflow fax render`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    kind: str                 # title, heading, field, header, row, rule, page, text, space
    cells: tuple[str, ...]    # the text: one cell, or a field's two, or a row's cells
    line: int                 # where in the filled template (for messages)


def _cells(text: str) -> tuple[str, ...]:
    text = text.replace("\\|", "\x00")
    parts = [p.strip().replace("\x00", "|") for p in text.split("|")]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    return tuple(parts)


def parse(text: str) -> list[Block]:
    """The blocks of a filled template, in order; runs of empty lines are one space."""
    blocks: list[Block] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            if blocks and blocks[-1].kind != "space":
                blocks.append(Block("space", (), number))
        elif line.startswith("## "):
            blocks.append(Block("heading", (line[3:].strip(),), number))
        elif line.startswith("# "):
            blocks.append(Block("title", (line[2:].strip(),), number))
        elif line.startswith(": "):
            label, _, value = line[2:].partition("|")
            blocks.append(Block("field", (label.strip(), value.strip()), number))
        elif line.startswith("|!"):
            blocks.append(Block("header", _cells(line[2:]), number))
        elif line.startswith("|"):
            blocks.append(Block("row", _cells(line[1:]), number))
        elif line == "---":
            blocks.append(Block("rule", (), number))
        elif line == "===":
            blocks.append(Block("page", (), number))
        else:
            blocks.append(Block("text", (line,), number))
    while blocks and blocks[-1].kind in ("space", "page"):
        blocks.pop()
    return blocks
