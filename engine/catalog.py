"""Reading the catalogue file: what flows may name outside themselves.

The catalogue is the gas company's data, not the engine's: it lives beside
the flows (flows/catalog.toml as shipped; the setting `[paths] catalog`
names the file) and ivrlang.catalogfile turns its text into a typed
Catalog. This module only reads the file, bounded and refusing anything
but a regular file, so a bad path gives one message, never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from ivrlang.catalog import Catalog
from ivrlang.catalogfile import CatalogError, parse_catalog
from ivrlang.parser import NotAFlowFile, read_bounded

SHIPPED_CATALOG = Path(__file__).resolve().parent.parent / "flows" / "catalog.toml"
MAX_BYTES = 1024 * 1024   # a catalogue is a few dozen entries; far more is a wrong file

__all__ = ["SHIPPED_CATALOG", "CatalogError", "CatalogMissing", "load_catalog"]


class CatalogMissing(CatalogError):
    """There is no file at the catalogue's path."""


def load_catalog(path: str | os.PathLike[str] = SHIPPED_CATALOG,
                 prompts: dict[str, set[str]] | None = None,
                 default_lang: str = "zh-CN") -> Catalog:
    """The catalogue in the file at `path`, checked; raises CatalogError (or CatalogMissing).

    `prompts` maps a language (zh-CN) to its prompt keys; None leaves prompt
    keys unchecked. `default_lang` (settings: engine.default_lang) is the
    language of a flow whose header has no `lang`.
    """
    label = str(path)
    try:
        raw = read_bounded(path, MAX_BYTES)
    except FileNotFoundError:
        raise CatalogMissing(f"{label}: no such catalogue file") from None
    except NotAFlowFile as exc:
        raise CatalogError(f"{label}: {str(exc).replace('the file', 'the catalogue')}") \
            from None
    except OSError as exc:
        raise CatalogError(f"{label}: cannot read the catalogue: {exc.strerror or exc}") \
            from None
    if len(raw) > MAX_BYTES:
        raise CatalogError(f"{label}: over {MAX_BYTES // 1024} KiB, too large for a catalogue")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{label}: not valid TOML: the file is not UTF-8 text "
                           f"(bad byte at offset {exc.start})") from None
    catalog = parse_catalog(text, label)
    catalog.prompts = prompts
    catalog.default_lang = default_lang
    return catalog
