"""The settings of each call's line take effect: recording mono or stereo, the TTS
engine and voice, [outbound] max_calls and its deadlines.

Over real TCP against the fake FreeSWITCH, with the outbound server built by
`switchflow serve`'s own telephony side (fsmod.service.freeswitch) from the
settings; what is checked is what the switch was sent and how calls ended.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import gevent
import pytest

from cli.project import compile_checked, demo_runtime
from engine.calendars.clock import VirtualClock
from engine.channel.contract import CallGone
from engine.channel.media import Media, PromptPart, TextPart
from engine.lifecycle import Calls
from engine.record import MemorySink
from engine.settings import SettingsError, load_settings
from engine.sim.channel import ScriptedCaller, SimChannel
from engine.sim.switch import SimSwitch
from fsmod.fake import CallScript
from fsmod.service.freeswitch import FreeSwitchTelephony, call_timing

REPO = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
SCALE = 0.05


def settings_with(**env: str):
    return load_settings(env={f"SWITCHFLOW_{k.upper()}": v for k, v in env.items()})


class Line:
    """`serve`'s telephony side in demo mode (its own fake FreeSWITCH), each line
    handed to `handler`; port 0 for the outbound server."""

    def __init__(self, settings, handler) -> None:
        settings = dataclasses.replace(settings, outbound=dataclasses.replace(
            settings.outbound, port=0))
        self.side = FreeSwitchTelephony.demo(settings, scale=SCALE)
        self.fake = self.side.demo_switch
        self.errors: dict[str, BaseException] = {}

        def run(channel, node=""):
            try:
                handler(channel)
            except BaseException as error:          # CallGone is a BaseException
                self.errors[channel.uuid] = error
                raise

        self.side.start(run)

    @property
    def server(self):
        return self.side.server

    def place(self, script: CallScript):
        return self.fake.place_call(script, "127.0.0.1", self.side.outbound_port)

    def call(self, script: CallScript, timeout: float = 10.0):
        call = self.place(script)
        assert call.ended.wait(timeout), "the call did not end"
        self.settle(timeout)
        return call

    def settle(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.server.stats.active:
            assert time.monotonic() < deadline, "a call's handler never returned"
            gevent.sleep(0.01)

    @staticmethod
    def sent(call) -> list[tuple[str, str]]:
        return [(f.get("execute-app-name") or "", f.get("execute-app-arg") or "")
                for f in call.commands if f.get("call-command") == "execute"]

    def close(self) -> None:
        self.side.close()


@pytest.fixture
def line():
    made: list[Line] = []

    def make(settings, handler):
        made.append(Line(settings, handler))
        return made[-1]

    yield make
    for m in made:
        m.close()


# ---------------------------------------------------------------- recording


def _hotline(settings) -> tuple[list[dict], Any]:
    runtime = demo_runtime(settings, incident=False, near=REPO / "flows")
    flows = []
    for name in ("hotline", "emergency", "faxback"):
        ir, checked = compile_checked(REPO / "flows" / f"{name}.flow", runtime.catalog)
        assert ir is not None, checked.diagnostics
        flows.append(ir)
    return flows, dataclasses.replace(runtime, sink=MemorySink())


@pytest.mark.parametrize("channels", ["mono", "stereo"])
def test_whole_call_recording_is_mono_by_default_and_stereo_when_set(line, channels):
    settings = settings_with(freeswitch_recording_channels=channels) \
        if channels == "stereo" else load_settings(env={})
    flows, runtime = _hotline(settings)
    holder: dict[str, Calls] = {}
    test_line = line(settings, lambda channel: holder["calls"].handle(channel))
    holder["calls"] = Calls(flows, runtime, test_line.side.switch)
    call = test_line.call(CallScript(destination="95158", hangup_at=2.0))
    sent = test_line.sent(call)
    (record,) = runtime.sink.records
    day = record.started_at.astimezone(SHANGHAI)
    path = (f"{settings.freeswitch.recordings_dir}/{day:%Y/%m/%d}/{record.call_id}.wav")
    assert ("record_session", path) in sent           # named by local date and call id
    stereo = [i for i, s in enumerate(sent) if s == ("set", "RECORD_STEREO=true")]
    if channels == "stereo":
        assert stereo and stereo[0] < sent.index(("record_session", path))
    else:
        assert not [s for s in sent if "RECORD_STEREO" in s[1]]   # FreeSWITCH's default: mono


def test_the_simulator_records_stereo_when_the_settings_say_so():
    for channels, expected in (("mono", False), ("stereo", True)):
        flows, runtime = _hotline(settings_with(freeswitch_recording_channels=channels))
        switch = SimSwitch()
        calls = Calls(flows, runtime, switch)
        switch.connect(calls.handle)
        channel = SimChannel(ScriptedCaller([("hangup", None)]),
                             VirtualClock(dt.datetime(2026, 11, 23, 10, tzinfo=SHANGHAI)),
                             called="95158")
        record = switch.call(channel).wait(timeout=5)
        assert record.recording is not None and channel.recording == record.recording
        assert channel.recording_stereo is expected


def test_recording_channels_must_be_mono_or_stereo():
    with pytest.raises(SettingsError, match=r'freeswitch.recording_channels = "strereo".*'
                                            r'"mono", "stereo"'):
        settings_with(freeswitch_recording_channels="strereo")


# ---------------------------------------------------------------- TTS


def _speak_text(channel) -> None:
    channel.play(Media((PromptPart("welcome", "en-US", "welcome"),
                        TextPart("Your meter was read today", "en-US"))))
    channel.hangup()


def test_without_a_tts_engine_text_is_not_spoken(line):
    test_line = line(load_settings(env={}), _speak_text)
    sent = test_line.sent(test_line.call(CallScript()))
    assert [a for a, _ in sent if a == "playback"] and not [a for a, _ in sent if a == "speak"]


def test_the_tts_engine_and_voice_settings_change_the_speak_command(line):
    settings = settings_with(freeswitch_tts_engine="flite", freeswitch_tts_voice="slt")
    test_line = line(settings, _speak_text)
    sent = test_line.sent(test_line.call(CallScript()))
    assert [arg for app, arg in sent if app == "speak"] == ["flite|slt|Your meter was read today"]


@pytest.mark.parametrize("key, value", [("tts_engine", "flite|x"), ("tts_engine", "Flite"),
                                        ("tts_voice", "kal slt"), ("tts_voice", "")])
def test_tts_settings_that_would_break_the_command_are_refused(key, value):
    with pytest.raises(SettingsError, match=rf"freeswitch\.{key}"):
        settings_with(**{f"freeswitch_{key}": value})


# ---------------------------------------------------------------- max_calls


def _long_prompt(channel) -> None:
    channel.answer()
    channel.play(Media((PromptPart("long", "zh-CN", "long"),)))


def test_beyond_max_calls_the_third_call_is_refused_with_congestion_not_left_parked(line):
    test_line = line(settings_with(outbound_max_calls="2"), _long_prompt)
    script = CallScript(default_duration=40.0)          # 2 s of the fake's time each
    first, second = test_line.place(script), test_line.place(script)
    deadline = time.monotonic() + 10
    while test_line.server.stats.active < 2:
        assert time.monotonic() < deadline, "the first two calls never started"
        gevent.sleep(0.01)
    third = test_line.place(CallScript())
    assert third.ended.wait(10)
    # hung up with a cause, so the caller (or Kamailio) hears 503 and may go elsewhere
    assert third.hangup_cause == "NORMAL_CIRCUIT_CONGESTION"
    assert [f.get("call-command") for f in third.commands if f.command == "sendmsg"] \
        == ["hangup"]
    assert not test_line.sent(third)                   # nothing ran on the refused call
    for call in (first, second):
        assert call.ended.wait(10) and call.hangup_cause == "NORMAL_CLEARING"
    test_line.settle()
    assert test_line.server.stats.refused == 1 and test_line.server.stats.accepted == 2


def test_max_calls_is_bounded():
    with pytest.raises(SettingsError, match=r"outbound\.max_calls = 0"):
        settings_with(outbound_max_calls="0")


# ---------------------------------------------------------------- deadlines


def test_the_reply_timeout_setting_bounds_each_commands_reply(line, caplog):
    holder: dict[str, Any] = {}

    def stall_then_answer(channel) -> None:
        holder["line"].fake.stalled = True
        channel.answer()

    test_line = line(settings_with(outbound_reply_timeout="300ms"), stall_then_answer)
    holder["line"] = test_line
    with caplog.at_level(logging.WARNING, logger="fsmod.channel.session"):
        call = test_line.place(CallScript())
        deadline = time.monotonic() + 10
        while call.uuid not in test_line.errors:
            assert time.monotonic() < deadline, "the stalled call's handler never returned"
            gevent.sleep(0.02)
    test_line.fake.stalled = False
    assert isinstance(test_line.errors[call.uuid], CallGone)
    assert test_line.errors[call.uuid].cause == "RECOVERY_ON_TIMER_EXPIRE"
    assert "no reply to sendmsg within 0.3 s" in caplog.text
    assert call.ended.wait(5)


def test_the_deadline_settings_reach_every_calls_session():
    settings = settings_with(outbound_connect_timeout="2s", outbound_reply_timeout="3s",
                             outbound_execute_timeout="20s", outbound_execute_margin="30s",
                             outbound_after_hangup="4s")
    timeouts, limits = call_timing(settings)
    assert (timeouts.connect, timeouts.reply, timeouts.after_hangup) == (2.0, 3.0, 4.0)
    assert (limits.command, limits.record_extra) == (20.0, 30.0)
    default_timeouts, default_limits = call_timing(load_settings(env={}))
    assert (default_timeouts.connect, default_timeouts.reply) == (5.0, 5.0)
    assert (default_limits.command, default_limits.record_extra) == (10.0, 10.0)


def test_the_connect_timeout_setting_gives_up_on_a_silent_switch():
    """A peer that connects and never answers `connect` is given up after
    outbound.connect_timeout, and the server goes on taking calls."""
    from gevent import socket as gsocket

    settings = settings_with(outbound_connect_timeout="200ms")
    test_line = Line(settings, lambda channel: None)
    try:
        silent = gsocket.create_connection(("127.0.0.1", test_line.side.outbound_port))
        deadline = time.monotonic() + 10
        while test_line.server.stats.failed < 1:
            assert time.monotonic() < deadline, "the silent session was never given up"
            gevent.sleep(0.02)
        silent.close()
        assert test_line.call(CallScript()).hangup_cause == "NORMAL_CLEARING"
    finally:
        test_line.close()


def _slow(call, app: str, seconds: float, hang_up_first: bool = False) -> None:
    """The fake runs `app` `seconds` longer (real time), hanging up first if asked."""
    def hook(pending) -> None:
        if pending.app == app:
            if hang_up_first:
                call.hangup("NORMAL_CLEARING")
            gevent.sleep(seconds)
    call.on_execute.append(hook)


def test_the_execute_timeout_setting_ends_a_call_whose_answer_never_completes(line, caplog):
    test_line = line(settings_with(outbound_execute_timeout="1s"), lambda ch: ch.answer())
    with caplog.at_level(logging.WARNING, logger="fsmod.channel.session"):
        call = test_line.place(CallScript())
        _slow(call, "answer", 4.0)
        deadline = time.monotonic() + 10
        while call.uuid not in test_line.errors:
            assert time.monotonic() < deadline, "the handler never returned"
            gevent.sleep(0.02)
    assert test_line.errors[call.uuid].cause == "RECOVERY_ON_TIMER_EXPIRE"
    assert "answer ran past its 1 s limit" in caplog.text


def test_the_after_hangup_setting_bounds_the_wait_for_a_late_result(line):
    results = {}

    def fax(channel) -> None:
        channel.answer()
        results[channel.uuid] = channel.send_fax("/srv/fax/statement.tif")

    test_line = line(settings_with(outbound_after_hangup="300ms"), fax)
    call = test_line.place(CallScript())
    _slow(call, "txfax", 3.0, hang_up_first=True)
    deadline = time.monotonic() + 10
    while call.uuid not in results:
        assert time.monotonic() < deadline, "send_fax never returned"
        gevent.sleep(0.02)
    assert results[call.uuid].success is False
    assert "no fax result came before the call ended" in results[call.uuid].text


def test_the_execute_margin_setting_bounds_a_recording_past_its_maximum(line, caplog):
    from engine.channel.contract import RecordRequest

    def record(channel) -> None:
        channel.answer()
        channel.record(RecordRequest("msg", max_ms=1000, silence_ms=0, beep=False))

    test_line = line(settings_with(outbound_execute_margin="0s"), record)
    with caplog.at_level(logging.WARNING, logger="fsmod.channel.session"):
        call = test_line.place(CallScript())
        _slow(call, "record", 4.0)           # the switch keeps recording past MAX_S
        deadline = time.monotonic() + 10
        while call.uuid not in test_line.errors:
            assert time.monotonic() < deadline, "the handler never returned"
            gevent.sleep(0.02)
    assert test_line.errors[call.uuid].cause == "RECOVERY_ON_TIMER_EXPIRE"
    assert "record ran past its 1 s limit" in caplog.text
