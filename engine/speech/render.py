"""Turning prompts and `say` strings into Media the channel can play.

A `say "您本月用气{c.month_usage|number}立方米"` becomes one Media of typed
parts (engine.channel.media): the author's literal fragments as trusted
TextParts, values with a say filter (or numbers, dates, times, yes/no) as
SayParts from switchflow's own say prompt set, and text values (names,
addresses, whatever a lookup or a caller supplied) as untrusted TextParts.
Every part carries the language it is spoken in: the sentence's language.

A secret value (engine/evaluation/secrets.py) keeps its mark in the parts
it becomes, so the media's text and words are secret too: the caller hears
them, traces and logs show a mask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.channel.media import Media, Part, PromptPart, SayPart, TextPart
from engine.evaluation.expr import FlowError, Functions, evaluate
from engine.evaluation.limits import bounded_text
from engine.evaluation.secrets import SecretText, is_secret, join
from engine.speech.say import SayError, speak, speak_value


def prompt_media(key: str, lang: str, prompts: Mapping[str, Mapping[str, str]],
                 fallback_lang: str | None = None, voice: str | None = None) -> Media:
    """A prompt key as Media; its text comes from prompts/LANG.toml (or the fallback's)."""
    text = prompts.get(lang, {}).get(key)
    if text is None and fallback_lang:
        text = prompts.get(fallback_lang, {}).get(key)
        if text is not None:
            lang = fallback_lang
    return Media((PromptPart(key, lang, text if text is not None else key),), voice)


def render(fmt: Mapping[str, Any], variables: Mapping[str, Any], call: Functions,
           lang: str, voice: str | None = None) -> Media:
    """A `say` string as Media, every part spoken in `lang` (the sentence's language)."""
    parts: list[Part] = []
    for piece in fmt["fmt"]:
        if isinstance(piece, str):
            if piece:
                parts.append(TextPart(piece, lang))
            continue
        value = evaluate(piece["expr"], variables, call)
        kind = piece["filters"][-1][0] if piece["filters"] else None
        part = value_part(value, kind, lang)
        if part is not None:
            parts.append(part)
    media = Media(tuple(parts), voice)
    bounded_text(media.text, "the text to say")
    return media


def value_part(value: Any, kind: str | None, lang: str) -> Part | None:
    """One interpolated value as a part; None when there is nothing to say."""
    if kind is None and value is None:
        return None
    if kind is None and isinstance(value, str):
        return TextPart(value, lang, untrusted=True) if value else None
    try:
        spoken = speak(kind, value, lang) if kind else speak_value(value, lang)
    except SayError as exc:
        raise FlowError(str(exc)) from None
    if not spoken.files and not spoken.text:
        return None
    shown, words = display(value, kind, lang), spoken.text
    if is_secret(value):
        shown, words = SecretText(shown), SecretText(words)
    return SayPart(kind or _value_kind(value), shown, words, spoken.files, lang)


def _value_kind(value: Any) -> str:
    """What an unfiltered value is said as (speak_value's choice)."""
    if isinstance(value, bool):
        return "yesno"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    return "time"


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
