"""What a call tells its observer (flow tests) about a hand-off, beyond the line's events.

The simulator's events show what the caller heard; these show what reached
the people behind the flow: the queue and the agent's screen-pop, the fax a
recipient gets. (A ticket is observed as the call record's `Ticket`.)
`str()` of each is its name, as the observer saw it before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Queued:
    """The call entered a queue: the flow's name for it, its priority, the agents' skill,
    the screen-pop."""

    name: str
    priority: int
    screen_pop: Mapping[str, str] = field(default_factory=dict)
    skill: str | None = None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Faxed:
    """A fax sent on this line (`to` None) or queued as a job to `to`, with its fields."""

    document: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    to: str | None = None

    def __str__(self) -> str:
        return self.document
