"""/recordings: find, play, score; /recordings/scores: each agent's scores over time.

Supervisors only. Playing streams the file with Range support (the browser's
<audio> seeks with byte ranges), and only a file inside the recording folders
(panel.recordings.files): an index row that names anything else, or a path
with `..` or a symlink leading out, gets a 404 — never the file. Recordings
of calls tied to a confidential complaint are left out for roles that may
not read it (store.quality.recordings).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for

from panel.auth import Role, current_user, requires
from panel.context import panel_context
from panel.recordings.chart import score_chart
from panel.recordings.files import playable, roots
from store.quality.form import CRITERIA
from store.quality.recordings import (
    RecordingFilter,
    RecordingQueryError,
    find_recordings,
    get_recording,
)
from store.quality.reviews import ReviewError, agent_scores, reviews_of, save_review

SCORE_WEEKS = 12
AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg",
               ".opus": "audio/ogg", ".flac": "audio/flac"}

blueprint = Blueprint("recordings", __name__, url_prefix="/recordings",
                      template_folder="templates")


@blueprint.app_template_filter("recording_time")
def recording_time(instant: dt.datetime, zone: str) -> str:
    """An aware instant as local time in `zone` (the engine's), to the second."""
    return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


def _day(text: str, what: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RecordingQueryError(f"{what}: a date like 2026-11-28, not {text[:20]!r}") from None


def _role() -> str:
    return current_user().role.value


@blueprint.route("")
@requires(Role.SUPERVISOR)
def search() -> Any:
    args = request.args
    error, found = "", []
    try:
        f = RecordingFilter(caller=args.get("caller", "").strip(),
                            agent=args.get("agent", "").strip(),
                            ticket=args.get("ticket", "").strip(),
                            first_day=_day(args.get("from", "").strip(), "from"),
                            last_day=_day(args.get("to", "").strip(), "to"),
                            zone=panel_context().settings.engine.timezone)
        found = find_recordings(f, _role())
    except RecordingQueryError as exc:
        error = str(exc)
    return render_template("recordings/search.html", found=found, error=error, args=args,
                           zone=panel_context().settings.engine.timezone), (400 if error else 200)


def _recording_or_404(recording_id: int) -> Any:
    found = get_recording(recording_id, _role())
    if found is None:
        abort(404)
    return found


@blueprint.route("/<int:recording_id>")
@requires(Role.SUPERVISOR)
def detail(recording_id: int, error: str = "", status: int = 200) -> Any:
    recording = _recording_or_404(recording_id)
    present = playable(recording.path, roots(panel_context().settings)) is not None
    return render_template("recordings/detail.html", r=recording, present=present,
                           criteria=CRITERIA, reviews=reviews_of(recording_id), error=error,
                           form=request.form, zone=panel_context().settings.engine.timezone
                           ), status


@blueprint.route("/<int:recording_id>/audio")
@requires(Role.SUPERVISOR)
def audio(recording_id: int) -> Any:
    recording = _recording_or_404(recording_id)
    real = playable(recording.path, roots(panel_context().settings))
    if real is None:
        abort(404)
    return send_file(real, mimetype=AUDIO_TYPES.get(real.suffix.lower(),
                                                    "application/octet-stream"),
                     conditional=True, max_age=0)


@blueprint.route("/<int:recording_id>/quality", methods=["POST"])
@requires(Role.SUPERVISOR)
def quality(recording_id: int) -> Any:
    _recording_or_404(recording_id)
    marks: dict[str, int] = {}
    for c in CRITERIA:
        raw = request.form.get(f"score_{c.key}", "").strip()
        if not raw.isdigit():
            return detail(recording_id, f"{c.label}: give a score from 0 to {c.out_of}", 400)
        marks[c.key] = int(raw)
    try:
        review = save_review(recording_id, reviewer=current_user().username, marks=marks,
                             comment=request.form.get("comment", ""),
                             at=panel_context().now())
    except ReviewError as exc:
        return detail(recording_id, str(exc), 400)
    flash(f"Scored {review.percent:.1f} % for {review.agent}.")
    return redirect(url_for("recordings.detail", recording_id=recording_id))


@blueprint.route("/scores")
@requires(Role.SUPERVISOR)
def scores() -> Any:
    now = panel_context().now()
    since = now - dt.timedelta(weeks=SCORE_WEEKS)
    found = agent_scores(since, now + dt.timedelta(seconds=1))
    return render_template("recordings/scores.html", scores=found, chart=score_chart(found),
                           weeks=SCORE_WEEKS)
