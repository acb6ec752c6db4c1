"""`switchflow recordings prune|archive`: expired recordings archived or deleted with
the index following, never one attached to an open complaint, --dry-run changing nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from cli.recordings import recordings
from store.db import bind, open_database
from store.models.activity import Recording
from store.models.calls import CallRow
from store.schema import migrate
from tests.wall_store import complaint, recorded_call

NOW = dt.datetime.now(dt.UTC)
OLD = NOW - dt.timedelta(days=400)


@pytest.fixture
def setup(tmp_path):
    url = f"sqlite:///{tmp_path}/store.db"
    db = bind(open_database(url))
    migrate(db)
    rec = tmp_path / "recordings"
    files = {
        "old": rec / "2025" / "old.wav",                # expired: goes
        "held": rec / "2025" / "complaint.wav",         # expired, on an open complaint: stays
        "closed": rec / "2025" / "closed.wav",          # expired, its complaint closed: goes
        "new": rec / "recent.wav",                      # within retention: stays
    }
    recorded_call("c-old", OLD, files["old"])
    recorded_call("c-held", OLD, files["held"])
    recorded_call("c-closed", OLD, files["closed"])
    recorded_call("c-new", NOW - dt.timedelta(days=3), files["new"])
    complaint("251028000001", "c-held", created=OLD)
    complaint("251028000002", "c-closed", status="closed", created=OLD)
    db.close()
    env = {"SWITCHFLOW_DB": url, "SWITCHFLOW_FREESWITCH_RECORDINGS_DIR": str(rec),
           "SWITCHFLOW_PANEL_RECORDINGS_ARCHIVE": str(tmp_path / "archive"),
           "SWITCHFLOW_PANEL_RECORDINGS_KEEP": "180"}
    yield tmp_path, files, env, url


def index(url: str) -> dict[str, tuple[str, bool, bool]]:
    db = bind(open_database(url))
    try:
        return {r.call_id: (r.path, r.archived, r.deleted) for r in Recording.select()}
    finally:
        db.close()


def test_dry_run_lists_and_changes_nothing(setup):
    tmp_path, files, env, url = setup
    before = index(url)
    result = CliRunner().invoke(recordings, ["prune", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    assert "2 to archive, 1 held." in result.output
    assert "attached to open complaint 251028000001" in result.output
    assert str(tmp_path / "archive" / "2025" / "old.wav") in result.output
    assert "Dry run: nothing was changed." in result.output
    assert index(url) == before and all(p.exists() for p in files.values())


def test_prune_archives_the_old_keeps_the_one_on_an_open_complaint(setup):
    tmp_path, files, env, url = setup
    result = CliRunner().invoke(recordings, ["prune"], env=env)
    assert result.exit_code == 0, result.output
    archived = tmp_path / "archive" / "2025" / "old.wav"
    assert archived.exists() and not files["old"].exists()
    assert files["held"].exists() and files["new"].exists()
    after = index(url)
    assert after["c-old"] == (str(archived), True, False)
    assert after["c-held"] == (str(files["held"]), False, False)
    assert after["c-closed"][1] is True
    assert after["c-new"] == (str(files["new"]), False, False)
    db = bind(open_database(url))
    try:   # the call record names the archived file too
        assert CallRow.get(CallRow.call_id == "c-old").recording == str(archived)
    finally:
        db.close()
    # run again: nothing left to do, the held one still held
    again = CliRunner().invoke(recordings, ["prune"], env=env)
    assert "0 to archive, 1 held." in again.output


def test_delete_expiry_removes_files_and_flags_the_index(setup):
    _, files, env, url = setup
    result = CliRunner().invoke(recordings, ["prune"],
                                env={**env, "SWITCHFLOW_PANEL_RECORDINGS_EXPIRY": "delete"})
    assert result.exit_code == 0, result.output
    assert not files["old"].exists() and files["held"].exists()
    after = index(url)
    assert after["c-old"][2] is True and after["c-held"][2] is False


def test_help_has_an_example():
    result = CliRunner().invoke(recordings, ["prune", "--help"])
    assert "switchflow recordings prune --dry-run" in result.output
