"""Fax documents: a `DocumentRenderer` turns a catalogue document and its values into a file.

The campaign/fax issue implements the real renderer (a TIFF that `txfax`
can send, drawn with Pillow). The simulator's renderer writes a short text
file saying what the document would hold, so flow tests and the demo can
send "a file" without any imaging library.
"""

from __future__ import annotations

import atexit
import itertools
import json
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol


class RenderError(Exception):
    """The document could not be made (unknown template, bad values, disk full)."""


class DocumentRenderer(Protocol):
    def render(self, document: str, fields: Mapping[str, Any], lang: str) -> Path:
        """A file holding DOCUMENT filled with FIELDS in LANG; raise RenderError if impossible."""


_TEMP: list[Path] = []
_TEMP_LOCK = threading.Lock()
_NUMBERS = itertools.count(1)


def _process_folder() -> Path:
    """One temporary folder per process, made on first use, removed at exit."""
    with _TEMP_LOCK:
        if not _TEMP:
            made = tempfile.mkdtemp(prefix="switchflow-fax-")
            atexit.register(shutil.rmtree, made, True)
            _TEMP.append(Path(made))
        return _TEMP[0]


class SimRenderer:
    """Writes `DOCUMENT-N.txt` describing the document into a folder (without one,
    a temporary folder of the process, removed when it exits)."""

    def __init__(self, folder: str | Path | None = None):
        self._folder = Path(folder) if folder is not None else None

    @property
    def folder(self) -> Path:
        return self._folder if self._folder is not None else _process_folder()

    def render(self, document: str, fields: Mapping[str, Any], lang: str) -> Path:
        path = self.folder / f"{document}-{next(_NUMBERS)}.txt"
        text = json.dumps({"document": document, "lang": lang, "fields": dict(fields)},
                          ensure_ascii=False, default=str, indent=1)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"simulated fax document\n{text}\n", encoding="utf-8")
        except OSError as exc:
            raise RenderError(f"cannot write {path}: {exc.strerror}") from None
        return path
