"""Plain events read lazily: what a reader sees is what the whole block says.

An event's header block is checked whole when it arrives and decoded only
for the headers read; these tests hold it to the eager reading (FrameParser
plus fs_decode on every value): the same values, the last of a repeated
name, URL-decoding with its `%` and non-ASCII edge cases, and every
malformed or oversized block refused when the frame is read, not later.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmod.esl import (
    MAX_HEADER_BYTES,
    EventMessage,
    Frame,
    FrameError,
    FrameParser,
    classify,
    fs_decode,
    fs_encode,
    parse_plain,
)


def _eager(block: bytes) -> dict[str, str]:
    """The reference: every header split and decoded at once."""
    (frame,) = FrameParser().feed(block)
    return {name: fs_decode(value) for name, value in frame.headers}


def _block(pairs: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [f"{name}: {value}" for name, value in pairs]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\n".join(lines) + "\n\n").encode() + body


def _event_frame(body: bytes) -> Frame:
    return Frame((("Content-Length", str(len(body))), ("Content-Type", "text/event-plain")),
                 body)


@pytest.mark.parametrize(("raw", "decoded"), [
    ("a%20b", "a b"),
    ("a+b", "a+b"),                               # a plus stays a plus
    ("%2B", "+"),
    ("100%25", "100%"),
    ("100%", "100%"),                             # a stray % stays
    ("%zz%4", "%zz%4"),                           # so does a % not followed by two hex digits
    ("%%41", "%A"),
    ("%e4%b8%ad%E6%96%87", "中文"),               # UTF-8, either case of hex
    ("中文%20ok", "中文 ok"),                      # raw non-ASCII left as it is
    ("%E4%B8", "\ufffd"),                         # cut-short UTF-8: a replacement, no error
    ("%FF", "\ufffd"),
    ("fd00%3A%3A2", "fd00::2"),
    ("tone_stream%3A//%25(100,0,600)", "tone_stream://%(100,0,600)"),
    ("a%0Ab%0D%0A", "a\nb\r\n"),                  # encoded line breaks come back
    ("", ""),
])
def test_values_are_url_decoded_when_read(raw, decoded):
    event = parse_plain(_block([("Event-Name", "CUSTOM"), ("X", raw), ("variable_x", raw)]))
    assert event.get("X") == decoded
    assert event.headers["X"] == decoded
    assert event.variables.get("x") == decoded
    assert event.variables["x"] == decoded
    assert dict(event.headers) == _eager(_block([("Event-Name", "CUSTOM"), ("X", raw),
                                                 ("variable_x", raw)]))


def test_a_value_without_space_after_the_colon_and_one_with_two():
    event = parse_plain(b"Event-Name: CUSTOM\nA:tight\nB:  two\nC:\nD: \n\n")
    assert (event.get("A"), event.get("B"), event.get("C"), event.get("D")) == \
        ("tight", " two", "", "")


def test_a_repeated_name_has_its_last_value_read_or_iterated():
    event = parse_plain(b"Event-Name: CUSTOM\nX: first\nY: y\nX: last\n\n")
    assert event.get("X") == "last"
    assert dict(event.headers) == {"Event-Name": "CUSTOM", "X": "last", "Y": "y"}
    assert len(event.headers) == 3


def test_missing_headers_and_names_no_line_can_carry():
    event = parse_plain(b"Event-Name: CUSTOM\nA: 1\nB: 2\n\n")
    assert event.get("Missing") is None and event.get("Missing", "d") == "d"
    assert "A" in event.headers and "Missing" not in event.headers and 5 not in event.headers
    with pytest.raises(KeyError):
        event.headers["Missing"]
    # a name holding a line break or a colon must not match across lines
    for name in ("1\nB", "A: 1\nB", "A:", "", " A", "A "):
        assert event.get(name) is None
        assert name not in event.headers
    assert event.get("a") is None                 # names are case-sensitive, as a dict's


def test_variables_are_read_through_by_name():
    event = parse_plain(_block([("Event-Name", "CHANNEL_EXECUTE_COMPLETE"),
                                ("variable_sf_flow", "hot%20line"), ("variable_", "empty"),
                                ("variables_not", "x"), ("variable_cc_agent", "1001%40default")]))
    assert dict(event.variables) == {"sf_flow": "hot line", "": "empty", "cc_agent": "1001@default"}
    assert len(event.variables) == 3
    assert "cc_agent" in event.variables and "not" not in event.variables
    assert event.variables.get("missing") is None


def test_the_event_equals_one_read_eagerly():
    block = _block([("Event-Name", "DTMF"), ("DTMF-Digit", "%23"), ("Unique-ID", "u")])
    event = parse_plain(block)
    assert event.headers == _eager(block)
    assert event.headers == event.headers and event == parse_plain(block)


def test_a_body_after_the_headers_is_kept_apart():
    event = parse_plain(_block([("Event-Name", "BACKGROUND_JOB"), ("Job-UUID", "j")],
                               b"+OK 1234\n"))
    assert event.body == "+OK 1234\n" and event.get("Content-Length") == "9"
    # its name in any case, as FreeSWITCH reads it
    assert parse_plain(b"Event-Name: X\ncontent-LENGTH: 2\n\nok").body == "ok"


_NAME = st.text(st.characters(blacklist_characters=":\n\r", blacklist_categories=("Cs",)),
                min_size=1, max_size=12).filter(lambda n: n == n.strip()
                                                 and n.lower() != "content-length")
_VALUE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_NAME, _VALUE), max_size=30), st.data())
def test_any_block_reads_as_the_eager_reading(pairs, data):
    block = _block([("Event-Name", "CUSTOM")] + [(n, fs_encode(v)) for n, v in pairs])
    event = parse_plain(block)
    eager = _eager(block)
    assert dict(event.headers) == eager
    for name, value in dict(pairs).items():
        assert event.get(name) == eager[name] == (value if name != "Event-Name" else eager[name])
    probe = data.draw(st.text(max_size=12))
    assert event.get(probe) == eager.get(probe)


@pytest.mark.parametrize("body", [
    b"broken line\nEvent-Name: DTMF\n\n",             # first line
    b"Event-Name: DTMF\nbroken line\nA: 1\n\n",       # a middle one
    b"Event-Name: DTMF\nA: 1\nbroken\n\n",            # the last
    b"Event-Name: DTMF\n: no name\n\n",
    b"Event-Name: DTMF\n Lead: space\n\n",
    b"Event-Name: DTMF\nTrail : space\n\n",
    b"Event-Name: DTMF\n\tTab: x\n\n",
    b"Event-Name: DTMF\nA: 1\r\n\n",                  # CR: FreeSWITCH sends LF only
    b"Event-Name: DTMF\nA: \xff\xfe\n\n",             # not UTF-8
    b"Event-Name: DTMF\n",                            # no blank line
    b"Event-Name: DTMF\n\nextra",                     # bytes past the event
    b"Event-Name: DTMF\n\nEvent-Name: DTMF\n\n",      # two events
    b"Event-Name: X\nContent-Length: 5\n\nok",        # body shorter than announced
    b"Event-Name: X\nContent-Length: 1\n\nok",        # longer
    b"Event-Name: X\nContent-Length: 2\ncontent-length: 2\n\nok",
    b"Event-Name: X\nContent-Length: -2\n\nok",
    b"Event-Name: X\nContent-Length: \xd9\xa3\n\nok",  # an Arabic-Indic digit
    b"No-Name: here\n\n",
    b"Event-Name: \n\n",
    b"\n\n",
    b"",
])
def test_malformed_events_are_refused_when_read_not_later(body):
    with pytest.raises(FrameError):
        classify(_event_frame(body))


def test_an_oversized_header_block_is_refused():
    body = b"Event-Name: X\nPad: " + b"a" * MAX_HEADER_BYTES + b"\n\n"
    with pytest.raises(FrameError, match="over"):
        classify(_event_frame(body))


def test_a_body_announced_past_the_frames_limit_is_refused():
    with pytest.raises(FrameError):
        parse_plain(b"Event-Name: X\nContent-Length: 4\n\nabcd", max_body_bytes=3)


def test_the_connect_reply_decodes_its_channel_data_as_read():
    frame = Frame((("Content-Type", "command/reply"), ("Reply-Text", "%2BOK"),
                   ("Event-Name", "CHANNEL_DATA"), ("Unique-ID", "u"),
                   ("Caller-Caller-ID-Number", "%2B8613800000000"),
                   ("variable_sf_call_id", "a%20b"), ("variable_sf_call_id", "c%2Fd")))
    reply = classify(frame)
    assert reply.ok and reply.channel_data is not None
    data = reply.channel_data
    assert data.get("Caller-Caller-ID-Number") == "+8613800000000"
    assert dict(data.variables) == {"sf_call_id": "c/d"}
    assert not isinstance(reply, EventMessage)


@pytest.mark.parametrize("raw", [
    b"Content-Type: api/response\nContent-Length: 2\ncontent-length: 2\n\nok",
    b"Content-Type: api/response\nContent-Length:  \n\n",
    b"Content-Type: api/response\nContent-Length: 0x2\n\nok",
    b" Content-Type: api/response\n\n",
    b"Content-Type : api/response\n\n",
    b"\n\n",
])
def test_frames_with_a_bad_length_or_header_name_are_refused(raw):
    with pytest.raises(FrameError):
        FrameParser().feed(raw)


def test_a_frames_length_is_read_in_any_case_and_the_body_kept_whole():
    (frame,) = FrameParser().feed(b"Content-Type: api/response\ncontent-LENGTH: 3\n\n+OK")
    assert frame.body == b"+OK" and frame.get("Content-Length") == "3"
    assert frame.headers == (("Content-Type", "api/response"), ("content-LENGTH", "3"))


@pytest.mark.parametrize("count", [2, 8, 9, 200])
def test_a_frames_header_is_its_first_of_that_name_in_any_case_however_long(count):
    filler = [(f"X-{n}", str(n)) for n in range(count)]
    frame = Frame((*filler, ("reply-text", "first"), ("Reply-Text", "second")))
    assert frame.get("Reply-Text") == "first" and frame.get("REPLY-TEXT") == "first"
    assert frame.get("X-1") == "1" and frame.get("x-1") == "1"
    assert frame.get("Missing") is None and frame.get("Missing", "d") == "d"
    assert frame == Frame(frame.headers)          # the lookup leaves the frame as it was
