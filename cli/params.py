"""Command-line parameters shared by several commands."""

from __future__ import annotations

import os
from pathlib import Path

import click


class OutputFile(click.ParamType):
    """`-o FILE`: refused before any work when its folder is missing or not writable (exit 2)."""

    name = "file"

    def convert(self, value, param, ctx) -> Path:
        path = Path(value)
        folder = path.parent
        if path.is_dir():
            self.fail(f"{value} is a folder; give a file name", param, ctx)
        if not folder.is_dir():
            self.fail(f"cannot write {value}: the folder {folder} does not exist", param, ctx)
        if not os.access(folder, os.W_OK):
            self.fail(f"cannot write {value}: the folder {folder} is not writable", param, ctx)
        return path


def write_output(path: Path, data: bytes, param: str = "'-o' / '--output'") -> None:
    """Write the result; a failure (a read-only file, a full disk) is the option's fault."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise click.BadParameter(f"cannot write {path}: {exc.strerror or exc}",
                                 param_hint=param) from None
