"""The same blocks as a PDF (fpdf2, the CJK font embedded), for the panel's preview.

fpdf2 subsets and embeds the TrueType font, so the PDF shows the Chinese
text on a machine without the font; its own line breaking and page breaks
lay the text out on A4.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from .layout import Block
from .pages import PageError

SIZES = {"title": 18, "heading": 13, "text": 10.5, "small": 8}
FAMILY = "cjk"


def save_pdf(blocks: Sequence[Block], path: Path, font_path: Path, title: str = "",
             footer: str = "") -> Path:
    from fpdf import FPDF

    # wqy-zenhei carries bitmap strikes the subsetter drops, with a warning per PDF
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font(FAMILY, fname=str(font_path), collection_font_number=0)
    pdf.set_title(title)
    pdf.set_creator("switchflow")
    pdf.alias_nb_pages()

    def page_footer() -> None:
        pdf.set_y(-14)
        pdf.set_font(FAMILY, size=SIZES["small"])
        pdf.cell(0, 5, f"{footer}  {pdf.page_no()}/{{nb}}".strip(), align="R")

    pdf.footer = page_footer
    pdf.add_page()
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    columns = 0
    for block in blocks:
        kind = block.kind
        if kind == "page":
            pdf.add_page()
        elif kind == "space":
            pdf.ln(3)
        elif kind == "rule":
            y = pdf.get_y() + 1.5
            pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
            pdf.ln(3)
        elif kind in ("title", "heading"):
            pdf.set_font(FAMILY, size=SIZES[kind])
            pdf.multi_cell(0, SIZES[kind] * 0.55, block.cells[0],
                           align="C" if kind == "title" else "L",
                           new_x="LMARGIN", new_y="NEXT")
            if kind == "heading":
                y = pdf.get_y()
                pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
                pdf.ln(1.5)
        elif kind == "field":
            pdf.set_font(FAMILY, size=SIZES["text"])
            pdf.cell(usable * 0.3, 6, block.cells[0])
            pdf.multi_cell(0, 6, block.cells[1], new_x="LMARGIN", new_y="NEXT")
        elif kind in ("header", "row"):
            if kind == "header" or not columns:
                columns = max(1, len(block.cells))
            pdf.set_font(FAMILY, size=SIZES["text"])
            cells = list(block.cells) + [""] * (columns - len(block.cells))
            for cell in cells[:columns]:
                pdf.cell(usable / columns, 6, _fit(pdf, cell, usable / columns - 1),
                         border="B" if kind == "header" else 0)
            pdf.ln(6)
        else:
            pdf.set_font(FAMILY, size=SIZES["text"])
            pdf.multi_cell(0, 6, block.cells[0], new_x="LMARGIN", new_y="NEXT")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        pdf.output(str(path))
    except OSError as exc:
        raise PageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def _fit(pdf, text: str, width: float) -> str:
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"
