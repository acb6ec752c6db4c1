"""Which recording files the panel may send: only real files inside the recording
folders ([freeswitch] recordings_dir, where FreeSWITCH writes them, and [panel]
recordings_archive, where retention moves them), whatever path the index holds."""

from __future__ import annotations

import os
from pathlib import Path

from engine.settings import Settings


def roots(settings: Settings) -> list[Path]:
    return [Path(settings.freeswitch.recordings_dir), Path(settings.panel.recordings_archive)]


def playable(path: str | os.PathLike[str], allowed: list[Path]) -> Path | None:
    """The real file `path` names when it is a file inside one of `allowed` (symlinks and
    `..` resolved first); None for anything else, or a file that is not there."""
    try:
        real = Path(path).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    for root in allowed:
        try:
            real.relative_to(root.resolve())
        except (ValueError, OSError):
            continue
        return real if real.is_file() else None
    return None
