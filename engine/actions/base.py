"""The base of every action: a small object with `run(call, op)`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from engine.control import CallSession

Op = Mapping[str, Any]  # one IR op; engine.ir names the shape of each


class Action:
    """One IR op. Its docstring names the FreeSWITCH mapping."""

    op: ClassVar[str]

    def run(self, call: CallSession, op: Op) -> None:
        raise NotImplementedError
