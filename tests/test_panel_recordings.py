"""/recordings: find by caller, agent, day and ticket; play with byte ranges and only
files inside the recording folders; score on the quality form; scores per agent."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from panel.context import PanelContext
from store.quality.recordings import RecordingFilter, find_recordings
from tests.wall_store import complaint, recorded_call

pytest_plugins = ["panel_support"]

AUDIO = bytes(range(256)) * 8            # 2 KiB standing in for a WAV file


@pytest.fixture
def folders(tmp_path):
    return tmp_path / "recordings", tmp_path / "archive"


@pytest.fixture
def panel_ctx(panel_db, clock, folders) -> PanelContext:
    from panel_support import panel_settings
    settings = panel_settings(recordings_archive=folders[1])
    settings = dataclasses.replace(settings, freeswitch=dataclasses.replace(
        settings.freeswitch, recordings_dir=str(folders[0])))
    return PanelContext(settings=settings, now=clock)


@pytest.fixture
def calls(panel, folders):
    rec = folders[0]
    day = panel.clock() - dt.timedelta(days=1)
    return {
        "ann": recorded_call("c1", day, rec / "c1.wav", agent="1001@default",
                             caller="13800000051", ticket="261127000001", audio=AUDIO),
        "bob": recorded_call("c2", day - dt.timedelta(days=5), rec / "c2.wav",
                             agent="1002@default", caller="13900000052", audio=AUDIO),
    }


def rows(page: str) -> list[str]:
    return re.findall(r'<tr data-recording="(\d+)">', page)


def test_find_by_caller_agent_day_and_ticket(panel, calls):
    sup = panel.client("supervisor")
    ann, bob = str(calls["ann"].id), str(calls["bob"].id)
    assert rows(sup.get("/recordings").get_data(as_text=True)) == [ann, bob]
    assert rows(sup.get("/recordings?caller=0000051").get_data(as_text=True)) == [ann]
    assert rows(sup.get("/recordings?agent=1002@default").get_data(as_text=True)) == [bob]
    assert rows(sup.get("/recordings?ticket=261127000001").get_data(as_text=True)) == [ann]
    day = (panel.clock() - dt.timedelta(days=6)).astimezone(dt.UTC).date().isoformat()
    assert rows(sup.get(f"/recordings?from={day}&to={day}").get_data(as_text=True)) == [bob]
    bad = sup.get("/recordings?caller=1%27%20OR%201=1")
    assert bad.status_code == 400 and "caller: digits" in bad.get_data(as_text=True)


def test_play_streams_the_file_with_byte_ranges(panel, calls):
    sup = panel.client("supervisor")
    rid = calls["ann"].id
    page = sup.get(f"/recordings/{rid}").get_data(as_text=True)
    assert f'src="/recordings/{rid}/audio"' in page
    whole = sup.get(f"/recordings/{rid}/audio")
    assert whole.status_code == 200 and whole.data == AUDIO
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = sup.get(f"/recordings/{rid}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == AUDIO[100:200]


def test_a_path_outside_the_recording_folders_is_never_sent(panel, calls, folders, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the panel's secret key")
    sneaky = recorded_call("c3", panel.clock(), folders[0] / ".." / "secret.txt", audio=b"")
    link = folders[0] / "link.wav"
    link.symlink_to(secret)
    linked = recorded_call("c4", panel.clock(), link, audio=b"")
    sup = panel.client("supervisor")
    for recording in (sneaky, linked):
        answer = sup.get(f"/recordings/{recording.id}/audio")
        assert answer.status_code == 404 and b"secret key" not in answer.data
        assert "cannot be played" in sup.get(f"/recordings/{recording.id}").get_data(as_text=True)
    assert sup.get("/recordings/..%2F..%2Fsecret.txt/audio").status_code == 404


def test_quality_form_and_scores_per_agent(panel, calls):
    sup = panel.client("supervisor")
    rid = calls["ann"].id
    sup.refresh_csrf(f"/recordings/{rid}")
    form = {"score_greeting": "5", "score_understanding": "4", "score_accuracy": "5",
            "score_resolution": "3", "score_courtesy": "5", "score_closing": "4",
            "comment": "good call, <i>slow</i> to open the ticket"}
    answer = sup.send(f"/recordings/{rid}/quality", form)
    assert answer.status_code == 302
    page = sup.get(f"/recordings/{rid}").get_data(as_text=True)
    assert '<td data-field="score">86.7 %</td>' in page           # 26 of 30
    assert "good call, &lt;i&gt;slow&lt;/i&gt; to open the ticket" in page
    refused = sup.send(f"/recordings/{rid}/quality", {**form, "score_closing": "9"})
    assert refused.status_code == 400 and "Closing: the score must be 0 to 5" in \
        refused.get_data(as_text=True)
    missing = sup.send(f"/recordings/{rid}/quality", {"score_greeting": "5"})
    assert missing.status_code == 400
    scores = sup.get("/recordings/scores").get_data(as_text=True)
    row = re.search(r'<tr data-agent="1001@default">.*?</tr>', scores, re.S).group(0)
    assert '<td data-field="average">86.7 %</td>' in row
    assert '<svg id="score-chart"' in scores and "1001@default" in scores


def test_a_recording_on_a_confidential_complaint_is_hidden_from_agents(panel, calls):
    complaint("261127000009", "c2", confidential=True, created=panel.clock())
    zone = panel.ctx.settings.engine.timezone
    seen = {r.call_id for r in find_recordings(RecordingFilter(zone=zone), "agent")}
    assert seen == {"c1"}
    shown = find_recordings(RecordingFilter(zone=zone), "supervisor")
    assert {r.call_id: r.confidential for r in shown} == {"c1": False, "c2": True}
