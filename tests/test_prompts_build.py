"""`switchflow prompts build`: playable WAVs where FreeSWITCH looks for them, built once."""

from __future__ import annotations

import array
import shutil
import subprocess
import wave
from pathlib import Path, PurePosixPath

import pytest
from click.testing import CliRunner

from cli.main import cli
from fsmod.audio.build import playable, wav_info
from fsmod.audio.layout import built_file, playback_path, prompt_sound
from fsmod.commands.validate import CommandValueError

needs_tools = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")),
    reason="espeak-ng and sox are not installed (Debian: espeak-ng, sox)")


@pytest.fixture
def project(tmp_path):
    prompts = tmp_path / "prompts"
    (prompts / "say").mkdir(parents=True)
    (prompts / "zh-CN.toml").write_text('hello = "您好"\nbye = "再见"\n', encoding="utf-8")
    (prompts / "en-US.toml").write_text('hello = "Hello"\nbye = "Goodbye"\nextra = "Only here"\n',
                                        encoding="utf-8")
    (prompts / "say" / "zh-CN.toml").write_text('"say/5" = "五"\n"say/yao" = "幺"\n',
                                                encoding="utf-8")
    (prompts / "say" / "en-US.toml").write_text('"say/5" = "five"\n', encoding="utf-8")
    return tmp_path


def build(project: Path, *args: str):
    env = {"SWITCHFLOW_PATHS_PROMPTS": str(project / "prompts"), "SWITCHFLOW_CONFIG": None}
    return CliRunner().invoke(cli, ["prompts", "build", "--out", str(project / "sounds"), *args],
                              env=env, catch_exceptions=False)


def peak(path: Path) -> int:
    with wave.open(str(path), "rb") as w:
        samples = array.array("h", w.readframes(w.getnframes()))
    return max((abs(s) for s in samples), default=0)


@needs_tools
def test_build_makes_playable_wavs_in_freeswitchs_layout_then_skips_them(project):
    first = build(project)
    out = project / "sounds"
    # zh-CN lacks `extra`, which en-US has: reported, and the exit status says so
    assert "missing zh-CN extra: not in zh-CN's catalogue (only in en-US)" in first.output
    assert first.exit_code == 1
    assert "8 built, 0 unchanged (skipped), 1 missing" in first.output
    for lang, key in [("zh-CN", "hello"), ("en-US", "extra"), ("zh-CN", "say/yao"),
                      ("en-US", "say/5")]:
        for rate in (8000, 16000):
            path = built_file(out, lang, key, rate)
            assert path.is_file()
            assert playable(path, rate) is None
            info = wav_info(path)
            assert (info.channels, info.sample_width, info.rate) == (1, 2, rate)
            assert info.seconds > 0.1
            assert peak(path) > 1000          # a voice, not silence
    assert (out / "switchflow/zh-CN/say/8000/yao.wav").is_file()
    assert (out / "switchflow/en-US/16000/hello.wav").is_file()

    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.wav")}
    second = build(project)
    assert "0 built, 8 unchanged (skipped), 1 missing" in second.output
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.wav")} == stamps


@needs_tools
def test_a_changed_text_or_a_deleted_file_is_built_again_and_nothing_else(project):
    build(project)
    (project / "prompts" / "zh-CN.toml").write_text(
        'hello = "您好！"\nbye = "再见"\nextra = "额外"\n', encoding="utf-8")
    built_file(project / "sounds", "en-US", "say/5", 16000).unlink()
    again = build(project)
    assert again.exit_code == 0, again.output
    assert "3 built, 6 unchanged (skipped), 0 missing" in again.output


@needs_tools
def test_a_recording_wins_over_the_voice(project):
    recorded = project / "prompts" / "recorded" / "en-US"
    recorded.mkdir(parents=True)
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", str(recorded / "hello.wav"),
                    "synth", "1.5", "sine", "440"], check=True)
    build(project, "--lang", "en-US")
    for rate in (8000, 16000):
        info = wav_info(built_file(project / "sounds", "en-US", "hello", rate))
        assert (info.channels, info.rate) == (1, rate)
        assert abs(info.seconds - 1.5) < 0.01     # the recording's length, not the voice's


@needs_tools
def test_empty_texts_and_languages_without_a_voice_are_reported(project):
    (project / "prompts" / "fr-FR.toml").write_text('hello = "Bonjour"\nbye = ""\n'
                                                    'extra = "Seulement"\n', encoding="utf-8")
    result = build(project, "--lang", "fr-FR")
    assert result.exit_code == 1
    assert "missing fr-FR bye: the text is empty" in result.output
    assert "missing fr-FR hello: no espeak-ng voice for fr-FR" in result.output
    voiced = build(project, "--lang", "fr-FR", "--voice", "fr-FR=fr")
    assert "2 built" in voiced.output
    assert "missing fr-FR bye: the text is empty" in voiced.output


def test_bad_usage(project):
    assert "no catalogue for xx-XX" in build(project, "--lang", "xx-XX").output
    assert "expected LANG=VOICE" in build(project, "--voice", "cmn").output


def test_playable_tells_what_is_wrong(tmp_path):
    path = tmp_path / "x.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0\0\0" * 800)
    assert playable(path, 8000) == "2 channels of 16 bits, not 16-bit mono"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(b"\0\0" * 800)
    assert playable(path, 8000) == "22050 Hz instead of 8000 Hz"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
    assert playable(path, 8000) == "no sound in it (length 0)"
    path.write_bytes(b"not a wav")
    assert playable(path, 8000).startswith("not a readable WAV file")


def test_playback_path_finds_the_built_file_the_way_freeswitch_does(tmp_path):
    """FreeSWITCH asked for DIR/NAME.wav on an 8 kHz call opens DIR/8000/NAME.wav."""
    for key in ("welcome", "say/5", "say/1st"):
        played = PurePosixPath(playback_path("/usr/share/freeswitch/sounds", "zh-CN", key))
        looked_up = played.parent / "8000" / played.name
        built = built_file(tmp_path, "zh-CN", key, 8000).relative_to(tmp_path)
        assert str(looked_up) == "/usr/share/freeswitch/sounds/" + built.as_posix()
    sound = prompt_sound("/snd", "en-US", ["say/1", "say/100"])
    assert sound.uri == "file_string:///snd/switchflow/en-US/say/1.wav!/snd/switchflow/en-US/say/100.wav"
    for bad in ("../etc/passwd", "a b", "x!y", "${x}"):
        with pytest.raises(CommandValueError):
            playback_path("/snd", "zh-CN", bad)


def test_serve_plays_the_prompts_where_prompts_build_put_them_on_the_nodes():
    from engine.settings import load_settings
    from fsmod.audio.layout import playback_path
    from fsmod.channel.sound import prompt_path
    from fsmod.service.freeswitch import node_voice

    settings = load_settings(env={"SWITCHFLOW_FREESWITCH_SOUNDS_DIR": "/srv/sounds"})
    voice = node_voice(settings)
    for key in ("welcome", "say/5"):         # a catalogue prompt and a say fragment
        assert prompt_path(voice, "zh-CN", key) == playback_path("/srv/sounds", "zh-CN", key)
    assert prompt_path(voice, "en-US", "say/5") == "/srv/sounds/switchflow/en-US/say/5.wav"
