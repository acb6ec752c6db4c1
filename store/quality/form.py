"""The quality form: the criteria a supervisor scores a recorded call on.

Each criterion is scored 0..out_of; a review's score is the sum of its marks
over the sum of the maxima, shown as a percentage. Reviews keep each mark
with its own maximum (store.models.quality.QualityMark), so changing this
list later leaves earlier reviews as they were scored.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    out_of: int
    hint: str


CRITERIA: tuple[Criterion, ...] = (
    Criterion("greeting", "Greeting and identification", 5,
              "named the company and themselves; checked who is calling"),
    Criterion("understanding", "Understood the need", 5,
              "listened, asked the right questions, no need to repeat"),
    Criterion("accuracy", "Correct information", 5,
              "amounts, dates and rules as the record and policy say"),
    Criterion("resolution", "Resolved or routed", 5,
              "answered, or a ticket with the facts the crew needs"),
    Criterion("courtesy", "Courtesy and tone", 5, "polite, calm, no jargon"),
    Criterion("closing", "Closing", 5, "summarised, next steps, asked if anything else"),
)

COMMENT_LIMIT = 2000


def by_key() -> dict[str, Criterion]:
    return {c.key: c for c in CRITERIA}
