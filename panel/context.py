"""What the panel's views and live feeds work with, made once by whoever serves it.

`switchflow serve` builds it from the running service (panel/server.py);
tests build it with fakes and a movable clock (tests/panel_support.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import current_app

from panel.live.bus import Bus

if TYPE_CHECKING:
    from engine.lifecycle import Calls
    from engine.settings import Settings
    from fsmod.control.nodes import Control

EXTENSION = "switchflow"   # the key of the context in Flask's app.extensions


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class PanelContext:
    """The service the panel shows and drives."""

    settings: Settings
    bus: Bus = field(default_factory=Bus)
    control: Control | None = None        # FreeSWITCH's control connections (None: none)
    calls: Calls | None = None            # calls now in flows
    flows: Sequence[Mapping[str, Any]] = ()  # compiled flows (IR), for the heat map
    now: Callable[[], dt.datetime] = utc_now  # aware datetimes; tests move it
    demo: bool = False
    on_start: list[Callable[[PanelContext], None]] = field(default_factory=list)


def panel_context() -> PanelContext:
    """The context of the app handling this request."""
    return current_app.extensions[EXTENSION]
