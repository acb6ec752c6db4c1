"""Turning prompts and `say` strings into Media the channel can play.

A `say "您本月用气{c.month_usage}立方米"` becomes one Media: the display
text with the values in figures ("…32立方米", what tests and the simulator
match on), the words a caller hears ("…三十二立方米"), and the audio keys
in order: literal fragments as "text:…" (spoken by TTS or a built
fragment) and values as keys of switchflow's own say prompt set.

A secret value (engine/evaluation/secrets.py) makes the text and words it
is part of secret too: the caller hears them, traces and logs show a mask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from engine.channel.contract import Media
from engine.evaluation.expr import FlowError, Functions, evaluate
from engine.evaluation.limits import bounded_text
from engine.evaluation.secrets import join
from engine.speech.say import SayError, speak, speak_value


def prompt_media(key: str, lang: str, prompts: Mapping[str, Mapping[str, str]],
                 fallback_lang: str | None = None) -> Media:
    """A prompt key as Media; its text comes from prompts/LANG.toml."""
    text = prompts.get(lang, {}).get(key)
    if text is None and fallback_lang:
        text = prompts.get(fallback_lang, {}).get(key)
    return Media(text=text if text is not None else key, files=(f"prompt/{key}",), key=key)


def render(fmt: Mapping[str, Any], variables: Mapping[str, Any], call: Functions,
           lang: str) -> Media:
    """A `say` string as Media (display text, words and audio keys)."""
    shown: list[tuple[str, Any]] = []   # (text, the value it shows)
    words: list[tuple[str, Any]] = []
    files: list[str] = []
    for part in fmt["fmt"]:
        if isinstance(part, str):
            shown.append((part, None))
            words.append((part, None))
            files.append(f"text:{part}")
            continue
        value = evaluate(part["expr"], variables, call)
        kind = part["filters"][-1][0] if part["filters"] else None
        shown.append((display(value, kind, lang), value))
        try:
            spoken = speak(kind, value, lang) if kind else speak_value(value, lang)
        except SayError as exc:
            raise FlowError(str(exc)) from None
        words.append((spoken.text, value))
        files.extend(spoken.files or (f"text:{spoken.text}",))
    return Media(text=bounded_text(join(shown), "the text to say"), files=tuple(files),
                 kind="say", words=join(words))


def render_text(fmt: Mapping[str, Any], variables: Mapping[str, Any], call: Functions,
                lang: str) -> str:
    """A `log` string: values in figures, nothing spoken."""
    out: list[tuple[str, Any]] = []     # (text, the value it shows)
    for part in fmt["fmt"]:
        if isinstance(part, str):
            out.append((part, None))
        else:
            value = evaluate(part["expr"], variables, call)
            kind = part["filters"][-1][0] if part["filters"] else None
            out.append((display(value, kind, lang), value))
    return bounded_text(join(out), "the text")


def display(value: Any, kind: str | None, lang: str) -> str:
    """How a value reads on a screen or in a log."""
    zh = lang.startswith("zh")
    if value is None:
        return ""
    if kind == "money" and isinstance(value, int | float):
        return f"{value:.2f}元" if zh else f"{value:.2f} yuan"
    if kind == "date" or (kind is None and isinstance(value, dt.date)
                          and not isinstance(value, dt.datetime)):
        day = _as_date(value)
        if day is None:
            return str(value)
        return f"{day.year}年{day.month}月{day.day}日" if zh else day.isoformat()
    if kind == "time":
        moment = _as_time(value)
        return moment.strftime("%H:%M") if moment else str(value)
    if isinstance(value, bool):
        return ("是" if value else "否") if zh else ("yes" if value else "no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _as_time(value: Any) -> dt.time | None:
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    text = str(value)
    try:
        return dt.time.fromisoformat(text[11:16] if len(text) > 10 else text)
    except ValueError:
        return None
