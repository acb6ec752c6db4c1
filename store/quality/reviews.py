"""Quality reviews: a supervisor scores a recorded call on the form (store.quality.form);
scores per agent over time are the average of their reviews' percentages per week."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from store.activity import utc
from store.models.activity import Recording
from store.models.base import database
from store.models.quality import QualityMark, QualityReview
from store.quality.form import COMMENT_LIMIT, CRITERIA


class ReviewError(ValueError):
    """A review the store cannot take; the message names the field."""


@dataclass(frozen=True)
class ReviewView:
    id: int
    recording_id: int
    agent: str
    reviewer: str
    reviewed_at: dt.datetime      # aware UTC
    points: int
    out_of: int
    comment: str
    marks: tuple[tuple[str, int, int], ...]   # criterion, points, out of

    @property
    def percent(self) -> float:
        return round(100 * self.points / self.out_of, 1) if self.out_of else 0.0


def _view(row: QualityReview) -> ReviewView:
    marks = tuple((m.criterion, m.points, m.out_of)
                  for m in row.marks.order_by(QualityMark.id))
    return ReviewView(row.id, row.recording_id, row.agent, row.reviewer,
                      row.reviewed_at.replace(tzinfo=dt.UTC), row.points, row.out_of,
                      row.comment, marks)


def save_review(recording_id: int, *, reviewer: str, marks: Mapping[str, int], comment: str,
                at: dt.datetime) -> ReviewView:
    """Store a scoring of the recording: every criterion of the form, each within 0..its
    maximum. ReviewError names what is wrong (nothing is stored then)."""
    checked: list[tuple[str, int, int]] = []
    for c in CRITERIA:
        if c.key not in marks:
            raise ReviewError(f"{c.label}: give a score from 0 to {c.out_of}")
        value = marks[c.key]
        if not isinstance(value, int) or not 0 <= value <= c.out_of:
            raise ReviewError(f"{c.label}: the score must be 0 to {c.out_of}, not {value!r}")
        checked.append((c.key, value, c.out_of))
    comment = comment.strip()
    if len(comment) > COMMENT_LIMIT:
        raise ReviewError(f"the comment is {len(comment)} characters: at most {COMMENT_LIMIT}")
    with database.connection_context(), database.atomic():
        recording = Recording.get_or_none(Recording.id == recording_id)
        if recording is None:
            raise ReviewError(f"no recording {recording_id}")
        if not recording.agent:
            raise ReviewError("this call reached no agent: there is nobody to score")
        review = QualityReview.create(
            recording=recording, agent=recording.agent, reviewer=reviewer,
            reviewed_at=utc(at), points=sum(p for _, p, _ in checked),
            out_of=sum(o for _, _, o in checked), comment=comment)
        for key, points, out_of in checked:
            QualityMark.create(review=review, criterion=key, points=points, out_of=out_of)
        return _view(review)


def reviews_of(recording_id: int) -> list[ReviewView]:
    with database.connection_context():
        rows = (QualityReview.select().where(QualityReview.recording == recording_id)
                .order_by(QualityReview.reviewed_at, QualityReview.id))
        return [_view(r) for r in rows]


@dataclass(frozen=True)
class WeekScore:
    week: dt.date            # the Monday the week starts (UTC days)
    reviews: int
    average: float           # mean of the reviews' percentages


@dataclass(frozen=True)
class AgentScores:
    agent: str
    weeks: tuple[WeekScore, ...]

    @property
    def reviews(self) -> int:
        return sum(w.reviews for w in self.weeks)

    @property
    def average(self) -> float:
        total = sum(w.average * w.reviews for w in self.weeks)
        return round(total / self.reviews, 1) if self.reviews else 0.0


def agent_scores(since: dt.datetime, until: dt.datetime) -> list[AgentScores]:
    """Each reviewed agent's scores per week within [since, until), by agent name."""
    per: dict[str, dict[dt.date, list[float]]] = defaultdict(lambda: defaultdict(list))
    with database.connection_context():
        rows = (QualityReview.select(QualityReview.agent, QualityReview.reviewed_at,
                                     QualityReview.points, QualityReview.out_of)
                .where(QualityReview.reviewed_at >= utc(since),
                       QualityReview.reviewed_at < utc(until)))
        for r in rows:
            day = r.reviewed_at.date()
            monday = day - dt.timedelta(days=day.weekday())
            per[r.agent][monday].append(100 * r.points / r.out_of if r.out_of else 0.0)
    return [AgentScores(agent, tuple(WeekScore(week, len(v), round(sum(v) / len(v), 1))
                                     for week, v in sorted(weeks.items())))
            for agent, weeks in sorted(per.items())]
