"""Saying values aloud from switchflow's own prompt set.

FreeSWITCH's `say` application needs sound packs that no registry here
provides; without them it fails silently. So a flow's `{expr|money}` and the
like are turned here into a `Spoken`: the words written out (for the
simulator's screen and the TTS fallback) and the keys of the audio files
that say them, in order, to be played as one `file_string://a.wav!b.wav`
list. The keys and their texts are the small "say" inventory in
prompts/say/LANG.toml; `switchflow prompts build` synthesises one file per
key.

Kinds and the conventions they follow (the tables in tests/test_say.py are
the full reference):

* ``number`` -- integers and decimals, negative too, absolute value below
  10**15. zh-CN: 十 for 10-19 only at the start (10 十, 110 一百一十,
  10010 一万零一十); one 零 for a run of zeros inside a number or before a
  part below 千 after 万/亿 (一千零一, 一亿零一百万); 两 for a 2 before 千
  and for a multiplier of exactly 2 before 万/亿 (两千, 两万, 两亿,
  but 十二万, 二百); decimals 三点五, negative 负三. en-US: British "and"
  (one hundred and five, two thousand and one, one million and five),
  hyphenated tens (thirty-two), decimals read digit by digit (one point
  zero five), negative "minus". Trailing zeros of a fraction are not said
  (1.50 is 一点五); a float is first rounded to 6 decimal places, so binary
  noise (0.1 + 0.2) is not read out.
* ``money`` -- yuan, rounded half up to the fen. zh-CN: 九十六元五角,
  九十六元五角三分, 一百元整, 一百元零五分 (one 零 where the 角 is 0 but
  the 分 is not), 五分 and 五角 with no 零元 before them, 零元 for 0, 两元
  / 两角 / 两分 for an amount of exactly 2 of that unit. en-US: "ninety-six
  yuan and fifty fen", "one hundred yuan", "five fen", "zero yuan" (fen are
  hundredths, so 0.50 is fifty fen).
* ``digits`` -- one by one. zh-CN reads 1 as 幺 and 0 as 零 (phone, account
  and ticket numbers); en-US says "zero". Spaces, hyphens, dots and
  brackets are skipped; ``*``, ``#`` and ``+`` are said (星/star, 井/pound,
  加/plus). An empty value says nothing.
* ``date`` -- zh-CN: the year digit by digit (二零二六年十一月二十三日);
  en-US: "November twenty-third, twenty twenty-six", years 2000-2009 as
  numbers (two thousand and five), others in pairs (nineteen oh five,
  nineteen hundred, twenty ten).
* ``time`` -- hours and minutes, seconds ignored, no time-zone conversion
  (the engine passes local time). zh-CN: 凌晨 00-05, 上午 06-11, 中午 12,
  下午 13-17, 晚上 18-23, on a 12-hour clock except 凌晨零点: 上午十点三十分,
  下午三点, 中午十二点, 两点, 十点零五分. en-US: "ten thirty a.m.", "three
  p.m.", "ten oh five a.m.", "twelve noon", "twelve midnight", "twelve
  thirty a.m.".

Written text: zh-CN joins the inventory texts with no separator; en-US with
a space, except a hyphen inside a number from 21 to 99 (or a day like
twenty-third) and a comma after the day of a date. Leaving out those marks,
`Spoken.text` is always the files' inventory texts in order.

Anything that cannot be said (text that is not a number, a date that is
not a date, an unknown kind or language) raises `SayError`, never another
exception, so the engine can log it and fall back.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path

__all__ = [
    "KINDS",
    "LANGS",
    "LIMIT",
    "SAY_DIR",
    "SEPARATORS",
    "SayError",
    "Spoken",
    "inventory",
    "speak",
    "speak_value",
]

SAY_DIR = Path(__file__).resolve().parents[2] / "prompts" / "say"
"""Where the inventories live: prompts/say/LANG.toml."""

LANGS = ("zh-CN", "en-US")
KINDS = ("number", "money", "digits", "date", "time")
SEPARATORS = {"zh-CN": "", "en-US": " "}
"""What joins two inventory texts in `Spoken.text`."""

LIMIT = 10**15
"""Numbers and amounts must be smaller than this in absolute value."""


class SayError(ValueError):
    """A value that cannot be said as asked (the engine logs it and falls back)."""


@dataclass(frozen=True)
class Spoken:
    """A value said aloud: the words written out, and the say-prompt keys to play."""

    text: str
    files: tuple[str, ...]


# Tokens: inventory keys ("say/..."), and two marks that only shape the text.
_HYPHEN = "-"
_COMMA = ","


# ---------------------------------------------------------------- inventory

def _lang(lang: object) -> str:
    if lang in LANGS:
        return lang  # type: ignore[return-value]
    norm = str(lang).strip().replace("_", "-").lower()
    found = {"zh": "zh-CN", "zh-cn": "zh-CN", "en": "en-US", "en-us": "en-US"}.get(norm)
    if found is None:
        raise SayError(f"no say prompts for language {lang!r}: use one of {', '.join(LANGS)}")
    return found


@cache
def _load(lang: str) -> dict[str, str]:
    path = SAY_DIR / f"{lang}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SayError(f"cannot read the say prompts {path}: {exc}") from None
    bad = [k for k, v in data.items() if not isinstance(v, str)]
    if bad:
        raise SayError(f"{path}: values must be text, not for {', '.join(sorted(bad))}")
    return data


def inventory(lang: str) -> dict[str, str]:
    """The say-prompt keys of a language and the text each one speaks."""
    return dict(_load(_lang(lang)))


def _render(tokens: list[str], lang: str) -> Spoken:
    words = _load(lang)
    sep = SEPARATORS[lang]
    text: list[str] = []
    glue: str | None = None
    for tok in tokens:
        if tok == _HYPHEN:
            glue = "-" if lang == "en-US" else ""
            continue
        if tok == _COMMA:
            if lang == "en-US" and text:
                text.append(",")
            continue
        try:
            word = words[tok]
        except KeyError:
            raise SayError(f"prompts/say/{lang}.toml has no `{tok}`") from None
        if text:
            text.append(sep if glue is None else glue)
        text.append(word)
        glue = None
    return Spoken("".join(text), tuple(t for t in tokens if t not in (_HYPHEN, _COMMA)))


# ---------------------------------------------------------------- numbers as values

_NUMBER_TEXT = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")


def _decimal(kind: str, value: object) -> Decimal:
    """A finite Decimal from an int, float, Decimal or numeric text."""
    if isinstance(value, bool):
        raise SayError(f"{kind}: {value!r} is true/false, not a number")
    if isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise SayError(f"{kind}: {value!r} is not a finite number")
        d = Decimal(repr(value))
        if d.as_tuple().exponent < -6:  # type: ignore[operator]
            d = d.quantize(Decimal("1e-6"), ROUND_HALF_UP)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise SayError(f"{kind}: {value!r} is not a finite number")
        d = value
    elif isinstance(value, str):
        s = value.strip()
        if not _NUMBER_TEXT.fullmatch(s):
            raise SayError(f"{kind}: {value!r} is not a number")
        d = Decimal(s.replace(",", ""))
    else:
        raise SayError(f"{kind}: {value!r} ({type(value).__name__}) is not a number")
    if abs(d) >= LIMIT:
        raise SayError(f"{kind}: {value!r} is too large to say (limit 10^15)")
    return d


def _parts(d: Decimal) -> tuple[bool, int, str]:
    """(negative, integer part, fraction digits) of a finite Decimal."""
    plain = format(abs(d), "f")
    whole, _, frac = plain.partition(".")
    return d < 0, int(whole), frac


# ---------------------------------------------------------------- zh-CN words

def _zh_int(n: int, leading: bool = True) -> list[str]:
    """0 <= n < 10**16; `leading`: n starts what is said (10 is 十, not 一十)."""
    if n == 0:
        return ["say/0"]
    for base, unit in ((10**8, "say/100000000"), (10**4, "say/10000")):
        if n >= base:
            high, rest = divmod(n, base)
            out = (["say/liang"] if high == 2 else _zh_int(high, leading)) + [unit]
            if rest:
                if rest < base // 10:
                    out.append("say/0")
                out += _zh_int(rest, leading=False)
            return out
    out: list[str] = []
    started = zero = False
    for digit, unit in (((n // 1000) % 10, "say/1000"), ((n // 100) % 10, "say/100"),
                        ((n // 10) % 10, "say/10"), (n % 10, None)):
        if digit == 0:
            zero = started
            continue
        if zero:
            out.append("say/0")
            zero = False
        if digit == 2 and unit == "say/1000":
            out.append("say/liang")
        elif not (digit == 1 and unit == "say/10" and leading and not started):
            out.append(f"say/{digit}")
        if unit:
            out.append(unit)
        started = True
    return out


def _zh_count(n: int) -> list[str]:
    """A count before a measure word (元, 角, 分, 点): 两 for exactly 2."""
    return ["say/liang"] if n == 2 else _zh_int(n)


def _zh_number(d: Decimal) -> list[str]:
    negative, whole, frac = _parts(d)
    frac = frac.rstrip("0")
    out = ["say/minus"] if negative else []
    out += _zh_int(whole)
    if frac:
        out += ["say/point", *(f"say/{c}" for c in frac)]
    return out


def _zh_money(negative: bool, yuan: int, jiao: int, fen: int) -> list[str]:
    out = ["say/minus"] if negative else []
    if yuan:
        out += [*_zh_count(yuan), "say/yuan"]
    if not (jiao or fen):
        return out + (["say/zheng"] if yuan else ["say/0", "say/yuan"])
    if jiao:
        out += [*_zh_count(jiao), "say/jiao"]
    elif yuan:
        out.append("say/0")
    if fen:
        out += [*_zh_count(fen), "say/fen"]
    return out


def _zh_date(day: dt.date) -> list[str]:
    return [*(f"say/{c}" for c in str(day.year)), "say/year",
            *_zh_int(day.month), "say/month", *_zh_int(day.day), "say/day"]


def _zh_time(hour: int, minute: int) -> list[str]:
    if hour < 6:
        period, h = "say/small_hours", hour
    elif hour < 12:
        period, h = "say/am", hour
    elif hour < 13:
        period, h = "say/noon", hour
    elif hour < 18:
        period, h = "say/pm", hour - 12
    else:
        period, h = "say/evening", hour - 12
    out = [period, *_zh_count(h), "say/hour"]
    if minute:
        out += (["say/0", f"say/{minute}"] if minute < 10 else _zh_int(minute))
        out.append("say/minute")
    return out


# ---------------------------------------------------------------- en-US words

_EN_SCALES = ((10**12, "say/1000000000000"), (10**9, "say/1000000000"),
              (10**6, "say/1000000"), (10**3, "say/1000"))


def _en_below100(n: int) -> list[str]:
    if n < 20:
        return [f"say/{n}"]
    tens, ones = divmod(n, 10)
    return [f"say/{tens * 10}"] + ([_HYPHEN, f"say/{ones}"] if ones else [])


def _en_below1000(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    out = [f"say/{hundreds}", "say/100"] if hundreds else []
    if rest:
        if hundreds:
            out.append("say/and")
        out += _en_below100(rest)
    return out


def _en_int(n: int) -> list[str]:
    """0 <= n < 10**15."""
    if n == 0:
        return ["say/0"]
    out: list[str] = []
    for base, scale in _EN_SCALES:
        if n >= base:
            group, n = divmod(n, base)
            out += [*_en_below1000(group), scale]
    if n:
        if out and n < 100:
            out.append("say/and")
        out += _en_below1000(n)
    return out


def _en_number(d: Decimal) -> list[str]:
    negative, whole, frac = _parts(d)
    frac = frac.rstrip("0")
    out = ["say/minus"] if negative else []
    out += _en_int(whole)
    if frac:
        out += ["say/point", *(f"say/{c}" for c in frac)]
    return out


def _en_money(negative: bool, yuan: int, jiao: int, fen: int) -> list[str]:
    out = ["say/minus"] if negative else []
    cents = jiao * 10 + fen
    if yuan or not cents:
        out += [*_en_int(yuan), "say/yuan"]
    if cents:
        if yuan:
            out.append("say/and")
        out += [*_en_below100(cents), "say/fen"]
    return out


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")


def _en_ordinal(n: int) -> list[str]:
    """1 <= n <= 39 (days of the month)."""
    def key(k: int) -> str:
        suffix = "th" if 10 <= k <= 19 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
        return f"say/{k}{suffix}"
    if n < 20 or n % 10 == 0:
        return [key(n)]
    tens, ones = divmod(n, 10)
    return [f"say/{tens * 10}", _HYPHEN, key(ones)]


def _en_year(y: int) -> list[str]:
    high, low = divmod(y, 100)
    if y < 1000 or y % 1000 < 10:      # 5, 999, 2000, 2005: as a number
        return _en_int(y)
    if low == 0:                       # 1900: nineteen hundred
        return [*_en_below100(high), "say/100"]
    if low < 10:                       # 1905: nineteen oh five
        return [*_en_below100(high), "say/oh", f"say/{low}"]
    return [*_en_below100(high), *_en_below100(low)]


def _en_date(day: dt.date) -> list[str]:
    return [f"say/{_MONTHS[day.month - 1]}", *_en_ordinal(day.day), _COMMA,
            *_en_year(day.year)]


def _en_time(hour: int, minute: int) -> list[str]:
    if minute == 0 and hour in (0, 12):
        return ["say/12", "say/midnight" if hour == 0 else "say/noon"]
    out = _en_below100(hour % 12 or 12)
    if minute:
        out += ["say/oh", f"say/{minute}"] if minute < 10 else _en_below100(minute)
    out.append("say/am" if hour < 12 else "say/pm")
    return out


# ---------------------------------------------------------------- values of each kind

def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        s = value.strip()
        try:
            return dt.date.fromisoformat(s)
        except ValueError:
            pass
        try:
            return dt.datetime.fromisoformat(s).date()
        except ValueError:
            pass
        raise SayError(f"date: {value!r} is not a date (expected YYYY-MM-DD)")
    raise SayError(f"date: {value!r} ({type(value).__name__}) is not a date")


_CLOCK_TEXT = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?")


def _as_time(value: object) -> tuple[int, int]:
    if isinstance(value, dt.datetime | dt.time):
        return value.hour, value.minute
    if isinstance(value, dt.date):
        raise SayError(f"time: {value!r} is a date without a time of day")
    if isinstance(value, str):
        s = value.strip()
        m = _CLOCK_TEXT.fullmatch(s)
        if m:
            hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
            if hour < 24 and minute < 60 and second < 60:
                return hour, minute
        else:
            try:
                moment = dt.datetime.fromisoformat(s)
            except ValueError:
                pass
            else:
                if "T" in s or " " in s:
                    return moment.hour, moment.minute
        raise SayError(f"time: {value!r} is not a time of day (expected HH:MM)")
    raise SayError(f"time: {value!r} ({type(value).__name__}) is not a time of day")


def _money_parts(value: object) -> tuple[bool, int, int, int]:
    d = _decimal("money", value).quantize(Decimal("0.01"), ROUND_HALF_UP)
    negative, yuan, frac = _parts(d)
    cents = int(frac or 0)
    return negative, yuan, cents // 10, cents % 10


_DIGIT_NAMES = {"*": "say/star", "#": "say/pound", "+": "say/plus"}
_DIGIT_SKIP = frozenset(" -.()\t")


def _digit_tokens(value: object, lang: str) -> list[str]:
    if isinstance(value, bool):
        raise SayError(f"digits: {value!r} is true/false, not digits")
    if isinstance(value, float | Decimal):
        try:
            exact = int(value)
        except (ValueError, OverflowError, InvalidOperation):
            exact = None
        if exact is None or exact != value:
            raise SayError(f"digits: {value!r} is not a whole number")
        value = exact
    if isinstance(value, int):
        if value < 0:
            raise SayError(f"digits: {value!r} is negative")
        value = str(value)
    if not isinstance(value, str):
        raise SayError(f"digits: {value!r} ({type(value).__name__}) is not digits")
    out: list[str] = []
    for ch in value:
        if ch in _DIGIT_SKIP:
            continue
        if ch in _DIGIT_NAMES:
            out.append(_DIGIT_NAMES[ch])
        elif ch.isascii() and ch.isdigit():
            out.append("say/yao" if ch == "1" and lang == "zh-CN" else f"say/{ch}")
        else:
            raise SayError(f"digits: {value!r} holds {ch!r}, which is not a digit")
    return out


def _tokens(kind: str, value: object, lang: str) -> list[str]:
    zh = lang == "zh-CN"
    if kind == "number":
        d = _decimal("number", value)
        return _zh_number(d) if zh else _en_number(d)
    if kind == "money":
        parts = _money_parts(value)
        return _zh_money(*parts) if zh else _en_money(*parts)
    if kind == "digits":
        return _digit_tokens(value, lang)
    if kind == "date":
        day = _as_date(value)
        return _zh_date(day) if zh else _en_date(day)
    if kind == "time":
        hour, minute = _as_time(value)
        return _zh_time(hour, minute) if zh else _en_time(hour, minute)
    raise SayError(f"cannot say {kind!r}: kinds are {', '.join(KINDS)}")


def speak(kind: str, value: object, lang: str) -> Spoken:
    """Say `value` as a `kind` (number, money, digits, date, time) in `lang`.

    Raises SayError, and nothing else, when it cannot.
    """
    lang = _lang(lang)
    return _render(_tokens(kind, value, lang), lang)


def speak_value(value: object, lang: str) -> Spoken:
    """Say an interpolated value that has no filter.

    Text is said as itself (no files: TTS); numbers as `number`; true/false
    as yes/no (是/否); None as nothing; a date, time or datetime as `date`,
    `time` or both. Anything else raises SayError.
    """
    lang = _lang(lang)
    if value is None:
        return Spoken("", ())
    if isinstance(value, str):
        return Spoken(value, ())
    if isinstance(value, bool):
        return _render(["say/yes" if value else "say/no"], lang)
    if isinstance(value, int | float | Decimal):
        return speak("number", value, lang)
    if isinstance(value, dt.datetime):
        zh = lang == "zh-CN"
        tokens = (_zh_date(value) if zh else _en_date(value)) + [_COMMA]
        tokens += _zh_time(value.hour, value.minute) if zh else _en_time(value.hour, value.minute)
        return _render(tokens, lang)
    if isinstance(value, dt.date):
        return speak("date", value, lang)
    if isinstance(value, dt.time):
        return speak("time", value, lang)
    raise SayError(f"cannot say a {type(value).__name__} value: {value!r}")
