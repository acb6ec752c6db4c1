"""Writing a flow under test to a file, as an author would save it."""

from __future__ import annotations

from pathlib import Path


def write_flow(folder: Path, text: str, name: str = "mini.flow") -> Path:
    """The flow saved as `name` in `folder` (prompts come from [paths] prompts, the shipped set)."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
