"""engine/say.py: numbers, money, digits, dates and times in words and say-prompt keys.

The tables are the reference for the conventions (see engine/say.py's
docstring); the inventory tests keep prompts/say/LANG.toml and the code in
step; the property tests read the words back into numbers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.speech.say import (
    KINDS,
    LANGS,
    LIMIT,
    SEPARATORS,
    SayError,
    Spoken,
    inventory,
    speak,
    speak_value,
)

ZH, EN = "zh-CN", "en-US"

# ---------------------------------------------------------------- tables: (value, zh-CN, en-US)

NUMBERS = [
    (0, "零", "zero"),
    (1, "一", "one"),
    (2, "二", "two"),
    (7, "七", "seven"),
    (10, "十", "ten"),
    (11, "十一", "eleven"),
    (12, "十二", "twelve"),
    (19, "十九", "nineteen"),
    (20, "二十", "twenty"),
    (21, "二十一", "twenty-one"),
    (32, "三十二", "thirty-two"),
    (99, "九十九", "ninety-nine"),
    (100, "一百", "one hundred"),
    (101, "一百零一", "one hundred and one"),
    (105, "一百零五", "one hundred and five"),
    (110, "一百一十", "one hundred and ten"),
    (111, "一百一十一", "one hundred and eleven"),
    (200, "二百", "two hundred"),
    (999, "九百九十九", "nine hundred and ninety-nine"),
    (1000, "一千", "one thousand"),
    (1001, "一千零一", "one thousand and one"),
    (1010, "一千零一十", "one thousand and ten"),
    (1100, "一千一百", "one thousand one hundred"),
    (1105, "一千一百零五", "one thousand one hundred and five"),
    (2000, "两千", "two thousand"),
    (2001, "两千零一", "two thousand and one"),
    (2222, "两千二百二十二", "two thousand two hundred and twenty-two"),
    (10000, "一万", "ten thousand"),
    (10001, "一万零一", "ten thousand and one"),
    (10010, "一万零一十", "ten thousand and ten"),
    (10100, "一万零一百", "ten thousand one hundred"),
    (11000, "一万一千", "eleven thousand"),
    (12000, "一万两千", "twelve thousand"),
    (20000, "两万", "twenty thousand"),
    (22000, "两万两千", "twenty-two thousand"),
    (100000, "十万", "one hundred thousand"),
    (105000, "十万五千", "one hundred and five thousand"),
    (120000, "十二万", "one hundred and twenty thousand"),
    (200000, "二十万", "two hundred thousand"),
    (1000000, "一百万", "one million"),
    (1000005, "一百万零五", "one million and five"),
    (20000000, "两千万", "twenty million"),
    (100000000, "一亿", "one hundred million"),
    (100000001, "一亿零一", "one hundred million and one"),
    (100100000, "一亿零一十万", "one hundred million one hundred thousand"),
    (101000000, "一亿零一百万", "one hundred and one million"),
    (110000000, "一亿一千万", "one hundred and ten million"),
    (200000000, "两亿", "two hundred million"),
    (1200000000, "十二亿", "one billion two hundred million"),
    (10**12, "一万亿", "one trillion"),
    (10**12 + 10**8, "一万零一亿", "one trillion one hundred million"),
    (2 * 10**12, "两万亿", "two trillion"),
    (10**15 - 1,
     "九百九十九万九千九百九十九亿九千九百九十九万九千九百九十九",
     "nine hundred and ninety-nine trillion nine hundred and ninety-nine billion "
     "nine hundred and ninety-nine million nine hundred and ninety-nine thousand "
     "nine hundred and ninety-nine"),
    (0.5, "零点五", "zero point five"),
    (3.5, "三点五", "three point five"),
    (96.5, "九十六点五", "ninety-six point five"),
    (1234.56, "一千二百三十四点五六", "one thousand two hundred and thirty-four point five six"),
    (1.05, "一点零五", "one point zero five"),
    (2.2, "二点二", "two point two"),
    (0.1 + 0.2, "零点三", "zero point three"),
    (-3, "负三", "minus three"),
    (-0.5, "负零点五", "minus zero point five"),
    (-1001, "负一千零一", "minus one thousand and one"),
    (-0.0, "零", "zero"),
    (32.0, "三十二", "thirty-two"),
    (Decimal("96.50"), "九十六点五", "ninety-six point five"),
    (Decimal("1E+3"), "一千", "one thousand"),
    ("32", "三十二", "thirty-two"),
    (" -12.5 ", "负十二点五", "minus twelve point five"),
    ("1,234.5", "一千二百三十四点五", "one thousand two hundred and thirty-four point five"),
    (".5", "零点五", "zero point five"),
]

MONEY = [
    (0, "零元", "zero yuan"),
    (0.0, "零元", "zero yuan"),
    (0.004, "零元", "zero yuan"),
    (0.01, "一分", "one fen"),
    (0.05, "五分", "five fen"),
    (0.1, "一角", "ten fen"),
    (0.5, "五角", "fifty fen"),
    (0.55, "五角五分", "fifty-five fen"),
    (1, "一元整", "one yuan"),
    (2, "两元整", "two yuan"),
    (2.22, "两元两角两分", "two yuan and twenty-two fen"),
    (10, "十元整", "ten yuan"),
    (12, "十二元整", "twelve yuan"),
    (10.1, "十元一角", "ten yuan and ten fen"),
    (96.5, "九十六元五角", "ninety-six yuan and fifty fen"),
    (96.53, "九十六元五角三分", "ninety-six yuan and fifty-three fen"),
    (96.03, "九十六元零三分", "ninety-six yuan and three fen"),
    (100, "一百元整", "one hundred yuan"),
    (100.05, "一百元零五分", "one hundred yuan and five fen"),
    (100.5, "一百元五角", "one hundred yuan and fifty fen"),
    (105.5, "一百零五元五角", "one hundred and five yuan and fifty fen"),
    (1001, "一千零一元整", "one thousand and one yuan"),
    (1234.56, "一千二百三十四元五角六分",
     "one thousand two hundred and thirty-four yuan and fifty-six fen"),
    (20000, "两万元整", "twenty thousand yuan"),
    (1000000, "一百万元整", "one million yuan"),
    (-3.5, "负三元五角", "minus three yuan and fifty fen"),
    (-0.001, "零元", "zero yuan"),
    (0.005, "一分", "one fen"),                     # half up, to the fen
    (99.995, "一百元整", "one hundred yuan"),
    (Decimal("96.5"), "九十六元五角", "ninety-six yuan and fifty fen"),
    ("96.50", "九十六元五角", "ninety-six yuan and fifty fen"),
    ("1,000,000", "一百万元整", "one million yuan"),
]

DIGITS = [
    ("13800000001", "幺三八零零零零零零零幺",
     "one three eight zero zero zero zero zero zero zero one"),
    ("12345678", "幺二三四五六七八", "one two three four five six seven eight"),
    ("0", "零", "zero"),
    ("007", "零零七", "zero zero seven"),
    (12345, "幺二三四五", "one two three four five"),
    (0, "零", "zero"),
    (12.0, "幺二", "one two"),
    ("138-0000 0001", "幺三八零零零零零零零幺",
     "one three eight zero zero zero zero zero zero zero one"),
    ("(010) 8888", "零幺零八八八八", "zero one zero eight eight eight eight"),
    ("+8613800000001", "加八六幺三八零零零零零零零幺",
     "plus eight six one three eight zero zero zero zero zero zero zero one"),
    ("*9#", "星九井", "star nine pound"),
    ("", "", ""),
]

DATES = [
    ("2026-11-23", "二零二六年十一月二十三日", "November twenty-third, twenty twenty-six"),
    (dt.date(2026, 1, 1), "二零二六年一月一日", "January first, twenty twenty-six"),
    (dt.date(2025, 12, 31), "二零二五年十二月三十一日",
     "December thirty-first, twenty twenty-five"),
    (dt.date(2026, 2, 28), "二零二六年二月二十八日", "February twenty-eighth, twenty twenty-six"),
    (dt.date(2028, 2, 29), "二零二八年二月二十九日", "February twenty-ninth, twenty twenty-eight"),
    (dt.date(2026, 3, 2), "二零二六年三月二日", "March second, twenty twenty-six"),
    (dt.date(2026, 4, 30), "二零二六年四月三十日", "April thirtieth, twenty twenty-six"),
    (dt.date(2026, 5, 10), "二零二六年五月十日", "May tenth, twenty twenty-six"),
    (dt.date(2026, 6, 11), "二零二六年六月十一日", "June eleventh, twenty twenty-six"),
    (dt.date(2026, 7, 12), "二零二六年七月十二日", "July twelfth, twenty twenty-six"),
    (dt.date(2026, 8, 13), "二零二六年八月十三日", "August thirteenth, twenty twenty-six"),
    (dt.date(2026, 9, 20), "二零二六年九月二十日", "September twentieth, twenty twenty-six"),
    (dt.date(2026, 10, 22), "二零二六年十月二十二日",
     "October twenty-second, twenty twenty-six"),
    (dt.date(2000, 1, 1), "二零零零年一月一日", "January first, two thousand"),
    (dt.date(2005, 6, 15), "二零零五年六月十五日", "June fifteenth, two thousand and five"),
    (dt.date(2010, 10, 10), "二零一零年十月十日", "October tenth, twenty ten"),
    (dt.date(1999, 12, 31), "一九九九年十二月三十一日",
     "December thirty-first, nineteen ninety-nine"),
    (dt.date(1905, 3, 1), "一九零五年三月一日", "March first, nineteen oh five"),
    (dt.date(1900, 6, 21), "一九零零年六月二十一日", "June twenty-first, nineteen hundred"),
    (dt.datetime(2026, 11, 23, 23, 59), "二零二六年十一月二十三日",
     "November twenty-third, twenty twenty-six"),
    ("2026-11-23T10:30:00+08:00", "二零二六年十一月二十三日",
     "November twenty-third, twenty twenty-six"),
    (" 2026-01-31 08:00 ", "二零二六年一月三十一日", "January thirty-first, twenty twenty-six"),
]

TIMES = [
    ("00:00", "凌晨零点", "twelve midnight"),
    ("00:05", "凌晨零点零五分", "twelve oh five a.m."),
    ("00:30", "凌晨零点三十分", "twelve thirty a.m."),
    ("02:00", "凌晨两点", "two a.m."),
    ("5:59", "凌晨五点五十九分", "five fifty-nine a.m."),
    ("06:00", "上午六点", "six a.m."),
    ("08:02", "上午八点零二分", "eight oh two a.m."),
    ("10:05", "上午十点零五分", "ten oh five a.m."),
    ("10:10", "上午十点十分", "ten ten a.m."),
    ("10:30", "上午十点三十分", "ten thirty a.m."),
    ("11:59", "上午十一点五十九分", "eleven fifty-nine a.m."),
    ("12:00", "中午十二点", "twelve noon"),
    ("12:30", "中午十二点三十分", "twelve thirty p.m."),
    ("12:59", "中午十二点五十九分", "twelve fifty-nine p.m."),
    ("13:00", "下午一点", "one p.m."),
    ("14:15", "下午两点十五分", "two fifteen p.m."),
    ("15:00", "下午三点", "three p.m."),
    ("17:45", "下午五点四十五分", "five forty-five p.m."),
    ("18:00", "晚上六点", "six p.m."),
    ("20:20", "晚上八点二十分", "eight twenty p.m."),
    ("23:59", "晚上十一点五十九分", "eleven fifty-nine p.m."),
    ("10:30:45", "上午十点三十分", "ten thirty a.m."),
    (dt.time(15, 0), "下午三点", "three p.m."),
    (dt.time(12, 30, 59), "中午十二点三十分", "twelve thirty p.m."),
    (dt.datetime(2026, 11, 23, 10, 30), "上午十点三十分", "ten thirty a.m."),
    ("2026-11-23T21:07", "晚上九点零七分", "nine oh seven p.m."),
    ("2026-11-23 00:00:00", "凌晨零点", "twelve midnight"),
]

TABLES = {"number": NUMBERS, "money": MONEY, "digits": DIGITS, "date": DATES, "time": TIMES}
CASES = [
    pytest.param(kind, value, lang, want, id=f"{kind}-{lang}-{value!r}")
    for kind, rows in TABLES.items()
    for value, zh, en in rows
    for lang, want in ((ZH, zh), (EN, en))
]


@pytest.mark.parametrize(("kind", "value", "lang", "want"), CASES)
def test_speak_table(kind, value, lang, want):
    spoken = speak(kind, value, lang)
    assert isinstance(spoken, Spoken)
    assert spoken.text == want
    assert isinstance(spoken.files, tuple)


# ---------------------------------------------------------------- exact files

@pytest.mark.parametrize(("kind", "value", "lang", "files"), [
    ("number", 32, ZH, ("say/3", "say/10", "say/2")),
    ("number", 10, ZH, ("say/10",)),
    ("number", 110, ZH, ("say/1", "say/100", "say/1", "say/10")),
    ("number", 20000, ZH, ("say/liang", "say/10000")),
    ("number", 3.5, ZH, ("say/3", "say/point", "say/5")),
    ("number", -3, EN, ("say/minus", "say/3")),
    ("number", 32, EN, ("say/30", "say/2")),
    ("number", 105, EN, ("say/1", "say/100", "say/and", "say/5")),
    ("money", 96.5, ZH, ("say/9", "say/10", "say/6", "say/yuan", "say/5", "say/jiao")),
    ("money", 100, ZH, ("say/1", "say/100", "say/yuan", "say/zheng")),
    ("money", 100.05, ZH, ("say/1", "say/100", "say/yuan", "say/0", "say/5", "say/fen")),
    ("money", 96.5, EN, ("say/90", "say/6", "say/yuan", "say/and", "say/50", "say/fen")),
    ("digits", "101", ZH, ("say/yao", "say/0", "say/yao")),
    ("digits", "101", EN, ("say/1", "say/0", "say/1")),
    ("date", "2026-11-23", ZH, ("say/2", "say/0", "say/2", "say/6", "say/year", "say/10",
                                "say/1", "say/month", "say/2", "say/10", "say/3", "say/day")),
    ("date", "2026-11-23", EN, ("say/november", "say/20", "say/3rd", "say/20", "say/20",
                                "say/6")),
    ("time", "10:30", ZH, ("say/am", "say/10", "say/hour", "say/3", "say/10", "say/minute")),
    ("time", "14:00", ZH, ("say/pm", "say/liang", "say/hour")),
    ("time", "10:30", EN, ("say/10", "say/30", "say/am")),
    ("time", "10:05", EN, ("say/10", "say/oh", "say/5", "say/am")),
])
def test_speak_files(kind, value, lang, files):
    assert speak(kind, value, lang).files == files


# ---------------------------------------------------------------- speak_value

@pytest.mark.parametrize(("value", "lang", "want"), [
    ("建国路88号", ZH, Spoken("建国路88号", ())),
    ("Main Street", EN, Spoken("Main Street", ())),
    ("12345678", ZH, Spoken("12345678", ())),
    ("", ZH, Spoken("", ())),
    (None, ZH, Spoken("", ())),
    (None, EN, Spoken("", ())),
    (True, ZH, Spoken("是", ("say/yes",))),
    (False, ZH, Spoken("否", ("say/no",))),
    (True, EN, Spoken("yes", ("say/yes",))),
    (False, EN, Spoken("no", ("say/no",))),
    (32, ZH, Spoken("三十二", ("say/3", "say/10", "say/2"))),
    (96.5, EN, Spoken("ninety-six point five", ("say/90", "say/6", "say/point", "say/5"))),
    (Decimal("-3"), ZH, Spoken("负三", ("say/minus", "say/3"))),
])
def test_speak_value(value, lang, want):
    assert speak_value(value, lang) == want


def test_speak_value_dates_and_times():
    moment = dt.datetime(2026, 11, 23, 10, 30)
    assert speak_value(moment, ZH).text == "二零二六年十一月二十三日上午十点三十分"
    assert speak_value(moment, EN).text == \
        "November twenty-third, twenty twenty-six, ten thirty a.m."
    assert speak_value(moment.date(), ZH) == speak("date", moment.date(), ZH)
    assert speak_value(moment.time(), EN) == speak("time", moment.time(), EN)


def test_languages_are_normalised():
    assert speak("number", 32, "zh") == speak("number", 32, ZH)
    assert speak("number", 32, "zh_cn") == speak("number", 32, ZH)
    assert speak("number", 32, "EN-us") == speak("number", 32, EN)
    assert inventory("en") == inventory(EN)


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize(("kind", "value", "message"), [
    ("money", "abc", "not a number"),
    ("money", "", "not a number"),
    ("money", "12元", "not a number"),
    ("money", "1e5", "not a number"),
    ("money", True, "true/false"),
    ("money", None, "not a number"),
    ("money", [1], "not a number"),
    ("money", float("nan"), "finite"),
    ("money", float("inf"), "finite"),
    ("money", Decimal("NaN"), "finite"),
    ("money", 10**15, "too large"),
    ("money", -(10**15), "too large"),
    ("number", "3..5", "not a number"),
    ("number", "12,34", "not a number"),
    ("number", False, "true/false"),
    ("number", 1e300, "too large"),
    ("number", Decimal("1E+20"), "too large"),
    ("number", dt.date(2026, 1, 1), "not a number"),
    ("digits", "12a4", "not a digit"),
    ("digits", "１２", "not a digit"),      # full-width digits are not key presses
    ("digits", -5, "negative"),
    ("digits", 1.5, "whole number"),
    ("digits", float("inf"), "whole number"),
    ("digits", True, "true/false"),
    ("digits", None, "not digits"),
    ("date", "2026-13-01", "not a date"),
    ("date", "2026-02-30", "not a date"),
    ("date", "tomorrow", "not a date"),
    ("date", "", "not a date"),
    ("date", 20261123, "not a date"),
    ("date", dt.time(10, 30), "not a date"),
    ("date", None, "not a date"),
    ("time", "24:00", "not a time"),
    ("time", "10:60", "not a time"),
    ("time", "1030", "not a time"),
    ("time", "noon", "not a time"),
    ("time", "2026-11-23", "not a time"),
    ("time", dt.date(2026, 11, 23), "without a time"),
    ("time", 1030, "not a time"),
    ("time", None, "not a time"),
])
def test_bad_values_raise_say_error(kind, value, message):
    for lang in LANGS:
        with pytest.raises(SayError, match=message):
            speak(kind, value, lang)


def test_unknown_kind_and_language():
    with pytest.raises(SayError, match="kinds are number, money, digits, date, time"):
        speak("currency", 1, ZH)
    with pytest.raises(SayError, match="language 'fr-FR'"):
        speak("number", 1, "fr-FR")
    with pytest.raises(SayError, match="language"):
        inventory("de")
    with pytest.raises(SayError, match="cannot say a list"):
        speak_value([1, 2], ZH)


def test_say_error_is_a_value_error():
    assert issubclass(SayError, ValueError)


def test_spoken_is_frozen():
    spoken = speak("number", 1, ZH)
    with pytest.raises(AttributeError):
        spoken.text = "二"  # type: ignore[misc]


# ---------------------------------------------------------------- inventory

def _sample() -> list[tuple[str, object]]:
    """A broad sample of values of every kind: every table row and more."""
    sample: list[tuple[str, object]] = [
        (kind, value) for kind, rows in TABLES.items() for value, _, _ in rows]
    ints = [*range(0, 1000), *(10**k for k in range(15)), *(2 * 10**k for k in range(15)),
            *(10**k + 1 for k in range(15)), *(10**k - 1 for k in range(1, 16)),
            123456789012345, 987654321098765, 20202020202020, 10101010101010]
    sample += [("number", n) for n in ints] + [("number", -n) for n in ints[:50]]
    sample += [("number", n / 100) for n in range(-200, 1000, 7)]
    sample += [("money", n / 100) for n in range(0, 100001, 37)]
    sample += [("money", n) for n in ints]
    sample += [("digits", "0123456789*#+")]
    day = dt.date(1899, 12, 25)
    while day < dt.date(2101, 1, 10):
        sample.append(("date", day))
        day += dt.timedelta(days=53)
    sample += [("date", dt.date(2026, 1, d)) for d in range(1, 32)]
    sample += [("date", dt.date(2026, m, 1)) for m in range(1, 13)]
    sample += [("date", dt.date(y, 5, 5)) for y in (1, 9, 10, 99, 100, 999, 1000, 1001, 9999)]
    sample += [("time", dt.time(h, m)) for h in range(24) for m in range(60)]
    return sample


SAMPLE = _sample()


def _words(text: str, lang: str) -> list[str]:
    """The words of a Spoken.text, without the written-only marks of en-US."""
    if lang == ZH:
        return [text] if text else []
    return [w for w in re.split(r"[ ,\-]+", text) if w]


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_spoken_is_in_the_inventory(lang):
    words = inventory(lang)
    used: set[str] = set()
    for kind, value in SAMPLE:
        spoken = speak(kind, value, lang)
        missing = [f for f in spoken.files if f not in words]
        assert not missing, (kind, value, missing)
        used.update(spoken.files)
    for value in (True, False):
        used.update(speak_value(value, lang).files)
    # and nothing in the inventory is dead weight
    assert sorted(set(words) - used) == []


@pytest.mark.parametrize("lang", LANGS)
def test_text_is_the_inventory_texts_joined(lang):
    """zh-CN joins with "", en-US with " " (plus a hyphen or comma, written only)."""
    words = inventory(lang)
    sep = SEPARATORS[lang]
    for kind, value in SAMPLE:
        spoken = speak(kind, value, lang)
        joined = sep.join(words[f] for f in spoken.files)
        if lang == ZH:
            assert spoken.text == joined, (kind, value)
        else:
            assert _words(spoken.text, lang) == _words(joined, lang), (kind, value)
            assert spoken.text.replace("-", " ").replace(",", "") == joined, (kind, value)


def test_separators():
    assert SEPARATORS == {ZH: "", EN: " "}


@pytest.mark.parametrize("lang", LANGS)
def test_inventory_texts_are_bare_words(lang):
    words = inventory(lang)
    assert all(k.startswith("say/") for k in words)
    for key, text in words.items():
        assert text and text == text.strip(), key
        assert not re.search(r"[,\-，、。]", text), key
        if lang == EN:
            assert " " not in text, key


def test_inventory_is_a_copy():
    inventory(ZH)["say/3"] = "叁"
    assert inventory(ZH)["say/3"] == "三"


def test_inventory_is_small():
    assert len(inventory(ZH)) <= 60
    assert len(inventory(EN)) <= 100


# ---------------------------------------------------------------- reading the words back

_ZH_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}
_ZH_SMALL_UNIT = {"十": 10, "百": 100, "千": 1000}


def _zh_read(text: str) -> int:
    total = wan = section = digit = 0
    for ch in text:
        if ch in _ZH_DIGIT:
            digit = _ZH_DIGIT[ch]
        elif ch in _ZH_SMALL_UNIT:
            section += (digit or 1) * _ZH_SMALL_UNIT[ch]
            digit = 0
        elif ch == "万":
            wan += (section + digit) * 10**4
            section = digit = 0
        elif ch == "亿":
            total += (wan + section + digit) * 10**8
            wan = section = digit = 0
        else:
            raise AssertionError(f"unexpected {ch!r} in {text!r}")
    return total + wan + section + digit


_EN_SMALL = {w: n for n, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen"))}
_EN_SMALL.update({"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
                  "seventy": 70, "eighty": 80, "ninety": 90})
_EN_SCALE = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}


def _en_read(text: str) -> int:
    total = current = 0
    for word in re.split(r"[ \-]", text):
        if word == "and":
            continue
        if word in _EN_SMALL:
            current += _EN_SMALL[word]
        elif word == "hundred":
            current *= 100
        elif word in _EN_SCALE:
            total += current * _EN_SCALE[word]
            current = 0
        else:
            raise AssertionError(f"unexpected {word!r} in {text!r}")
    return total + current


INTEGERS = st.integers(min_value=0, max_value=LIMIT - 1) | st.integers(0, 100_000)


@settings(max_examples=600, deadline=None, database=None)
@given(INTEGERS)
def test_zh_integers_read_back(n):
    text = speak("number", n, ZH).text
    assert _zh_read(text) == n
    if n:
        assert not text.endswith("零")
    assert "零零" not in text
    assert not text.startswith("一十")
    assert not re.search(r"两(?![千万亿])", text)   # 两 only before 千, 万, 亿
    assert "二千" not in text
    assert not re.search(r"(^|亿|亿零)二[万亿]", text)  # a multiplier of just 2 is 两


@settings(max_examples=600, deadline=None, database=None)
@given(INTEGERS)
def test_en_integers_read_back(n):
    text = speak("number", n, EN).text
    assert _en_read(text) == n
    words = text.split()
    assert words[0] != "and"
    assert all(not (a == b == "and") for a, b in itertools.pairwise(words))


@settings(max_examples=300, deadline=None, database=None)
@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(LANGS))
def test_money_reads_back(cents, lang):
    yuan, rest = divmod(cents, 100)
    text = speak("money", Decimal(cents) / 100, lang).text
    if lang == ZH:
        m = re.fullmatch(r"(?:(.+)元)?(?:零)?(?:(.)角)?(?:(.)分)?(整)?", text)
        assert m, text
        assert _zh_read(m[1] or "零") == yuan
        assert _zh_read(m[2] or "零") * 10 + _zh_read(m[3] or "零") == rest
        assert bool(m[4]) == (yuan > 0 and rest == 0)
    else:
        m = re.fullmatch(r"(?:(.+) yuan)?(?: and )?(?:(.+) fen)?", text)
        assert m, text
        assert _en_read(m[1] or "zero") == yuan
        assert _en_read(m[2] or "zero") == rest


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.decimals(),
                 st.text(max_size=20), st.dates(), st.times(), st.datetimes(),
                 st.lists(st.integers(), max_size=2)),
       st.sampled_from(KINDS), st.sampled_from(LANGS))
def test_anything_either_speaks_or_raises_say_error(value, kind, lang):
    try:
        spoken = speak(kind, value, lang)
    except SayError as exc:
        assert str(exc)
    else:
        assert isinstance(spoken.text, str)
        assert all(f in inventory(lang) for f in spoken.files)
    with contextlib.suppress(SayError):
        speak_value(value, lang)
