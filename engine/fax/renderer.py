"""The engine's DocumentRenderer for real: a store-filled template drawn as TIFF class F.

`FaxRenderer.render(document, fields, lang)` (engine.seams.documents) writes
the TIFF txfax sends into [fax] spool and returns its path; `render_to`
writes any of .tiff / .pdf / .png by the file's extension (`switchflow fax
render`, the panel's preview). A document that cannot be made raises
RenderError with what to fix; so does a missing CJK font.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from engine.seams.documents import RenderError

from . import layout
from .documents import DocumentError, Today, environment, fill
from .fonts import FontMissing, find_font
from .pages import Drawer, PageError, page_count, save_png, save_tiff
from .pdf import save_pdf

FORMATS = (".tiff", ".tif", ".pdf", ".png")
_SERIAL = itertools.count(1)


class FaxRenderer:
    """Documents from `templates`, drawn with `font` ("" Debian's), into `spool`."""

    def __init__(self, templates: Path | str, spool: Path | str, *, font: str = "",
                 compression: str = "group4", today: Callable[[], Today],
                 footer: str = "") -> None:
        self.templates = Path(templates)
        self.spool = Path(spool)
        self.font = font
        self.compression = compression
        self.today = today
        self.footer = footer
        self._env = environment(self.templates)
        self._drawer: Drawer | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any, now: Callable[[], dt.datetime] | None = None
                      ) -> FaxRenderer:
        from engine.calendars.clock import get_zone
        from store.latefees import LateFeeRule

        zone = get_zone(settings.engine.timezone)
        rule = LateFeeRule.from_settings(settings)

        def today() -> Today:
            instant = now() if now is not None else dt.datetime.now(dt.UTC)
            return Today(instant.astimezone(zone).date(), zone, rule)

        return cls(settings.fax.templates, settings.fax.spool, font=settings.fax.font,
                   compression=settings.fax.compression, today=today,
                   footer=settings.fax.station_id)

    def _blocks(self, document: str, fields: Mapping[str, Any], lang: str):
        if not self.templates.is_dir():
            raise RenderError(f"the fax templates folder {self.templates} does not exist: "
                              "set [fax] templates")
        try:
            text = fill(self._env, document, fields, self.today(), lang)
        except DocumentError as exc:
            raise RenderError(str(exc)) from None
        return layout.parse(text)

    def _font(self) -> Path:
        try:
            return find_font(self.font)
        except FontMissing as exc:
            raise RenderError(str(exc)) from None

    def _pages(self, blocks):
        with self._lock:
            if self._drawer is None:
                self._drawer = Drawer(self._font())
            return self._drawer.draw(blocks, self.footer)

    def render(self, document: str, fields: Mapping[str, Any], lang: str) -> Path:
        """A TIFF class F of the document in the spool folder (its name is unique)."""
        name = f"{document}-{os.getpid()}-{next(_SERIAL)}-{uuid.uuid4().hex[:8]}.tiff"
        return self.render_to(document, fields, lang, self.spool / name)

    def render_to(self, document: str, fields: Mapping[str, Any], lang: str,
                  out: Path | str) -> Path:
        out = Path(out)
        suffix = out.suffix.lower()
        if suffix not in FORMATS:
            raise RenderError(f"{out}: expected a .tiff, .pdf or .png file name")
        blocks = self._blocks(document, fields, lang)
        try:
            if suffix == ".pdf":
                return save_pdf(blocks, out, self._font(), document, self.footer)
            images = self._pages(blocks)
            if suffix == ".png":
                return save_png(images, out)
            return save_tiff(images, out, self.compression)
        except PageError as exc:
            raise RenderError(str(exc)) from None


def pages_in(path: Path | str) -> int:
    """Pages of a rendered TIFF (0 when it is not one)."""
    return page_count(Path(path))
