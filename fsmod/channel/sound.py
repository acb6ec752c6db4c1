"""What a `Media` becomes on FreeSWITCH: files to play, and text to speak.

Prompts and say-fragments are files under the prompts folder as the switch
sees it, one folder per language (`switchflow prompts build` writes
`LANG/KEY.wav`; a say key such as `say/3` is `LANG/say/3.wav`). Consecutive
files are played as one `file_string://` list. A `TextPart` is spoken by
TTS (`speak`) only when a TTS engine is configured; its text is neutralised
first (engine.speech.safe_text), trusted text too, since an author's `!`
would split a file_string; untrusted text that needed it is logged with the
call id. Without TTS a text part is not heard, and that is logged once per
call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from engine.channel.media import Media, PromptPart, SayPart, TextPart
from engine.speech.safe_text import neutralise, speakable_text
from fsmod.commands import apps
from fsmod.commands.sendmsg import AppCall
from fsmod.commands.sounds import Sound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Voice:
    """Where prompts live on the switch, and the TTS engine if there is one."""

    prompts: str = "/usr/share/switchflow/prompts"
    extension: str = "wav"
    tts_engine: str | None = None      # e.g. "flite"; None: no TTS
    tts_voice: str = "kal"             # used when the flow names no voice


@dataclass(frozen=True)
class Files:
    sound: Sound


@dataclass(frozen=True)
class Speech:
    call: AppCall


Step = Files | Speech


def prompt_path(voice: Voice, lang: str, key: str) -> str:
    return f"{voice.prompts.rstrip('/')}/{lang}/{key}.{voice.extension}"


def steps(media: Media, voice: Voice, call_id: str) -> list[Step]:
    """The media as playback and speak steps, in order."""
    out: list[Step] = []
    files: list[str] = []

    def flush() -> None:
        if files:
            out.append(Files(Sound.files(list(files))))
            files.clear()

    silent = []
    for part in media.parts:
        if isinstance(part, PromptPart):
            files.append(prompt_path(voice, part.lang, part.key))
        elif isinstance(part, SayPart):
            files.extend(prompt_path(voice, part.lang, key) for key in part.files)
        elif isinstance(part, TextPart):
            text = neutralise(str(part.text)).strip()
            if part.untrusted and not speakable_text(str(part.text)):
                log.warning("call=%s untrusted text was neutralised before it was spoken",
                            call_id)
            if voice.tts_engine is None or not text:
                silent.append(part)
                continue
            flush()
            out.append(Speech(apps.speak(voice.tts_engine, media.voice or voice.tts_voice,
                                         text.replace("|", " "))))
    flush()
    if silent:
        log.warning("call=%s %d text part(s) not heard: no TTS engine is configured",
                    call_id, len(silent))
    return out
