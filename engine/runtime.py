"""What every call of one engine process shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.calendars.clock import Clock
from engine.lookups.registry import Registry
from engine.record import RecordSink
from ivrlang.catalog import Catalog


@dataclass
class Runtime:
    """What every call of a process shares."""

    registry: Registry
    clock: Clock
    prompts: Mapping[str, Mapping[str, str]]
    sink: RecordSink
    catalog: Catalog = field(default_factory=Catalog)
    max_steps: int = 1000
    timezone: str = "Asia/Shanghai"   # for flows whose header names no time zone
    cpu_budget_ms: int = 2000          # processor time one call may use (engine.cpu_budget)
