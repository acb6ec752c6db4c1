"""A small line chart of quality scores per agent per week, drawn as SVG on the server
(no script, no library): one polyline per agent over the weeks, 0-100 %."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from store.quality.reviews import AgentScores

WIDTH, HEIGHT, PAD = 640, 220, 32
COLOURS = ("#0b63b6", "#b3261e", "#1f7a3a", "#a86400", "#6a3ea1", "#00838f", "#5d6975")


@dataclass(frozen=True)
class Line:
    agent: str
    colour: str
    points: str                         # "x,y x,y" for <polyline points>
    dots: tuple[tuple[float, float, str], ...]   # x, y, tooltip


@dataclass(frozen=True)
class Chart:
    weeks: tuple[dt.date, ...]
    lines: tuple[Line, ...]
    x_labels: tuple[tuple[float, str], ...]
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD

    def y(self, percent: float) -> float:
        return round(self.height - self.pad - percent / 100 * (self.height - 2 * self.pad), 1)


def score_chart(scores: list[AgentScores]) -> Chart | None:
    weeks = tuple(sorted({w.week for s in scores for w in s.weeks}))
    if not weeks:
        return None
    step = (WIDTH - 2 * PAD) / max(1, len(weeks) - 1)
    x_of = {week: round(PAD + i * step, 1) for i, week in enumerate(weeks)}
    empty = Chart(weeks, (), ())
    lines = []
    for i, s in enumerate(scores):
        dots = tuple((x_of[w.week], empty.y(w.average),
                      f"{s.agent}, week of {w.week:%Y-%m-%d}: {w.average:.1f} % "
                      f"({w.reviews} reviews)") for w in s.weeks)
        lines.append(Line(s.agent, COLOURS[i % len(COLOURS)],
                          " ".join(f"{x},{y}" for x, y, _ in dots), dots))
    return Chart(weeks, tuple(lines), tuple((x_of[w], f"{w:%m-%d}") for w in weeks))
