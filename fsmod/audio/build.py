"""`switchflow prompts build`: the prompt catalogues and say fragments as WAV files.

For each language it reads the prompt catalogue (prompts/LANG.toml) and the
say inventory (prompts/say/LANG.toml: the digits, number units, money and
date words engine/speech/say.py strings together), and makes every key a
16-bit mono WAV at 8 kHz and 16 kHz (fsmod.audio.layout says where):

* a recorded file `prompts/recorded/LANG/KEY.wav` (say keys: `recorded/LANG/
  say/NAME.wav`), when there is one, is converted with sox: a person's
  recording always wins over the synthetic voice;
* otherwise espeak-ng speaks the text with the language's voice and sox
  converts it (espeak-ng writes 22.05 kHz).

Each built file is read back (channels, sample width, rate, a non-zero
length) before it counts as built. A manifest per language
(SOUNDS/switchflow/LANG/.built.json) keeps the hash of what each key was
made from (the text, the voice, a recording's bytes), so a second run skips
every key whose text, voice and recording have not changed and whose files
are all there. The report lists what is still missing: keys one language
has and another lacks, empty texts, languages with no voice, and failures.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fsmod.audio.layout import RATES, ROOT, built_file
from fsmod.commands.validate import CommandValueError

VOICES = {"zh-CN": "cmn", "en-US": "en-us"}
"""espeak-ng voice per language; `--voice LANG=VOICE` adds or replaces one."""

MANIFEST = ".built.json"
TOOL_TIMEOUT = 60  # seconds for one espeak-ng or sox run


class BuildError(Exception):
    """Something that stops the whole build (a tool missing, a folder not writable)."""


@dataclass(frozen=True)
class Missing:
    lang: str
    key: str
    why: str


@dataclass
class BuildReport:
    built: list[tuple[str, str]] = field(default_factory=list)    # (lang, key)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # unchanged since last time
    missing: list[Missing] = field(default_factory=list)


@dataclass(frozen=True)
class WavInfo:
    channels: int
    sample_width: int  # bytes
    rate: int
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames / self.rate if self.rate else 0.0


def wav_info(path: Path) -> WavInfo:
    """What a WAV file holds, read from its header (wave.Error / OSError if unreadable)."""
    with wave.open(str(path), "rb") as w:
        return WavInfo(w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes())


def playable(path: Path, rate: int) -> str | None:
    """None when FreeSWITCH can play the file as built (mono, 16-bit, `rate`, not
    empty); otherwise what is wrong with it."""
    try:
        info = wav_info(path)
    except (OSError, wave.Error, EOFError) as exc:
        return f"not a readable WAV file ({exc})"
    if info.channels != 1 or info.sample_width != 2:
        return f"{info.channels} channels of {8 * info.sample_width} bits, not 16-bit mono"
    if info.rate != rate:
        return f"{info.rate} Hz instead of {rate} Hz"
    if info.frames == 0:
        return "no sound in it (length 0)"
    return None


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BuildError(f"{name} is not installed: it is needed to build prompts "
                         f"(Debian: apt-get install {name})")
    return found


def _run(argv: list[str], stdin: bytes | None = None) -> None:
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{Path(argv[0]).name} took longer than {TOOL_TIMEOUT}s") from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"{Path(argv[0]).name} failed: "
                           + (err[-1] if err else f"exit status {done.returncode}"))


Synth = Callable[[str, str, Path], None]


def espeak(text: str, voice: str, wav: Path) -> None:
    """Speak `text` with an espeak-ng voice into `wav` (the text goes on stdin, never
    on the command line, so no text is read as an option)."""
    _run([_tool("espeak-ng"), "-v", voice, "-w", str(wav), "--stdin"], text.encode("utf-8"))


def convert(src: Path, dst: Path, rate: int) -> None:
    """Any audio sox reads -> 16-bit mono WAV at `rate`, written next to `dst` then moved."""
    tmp = dst.with_name(dst.name + ".part.wav")
    _run([_tool("sox"), str(src), "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed-integer",
          str(tmp)])
    os.replace(tmp, dst)


def _digest(text: str, voice: str, recorded: Path | None) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"text": text, "voice": voice, "rates": RATES}).encode("utf-8"))
    if recorded is not None:
        h.update(recorded.read_bytes())
    return h.hexdigest()


def _load_manifest(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _save_manifest(path: Path, data: Mapping[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(dict(sorted(data.items())), ensure_ascii=False, indent=1) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def build(catalogues: Mapping[str, Mapping[str, str]], out: Path, *,
          fragments: Mapping[str, Mapping[str, str]] | None = None,
          recorded: Path | None = None, voices: Mapping[str, str] = VOICES,
          langs: tuple[str, ...] = (), synth: Synth = espeak) -> BuildReport:
    """Build every key of every language into `out`: the prompt catalogues
    ({lang: {key: text}}), which must all hold the same keys, and the say
    fragments ({lang: {"say/…": text}}), which differ by language.

    `recorded` is the folder of recorded prompts (recorded/LANG/KEY.wav);
    `langs` limits the build to those languages (all when empty).
    """
    report = BuildReport()
    fragments = fragments or {}
    every_key = {k for keys in catalogues.values() for k in keys}
    chosen = [lang for lang in sorted({*catalogues, *fragments}) if not langs or lang in langs]
    for lang in chosen:
        texts = {**catalogues.get(lang, {}), **fragments.get(lang, {})}
        for key in sorted(every_key - set(catalogues.get(lang, {}))):
            others = sorted(o for o, t in catalogues.items() if key in t)
            report.missing.append(Missing(lang, key, f"not in {lang}'s catalogue (only in "
                                          + ", ".join(others) + ")"))
        voice = voices.get(lang) or voices.get(lang.split("-")[0])
        manifest_path = out / ROOT / lang / MANIFEST
        manifest = _load_manifest(manifest_path)
        try:
            for key in sorted(texts):
                _build_key(lang, key, texts[key], voice, out, recorded, manifest, report, synth)
        finally:
            _save_manifest(manifest_path, manifest)
    return report


def _build_key(lang: str, key: str, text: str, voice: str | None, out: Path,
               recorded_dir: Path | None, manifest: dict[str, str], report: BuildReport,
               synth: Synth) -> None:
    try:
        targets = {rate: built_file(out, lang, key, rate) for rate in RATES}
    except CommandValueError as exc:
        report.missing.append(Missing(lang, key, f"cannot be a sound file name: {exc}"))
        return
    recorded = recorded_dir / lang / f"{key}.wav" if recorded_dir is not None else None
    if recorded is not None and not recorded.is_file():
        recorded = None
    if recorded is None and not text.strip():
        report.missing.append(Missing(lang, key, "the text is empty"))
        return
    if recorded is None and voice is None:
        report.missing.append(Missing(lang, key, f"no espeak-ng voice for {lang} "
                                      "(give one with --voice LANG=VOICE, or record it)"))
        return
    digest = _digest(text, voice or "", recorded)
    if manifest.get(key) == digest and all(p.is_file() for p in targets.values()):
        report.skipped.append((lang, key))
        return
    manifest.pop(key, None)
    try:
        for path in targets.values():
            path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="switchflow-prompt-") as tmp:
            source = recorded
            if source is None:
                source = Path(tmp) / "spoken.wav"
                synth(text, voice or "", source)
            for rate, path in targets.items():
                convert(source, path, rate)
                wrong = playable(path, rate)
                if wrong:
                    path.unlink(missing_ok=True)
                    raise RuntimeError(f"the {rate} Hz file came out wrong: {wrong}")
    except (RuntimeError, OSError) as exc:
        report.missing.append(Missing(lang, key, str(exc)))
        return
    manifest[key] = digest
    report.built.append((lang, key))
