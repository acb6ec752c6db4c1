"""Prompt catalogues: prompts/LANG.toml, one `key = "text"` per prompt."""

from __future__ import annotations

import tomllib
from pathlib import Path


class PromptError(Exception):
    """A prompt catalogue that cannot be read; the message names the file."""


def load_prompts(folder: str | Path) -> dict[str, dict[str, str]]:
    """Every `LANG.toml` in the folder as {lang: {key: text}} (sub-folders are other sets)."""
    catalogues: dict[str, dict[str, str]] = {}
    for path in sorted(Path(folder).glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise PromptError(f"{path}: not a valid prompt catalogue: {exc}") from None
        catalogues[path.stem] = {k: v for k, v in data.items() if isinstance(v, str)}
    return catalogues
