"""Fax pages drawn with Pillow: TIFF class F for txfax, PNG for a preview.

TIFF class F as mod_spandsp's txfax takes it (a real FreeSWITCH 1.10.12
sent such a file with fax_success=1, DESIGN.md): bilevel pages (mode "1"),
1728 pixels wide (215 mm, a fax line), 204×196 dpi (fine resolution),
T.4 (group3) or T.6 (group4) coding, one TIFF page per fax page. A page is
A4 long: 2292 rows at 196 dpi.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .layout import Block

WIDTH = 1728
HEIGHT = 2292
DPI = (204, 196)
MARGIN_X = 110
MARGIN_TOP = 120
MARGIN_BOTTOM = 140
SIZES = {"title": 60, "heading": 42, "text": 34, "small": 26}
LINE = 1.45            # line height, times the font size
COMPRESSIONS = ("group4", "group3")


class PageError(Exception):
    """The pages could not be written (disk, path)."""


@dataclass
class _Page:
    ops: list[tuple] = field(default_factory=list)


class Drawer:
    """Lays blocks out on pages of the fax's size, then draws them."""

    def __init__(self, font_path: Path | str) -> None:
        self.fonts = {k: ImageFont.truetype(str(font_path), size, index=0)
                      for k, size in SIZES.items()}

    # ---- layout: blocks to positioned text, page by page -----------------------------

    def _width(self, text: str, kind: str = "text") -> float:
        return self.fonts[kind].getlength(text)

    def _wrap(self, text: str, width: float, kind: str = "text") -> list[str]:
        """Lines no wider than `width`: CJK text breaks anywhere, Latin at spaces when it can."""
        lines: list[str] = []
        current = ""
        for ch in text:
            if self._width(current + ch, kind) <= width:
                current += ch
                continue
            cut = current.rfind(" ")
            if ch != " " and cut > len(current) // 2:
                lines.append(current[:cut])
                current = current[cut + 1:] + ch
            else:
                lines.append(current)
                current = "" if ch == " " else ch
        if current or not lines:
            lines.append(current)
        return lines

    def _fit(self, text: str, width: float) -> str:
        if self._width(text) <= width:
            return text
        while text and self._width(text + "…") > width:
            text = text[:-1]
        return text + "…"

    def layout(self, blocks: Sequence[Block]) -> list[_Page]:
        pages = [_Page()]
        y = MARGIN_TOP
        usable = WIDTH - 2 * MARGIN_X
        bottom = HEIGHT - MARGIN_BOTTOM
        columns: int = 0

        def room(height: float) -> None:
            nonlocal y
            if y + height > bottom:
                pages.append(_Page())
                y = MARGIN_TOP

        for block in blocks:
            if block.kind == "page":
                pages.append(_Page())
                y = MARGIN_TOP
                continue
            if block.kind == "space":
                y += SIZES["text"] * 0.8
                continue
            if block.kind == "rule":
                room(20)
                pages[-1].ops.append(("line", MARGIN_X, y + 8, WIDTH - MARGIN_X, 3))
                y += 24
                continue
            if block.kind in ("title", "heading"):
                size = SIZES[block.kind]
                for text in self._wrap(block.cells[0], usable, block.kind):
                    room(size * LINE)
                    x = (WIDTH - self._width(text, block.kind)) / 2 if block.kind == "title" \
                        else MARGIN_X
                    pages[-1].ops.append(("text", x, y, text, block.kind))
                    y += size * LINE
                if block.kind == "heading":
                    pages[-1].ops.append(("line", MARGIN_X, y - 6, WIDTH - MARGIN_X, 2))
                    y += 8
                continue
            size = SIZES["text"]
            if block.kind == "field":
                label, value = block.cells
                label_w = usable * 0.3
                lines = self._wrap(value, usable - label_w)
                for i, text in enumerate(lines):
                    room(size * LINE)
                    if i == 0:
                        pages[-1].ops.append(("text", MARGIN_X, y, label, "text"))
                    pages[-1].ops.append(("text", MARGIN_X + label_w, y, text, "text"))
                    y += size * LINE
                continue
            if block.kind in ("header", "row"):
                if block.kind == "header" or not columns:
                    columns = max(1, len(block.cells))
                cells = list(block.cells) + [""] * (columns - len(block.cells))
                col_w = usable / columns
                room(size * LINE + (6 if block.kind == "header" else 0))
                for i, cell in enumerate(cells[:columns]):
                    text = self._fit(cell, col_w - 12)
                    pages[-1].ops.append(("text", MARGIN_X + i * col_w, y, text, "text"))
                y += size * LINE
                if block.kind == "header":
                    pages[-1].ops.append(("line", MARGIN_X, y - 4, WIDTH - MARGIN_X, 2))
                    y += 6
                continue
            for text in self._wrap(block.cells[0], usable):       # a paragraph
                room(size * LINE)
                pages[-1].ops.append(("text", MARGIN_X, y, text, "text"))
                y += size * LINE
        return [p for p in pages if p.ops] or [_Page()]

    # ---- drawing -------------------------------------------------------------------------

    def draw(self, blocks: Sequence[Block], footer: str = "") -> list[Image.Image]:
        """Bilevel page images: black ink (0) on white (1)."""
        laid = self.layout(blocks)
        images = []
        for number, page in enumerate(laid, 1):
            image = Image.new("1", (WIDTH, HEIGHT), 1)
            pen = ImageDraw.Draw(image)
            for op in page.ops:
                if op[0] == "text":
                    _, x, y, text, kind = op
                    pen.text((x, y), text, font=self.fonts[kind], fill=0)
                else:
                    _, x0, y0, x1, width = op
                    pen.line((x0, y0, x1, y0), fill=0, width=width)
            mark = f"{footer}  {number}/{len(laid)}".strip()
            small = self.fonts["small"]
            pen.text((WIDTH - MARGIN_X - small.getlength(mark), HEIGHT - MARGIN_BOTTOM + 50),
                     mark, font=small, fill=0)
            images.append(image)
        return images


def save_tiff(images: Sequence[Image.Image], path: Path, compression: str = "group4") -> Path:
    """A multi-page TIFF class F file txfax can send."""
    if compression not in COMPRESSIONS:
        raise PageError(f"compression {compression!r}: expected group4 or group3")
    first, *rest = [im if im.mode == "1" else im.convert("1") for im in images]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        first.save(path, format="TIFF", save_all=True, append_images=rest, dpi=DPI,
                   compression=compression)
    except OSError as exc:
        raise PageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def save_png(images: Sequence[Image.Image], path: Path) -> Path:
    """The pages one under the other, as one PNG (a preview)."""
    sheet = Image.new("1", (WIDTH, HEIGHT * len(images)), 1)
    for i, image in enumerate(images):
        sheet.paste(image, (0, i * HEIGHT))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(path, format="PNG", dpi=DPI)
    except OSError as exc:
        raise PageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def page_count(path: Path) -> int:
    """Pages in a TIFF (0 when it cannot be read)."""
    try:
        with Image.open(path) as image:
            return getattr(image, "n_frames", 1)
    except OSError:
        return 0
