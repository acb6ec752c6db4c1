"""Text from callers or data on its way to FreeSWITCH (engine.speech.safe_text).

What a caller's name or a back-office address may hold, and what must never
reach an ESL command: line breaks (header and command injection), `${…}`
(expansion runs API functions), `!` and `|` (file_string and speak
separators).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.speech.safe_text import (
    MAX_TEXT,
    UnsafeText,
    neutralise,
    require_speakable,
    speakable_text,
    text_problem,
)

ORDINARY = [
    "浦东新区锦绣路1088弄12号301室",
    "上海浦江大酒店有限公司",
    "O'Brien, 12 Main St. (rear door)",
    "燃气管网碰接施工，影响范围：锦绣路1000弄至1200弄",
    "Müller & Söhne GmbH; 50% off?",
    "",
]

DANGEROUS = {
    "${system(id)}": "`$`",
    "$${hostname}": "`$`",
    "{absolute_codec_string=PCMU}hello": "`{`",
    "prompt/a.wav!prompt/b.wav": "`!`",
    "flite|kal|hello": "`|`",
    "张伟\n\napi hangup": "U+000A",
    "line\rbreak": "U+000D",
    "tab\there": "U+0009",
    "nul\x00": "U+0000",
    "next\u0085line": "U+0085",
    "line\u2028separator": "U+2028",
    "\u202eevil": "U+202E",
}


@pytest.mark.parametrize("text", ORDINARY)
def test_names_and_addresses_are_spoken_as_they_are(text):
    assert speakable_text(text)
    assert text_problem(text) is None
    assert require_speakable(text) == text
    assert neutralise(text) == text


@pytest.mark.parametrize("text,named", DANGEROUS.items())
def test_what_freeswitch_would_interpret_is_refused_with_the_reason(text, named):
    assert not speakable_text(text)
    assert named in text_problem(text)
    with pytest.raises(UnsafeText, match="cannot be spoken"):
        require_speakable(text)


def test_neutralised_text_keeps_the_words():
    assert neutralise("张伟\n\napi hangup") == "张伟 api hangup"
    assert neutralise("${system(id)}") == " system(id) "
    assert neutralise("a.wav!b.wav") == "a.wav b.wav"
    assert neutralise("Flat 3 | Block B") == "Flat 3 Block B"


def test_overlong_text_is_refused_or_cut():
    text = "气" * (MAX_TEXT + 1)
    assert "characters long" in text_problem(text)
    assert len(neutralise(text)) == MAX_TEXT
    assert speakable_text(neutralise(text))


@given(st.text(max_size=300))
def test_anything_neutralised_is_speakable(text):
    assert speakable_text(neutralise(text))
