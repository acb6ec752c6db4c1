"""Where a prompt's audio lives, on disk here and as FreeSWITCH is told to play it.

FreeSWITCH's sound folders hold one sub-folder per sample rate next to each
file's name: asked to play `DIR/welcome.wav` on an 8 kHz call, mod_sndfile
opens `DIR/8000/welcome.wav` first, then the highest rate it finds
(48000, 32000, 16000), then `DIR/welcome.wav` itself. So `switchflow prompts
build` writes, for each language and prompt key,

    SOUNDS/switchflow/LANG/RATE/KEY.wav         (a catalogue prompt: welcome)
    SOUNDS/switchflow/LANG/say/RATE/NAME.wav    (a say fragment: say/5)

for RATE 8000 and 16000, and the ESL channel plays the absolute path
`SOUNDS_DIR/switchflow/LANG/KEY.wav` (`[freeswitch] sounds_dir`, where the
built folder is installed on the nodes): an absolute path, so FreeSWITCH's
`sound_prefix` (often set to its own English sounds) plays no part.
Every path is checked with fsmod.commands.validate.file_path, the same
check `Sound` applies, so a key that could not be played is caught here.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from fsmod.commands import validate
from fsmod.commands.sounds import Sound

ROOT = "switchflow"
RATES = (8000, 16000)


def _key_parts(lang: str, key: str) -> tuple[str, str]:
    validate.file_path("prompt language", lang)
    validate.file_path("prompt key", key)
    if "/" in lang or key.startswith("/") or ".." in key.split("/"):
        raise validate.CommandValueError("prompt key", f"{lang}/{key}", "not a relative name")
    folder, _, name = key.rpartition("/")
    return folder, name


def built_file(out: str | Path, lang: str, key: str, rate: int) -> Path:
    """The file `prompts build` writes for a key at one sample rate."""
    folder, name = _key_parts(lang, key)
    base = Path(out) / ROOT / lang
    if folder:
        base = base / folder
    return base / str(rate) / f"{name}.wav"


def playback_path(sounds_dir: str, lang: str, key: str) -> str:
    """The absolute path FreeSWITCH is asked to play for a key (it adds the RATE folder)."""
    _key_parts(lang, key)
    path = str(PurePosixPath(sounds_dir) / ROOT / lang / f"{key}.wav")
    return validate.file_path("sound file", path)


def prompt_sound(sounds_dir: str, lang: str, keys: list[str] | tuple[str, ...]) -> Sound:
    """The Sound for one prompt or a say-fragment list (played as one file_string)."""
    return Sound.files([playback_path(sounds_dir, lang, k) for k in keys])
