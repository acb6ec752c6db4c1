"""Bad input never produces a traceback: every problem is a Diagnostic with a code.

Binary and non-UTF-8 files, empty files, odd line ends, tabs, unterminated
strings, huge files, deep nesting and random bytes each get one clear
diagnostic that names where the problem is.
"""

from __future__ import annotations

import codecs
import random
import unicodedata
from pathlib import Path

import pytest
from conftest import DATA, make_catalog

from ivrlang import Checked, check_file, check_text
from ivrlang.codes import CODES
from ivrlang.diagnostics import Diagnostic, render_concise, render_full
from ivrlang.parser import MAX_BYTES, MAX_DEPTH

GOOD_FLOW = """\
flow tiny
  title "燃气客服热线"
  lang zh-CN

step start:
  answer
  play welcome
  goto main

step main:
  say "再见"
    en-US: "Goodbye"
  hangup
"""


def _sane(checked: Checked, lines: int | None = None) -> list[Diagnostic]:
    """Diagnostics are well-formed: known codes, real positions, renderable."""
    assert isinstance(checked.diagnostics, list)
    source_lines = checked.source.lines if checked.source else None
    for d in checked.diagnostics:
        assert isinstance(d, Diagnostic)
        assert d.code in CODES, d
        assert d.span.line >= 1 and d.span.col >= 1, d
        if lines is not None:
            assert d.span.line <= lines + 1, d
        assert d.message and not d.message[0].isupper(), d.message
        render_concise(d)
        render_full(d, source_lines)
    return checked.diagnostics


def codes_of(checked: Checked) -> list[str]:
    return [d.code for d in _sane(checked)]


def check_bytes(tmp_path: Path, data: bytes, name: str = "input.flow") -> Checked:
    path = tmp_path / name
    path.write_bytes(data)
    return check_file(path, make_catalog())


def text(body: str) -> Checked:
    return check_text(body, "t.flow", make_catalog())


# ---------------------------------------------------------------- reading


def test_good_flow_has_no_diagnostics(tmp_path):
    assert codes_of(check_bytes(tmp_path, GOOD_FLOW.encode())) == []


def test_binary_file_with_nul_bytes(tmp_path):
    checked = check_bytes(tmp_path, b"flow x\n\x00\x01\x02\xff\xfe binary", "fax.tif")
    assert codes_of(checked) == ["E005"]
    assert "binary" in checked.diagnostics[0].message
    assert checked.flow is None


def test_png_header(tmp_path):
    assert codes_of(check_bytes(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")) == ["E005"]


def test_invalid_utf8_names_the_line(tmp_path):
    data = 'flow x\n  title "燃气"\n'.encode() + b'\n# caf\xe9\n'
    checked = check_bytes(tmp_path, data)
    assert codes_of(checked) == ["E005"]
    assert checked.diagnostics[0].span.line == 4
    assert "UTF-8" in checked.diagnostics[0].message


def test_gbk_encoded_file_is_refused_with_a_hint(tmp_path):
    checked = check_bytes(tmp_path, GOOD_FLOW.encode("gbk"))
    assert codes_of(checked) == ["E005"]
    assert "UTF-8" in checked.diagnostics[0].help


def test_missing_file(tmp_path):
    checked = check_file(tmp_path / "nope.flow", make_catalog())
    assert codes_of(checked) == ["E005"]
    assert "cannot read" in checked.diagnostics[0].message


def test_directory_instead_of_file(tmp_path):
    assert codes_of(check_file(tmp_path, make_catalog())) == ["E005"]


@pytest.mark.parametrize("body", ["", " ", "\n", "\n\n\n", "  \t \n \r\n", "\r\n\r\n"])
def test_empty_and_whitespace_only(body, tmp_path):
    assert codes_of(check_bytes(tmp_path, body.encode())) == ["E006"]
    assert codes_of(text(body)) == ["E006"]


def test_bom_only(tmp_path):
    assert codes_of(check_bytes(tmp_path, codecs.BOM_UTF8)) == ["E006"]


def test_comments_only_is_an_empty_flow():
    """A file of comments holds no flow: E006, like an empty one (not a syntax error)."""
    assert codes_of(text("# the fax-back line will go here\n# TODO\n")) == ["E006"]


def test_bom_and_crlf_accepted(tmp_path):
    data = codecs.BOM_UTF8 + GOOD_FLOW.replace("\n", "\r\n").encode()
    checked = check_bytes(tmp_path, data)
    assert codes_of(checked) == []
    assert checked.flow is not None and checked.flow.title == "燃气客服热线"


def test_bom_and_crlf_keep_positions(tmp_path):
    bad = GOOD_FLOW.replace("goto main", "goto mian")
    lf = check_bytes(tmp_path, bad.encode(), "lf.flow")
    crlf = check_bytes(tmp_path, codecs.BOM_UTF8 + bad.replace("\n", "\r\n").encode(), "crlf.flow")
    assert codes_of(lf) == codes_of(crlf)
    assert codes_of(crlf)[0] == "E101"
    a, b = lf.diagnostics[0].span, crlf.diagnostics[0].span
    assert (a.line, a.col, a.end_col) == (b.line, b.col, b.end_col) == (8, 8, 12)
    full = render_full(crlf.diagnostics[0], crlf.source.lines)
    assert "\r" not in full and "goto mian" in full


def test_old_mac_line_ends_accepted():
    assert codes_of(text(GOOD_FLOW.replace("\n", "\r"))) == []


def test_no_final_newline_accepted():
    assert codes_of(text(GOOD_FLOW.rstrip("\n"))) == []


def test_comment_on_last_line_without_newline():
    assert codes_of(text(GOOD_FLOW + "# the end")) == []


# ---------------------------------------------------------------- tabs and indentation


def test_tab_indentation():
    checked = text(GOOD_FLOW.replace("  play welcome", "\tplay welcome"))
    assert codes_of(checked) == ["E004"]
    assert (checked.diagnostics[0].span.line, checked.diagnostics[0].span.col) == (7, 1)


def test_tabs_mixed_with_spaces():
    checked = text(GOOD_FLOW.replace("  play welcome", " \t play welcome"))
    assert codes_of(checked) == ["E004"]
    assert (checked.diagnostics[0].span.line, checked.diagnostics[0].span.col) == (7, 2)


def test_every_tabbed_line_is_reported():
    body = GOOD_FLOW.replace("  play welcome", "\tplay welcome").replace("  hangup", "\thangup")
    assert codes_of(text(body)) == ["E004", "E004"]


def test_tab_between_words_is_whitespace():
    assert codes_of(text(GOOD_FLOW.replace("play welcome", "play\twelcome"))) == []


def test_inconsistent_dedent():
    checked = text(GOOD_FLOW.replace("  goto main", " goto main"))
    assert codes_of(checked) == ["E003"]
    assert checked.diagnostics[0].span.line == 8


# ---------------------------------------------------------------- strings


@pytest.mark.parametrize("body, line", [
    ('flow x\n  title "燃气客服\n\nstep start:\n  hangup\n', 2),
    ('flow x\n\nstep start:\n  say "您好\n  hangup\n', 4),
    ('flow x\n\nstep start:\n  say "您好', 4),
    ('flow x\n\nmenu start:\n  prompt main_menu\n  "1 -> start\n', 5),
    ('flow x\n\nstep start:\n  hangup\n\ntest "greeting:\n  expect hangup\n', 6),
    ('flow x\n\nstep start:\n  log "a \\"quoted\\" word\n  hangup\n', 4),
])
def test_unterminated_string(body, line):
    checked = text(body)
    assert codes_of(checked) == ["E002"]
    assert checked.diagnostics[0].span.line == line
    assert '"' in checked.diagnostics[0].help


def test_escaped_quotes_are_not_unterminated():
    assert codes_of(text(GOOD_FLOW.replace('"再见"', '"say \\"bye\\" now"'))) == []


# ---------------------------------------------------------------- size and depth


def test_huge_file(tmp_path):
    """A 5 MB file is refused before parsing (E007), without reading it as a flow."""
    line = b"  log \"" + b"x" * 90 + b"\"\n"
    data = b"flow big\n\nstep start:\n" + line * (5 * 1024 * 1024 // len(line)) + b"  hangup\n"
    assert len(data) > MAX_BYTES
    checked = check_bytes(tmp_path, data)
    assert codes_of(checked) == ["E007"]
    assert "KiB" in checked.diagnostics[0].message
    assert codes_of(check_text(data.decode(), "big.flow")) == ["E007"]


def test_file_just_under_the_limit_is_read(tmp_path):
    pad = b"# " + b"p" * 97 + b"\n"
    body = GOOD_FLOW.encode()
    data = body + pad * ((MAX_BYTES - len(body)) // len(pad) - 1)
    assert len(data) <= MAX_BYTES
    assert codes_of(check_bytes(tmp_path, data)) == []


def _nested_ifs(depth: int) -> str:
    lines = ["flow deep", "", "step start:"]
    lines += ["  " * (i + 1) + "if true:" for i in range(depth)]
    lines += ["  " * (depth + 1) + "hangup", "  hangup", ""]
    return "\n".join(lines)


def test_deeply_nested_blocks():
    checked = text(_nested_ifs(MAX_DEPTH + 20))
    assert codes_of(checked) == ["E008"]
    assert "nested" in checked.diagnostics[0].message


def test_nesting_within_the_limit_is_fine():
    assert codes_of(text(_nested_ifs(MAX_DEPTH // 2))) == []


@pytest.mark.parametrize("opening, closing", [("(", ")"), ("[", "]"), ("{a: ", "}")])
def test_deeply_nested_brackets(opening, closing):
    n = MAX_DEPTH + 10
    checked = text(f"flow x\n\nstep start:\n  set y = {opening * n}1{closing * n}\n  hangup\n")
    assert codes_of(checked) == ["E008"]
    assert checked.diagnostics[0].span.line == 4


def test_2000_nested_parentheses():
    checked = text("flow x\n\nstep start:\n  set y = " + "(" * 2000 + "1" + ")" * 2000
                   + "\n  hangup\n")
    assert codes_of(checked) == ["E008"]
    assert checked.diagnostics[0].span.line == 4


def test_2000_unclosed_parentheses():
    checked = text("flow x\n\nstep start:\n  set y = " + "(" * 2000 + "\n  hangup\n")
    assert codes_of(checked)[:1] == ["E008"]


def test_deep_brackets_inside_string_interpolation():
    """`{(((…)))}` in a string goes through the same bracket guard: E008, not a traceback."""
    n = MAX_DEPTH + 10
    checked = text('flow x\n\nstep start:\n  say "您好{' + "(" * n + "caller" + ")" * n
                   + '}"\n  hangup\n')
    assert codes_of(checked) == ["E008"]
    assert checked.diagnostics[0].span.line == 4


@pytest.mark.parametrize("expr", [
    " + ".join(["1"] * 3000),
    "not " * 3000 + "true",
    "-" * 3000 + "1",
    "caller" + ".a" * 3000,
    " and ".join(["true"] * 3000),
])
def test_very_long_expressions(expr):
    """Expressions deep enough to exhaust recursion are E008 on their own line."""
    checked = text(f"flow x\n\nstep start:\n  set y = {expr}\n  hangup\n")
    assert codes_of(checked) == ["E008"]
    assert checked.diagnostics[0].span.line == 4


def test_very_long_expression_inside_a_string():
    total = "+".join(["1"] * 3000)
    checked = text('flow x\n\nstep start:\n  say "合计{' + total + '}"\n  hangup\n')
    assert codes_of(checked) == ["E008"]
    assert checked.diagnostics[0].span.line == 4


def test_long_line_of_cjk_text():
    assert codes_of(text(GOOD_FLOW.replace("再见", "再见" * 100_000))) == []


# ---------------------------------------------------------------- odd characters


@pytest.mark.parametrize("char", ["\x01", "\x0c", "\x7f", "\u3000", "\u200b"])
def test_invisible_character_is_named_by_code_point(char):
    """A control or invisible character is shown as U+XXXX, never raw."""
    checked = text(GOOD_FLOW.replace("play welcome", "play welcome" + char))
    assert codes_of(checked) == ["E001"]
    message = checked.diagnostics[0].message
    assert f"U+{ord(char):04X}" in message, message
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zs") and c != " " for c in message)


def test_fullwidth_colon_in_node_header():
    checked = text(GOOD_FLOW.replace("step main:", "step main："))
    assert codes_of(checked) == ["E014"]
    assert checked.diagnostics[0].span.line == 10
    assert checked.diagnostics[0].help == "write `:`"


FULL_WIDTH = """\
flow t
  lang zh-CN
  hours office: mon-fri 08:00-18:00
  holidays office: 2026-10-01

menu start:
  prompt main_menu
  tries 3
  timeout 5s
  1 -> bye
  nomatch: play invalid_choice
  noinput: play no_input
  exhausted -> bye

step bye:
  collect n: digits 6, prompt enter_pin, terminator "#"
    on fail: hangup
  if n > 100: hangup
  hangup

test "t":
  press "1"
  expect hangup
"""


@pytest.mark.parametrize(("ascii_text", "wide", "help"), [
    ("tries 3", "tries ３", "write `3`"),
    ("timeout 5s", "timeout ５s", "write `5s`"),
    ("1 -> bye", "１ -> bye", "write `1`"),
    ("1 -> bye", '"１" -> bye', 'write `"1"`'),
    ("digits 6", "digits ６", "write `6`"),
    ('terminator "#"', 'terminator "＃"', 'write `"#"`'),
    ("n > 100", "n > １００", "write `100`"),
    ("2026-10-01", "２026-10-01", "write `2026-10-01`"),
    ('press "1"', 'press "１"', 'write `"1"`'),
])
def test_full_width_digits_are_refused_the_same_way_everywhere(ascii_text, wide, help):
    """A Chinese input method types `３`: never silently a number, always E014 with the fix."""
    assert codes_of(text(FULL_WIDTH)) == []
    checked = text(FULL_WIDTH.replace(ascii_text, wide, 1))
    assert codes_of(checked) == ["E014"], checked.diagnostics
    assert checked.diagnostics[0].help == help


def test_full_width_text_inside_a_sentence_is_just_text():
    assert codes_of(text(GOOD_FLOW.replace('say "再见"', 'say "再见，热线９５１５８。"'))) == []


# ---------------------------------------------------------------- random input


@pytest.mark.parametrize("seed", range(40))
def test_random_bytes(seed, tmp_path):
    rng = random.Random(seed)
    data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4000)))
    checked = check_bytes(tmp_path, data)
    assert codes_of(checked), "random bytes produced no diagnostic"
    assert checked.flow is None or any(d.is_error for d in checked.diagnostics)


@pytest.mark.parametrize("seed", range(40))
def test_random_printable_text(seed):
    rng = random.Random(seed)
    alphabet = "flowstepmenu:->\"{}()[]#|,.; \n  \n\t0123456789燃气"
    body = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 3000)))
    codes_of(text(body))


@pytest.mark.parametrize("seed", range(20))
def test_random_tokens(seed):
    """Plausible words in random order: still only diagnostics."""
    rng = random.Random(seed)
    words = ["flow", "step", "menu", "sub", "campaign", "test", "start:", "main:", "play",
             "welcome", "goto", "main", "collect", "account:", "digits", "8..10", "->", "on",
             "fail", "if", "else:", "elif", "not", "(", ")", '"x{a|money}"', "5s", "\n",
             "\n  ", "\n    ", ":", ",", "=", "1", "hangup", "queue", "general", "#c\n"]
    body = "flow r\n" + " ".join(rng.choice(words) for _ in range(rng.randrange(1, 400)))
    codes_of(text(body))


def test_every_bad_data_file_reads_without_traceback():
    for path in sorted((DATA / "bad").glob("*.flow")):
        assert codes_of(check_file(path, make_catalog())), path.name


# ---------------------------------------------------------------- say in other languages

SAY_TEXT = """\
flow t
  lang zh-CN

step start:
  say "再见"
{line}
  hangup
"""


@pytest.mark.parametrize("line,code,col,message,help", [
    ('    en-US "Goodbye"', "E001", 11, "expected `:` after `en-US`", '`en-US: "…"`'),
    ("    en-US: Goodbye", "E001", 12, "expected the en-US sentence as a string",
     '`en-US: "…"`'),
    ('  en-US: "Goodbye"', "E003", 3, "`en-US:` is not under a `say`", "indent it"),
])
def test_a_misplaced_or_malformed_sentence_says_how_to_write_it(tmp_path, line, code, col,
                                                                 message, help):
    checked = check_bytes(tmp_path, SAY_TEXT.format(line=line).encode())
    (d,) = _sane(checked)
    assert (d.code, d.span.line, d.span.col, d.message) == (code, 6, col, message)
    assert help in d.help


def test_a_sentence_per_language_under_another_statement_is_refused(tmp_path):
    text = SAY_TEXT.replace('say "再见"', "play welcome").format(line='    en-US: "Hi"')
    (d,) = _sane(check_bytes(tmp_path, text.encode()))
    assert (d.code, d.message) == ("E001", "`play` takes no sentence per language")
