"""Conversions, slices, rounding and comparisons of keyed numbers, as a flow author uses them.

What an author notices: which expressions the checker accepts and with what
help it refuses the others, the value a call computes, that impossible input
ends the call with a flow error naming the value (never a traceback), and
that a value made from a PIN stays masked wherever it is written down.
"""

from __future__ import annotations

import pytest
from conftest import make_catalog

from engine.control import FlowError
from engine.evaluation.builtins import call_builtin
from engine.evaluation.expr import evaluate
from engine.evaluation.secrets import SecretText, is_secret, mask
from engine.record import MASK
from ivrlang import check_text


def diagnostics(lines: str) -> list[tuple[str, str, str]]:
    """(code, message, help) of a flow whose step holds `lines` after a keyed `reading`."""
    body = "\n".join(f"  {line}" for line in lines.splitlines())
    text = ("flow t\n\nstep start:\n"
            "  collect reading: digits 1..8, prompt enter_account\n    on fail: hangup\n"
            f"{body}\n  hangup\n")
    checked = check_text(text, "t.flow", make_catalog())
    return [(d.code, d.message, d.help) for d in checked.diagnostics if d.code != "W704"]


def value(name: str, *args, **kwargs):
    return call_builtin(name, list(args), kwargs)


def compare(op: str, left, right):
    return evaluate({"bin": op, "l": {"lit": left}, "r": {"lit": right}}, {}, None)


# ---------------------------------------------------------------- the checker


@pytest.mark.parametrize("line", [
    "if reading > 1000: hangup",                   # digits against a number: numeric
    'if reading > "1000": hangup',                 # digits against digits: numeric
    'if reading == "0123": hangup',                # == stays exact
    "if number(reading) == 0: hangup",
    "set n = number(reading) + 1",
    'set tail = last(reading, 4)\nif tail == "5678": hangup',
    'say "尾号{last(reading, 4)|digits}，读数{reading|number}"',
    'say "约{round(number(reading) / 3, 2)|number}"',
    'set shown = text(round(12.345, 1)) + "立方米"',
    'set code = digits(len(reading))',
    'lookup c = customer("12345678", "123456")\n  on error: hangup\n  on notfound: hangup',
])
def test_what_an_author_writes_checks_cleanly(line):
    assert diagnostics(line) == []


@pytest.mark.parametrize(("line", "message", "help"), [
    ("if reading == 12345678: hangup",
     "comparing digits (text) with a number is never true",
     'digits compare exactly as typed: write `reading == "12345678"` for a code, '
     "or `number(reading) == 12345678` for a quantity"),
    ("if caller > 5: hangup",
     "`>` cannot order text against a number",
     "compare them as numbers: `number(caller) > 5`"),
    ("set n = reading + 1",
     "cannot add digits (text) and a number",
     "to add them as numbers write `number(reading) + 1`; to join them as text "
     "`reading + text(1)`"),
    ('say "{reading|money}"',
     "`money` needs a number, but `reading` is digits (text)",
     "to read it one digit at a time write `{reading|digits}`; as a number "
     "`{number(reading)|money}`"),
    ("set x = last(12345678, 4)",
     "`last` parameter `value` needs text or digits (text), but this is a number",
     "write `digits(12345678)`"),
    ("set n = 5\nticket leak_report: address = n",
     "ticket field `address` needs text, but this is a number",
     "write `address = text(n)`"),
    ('set x = round(reading, 2)',
     "`round` parameter `value` needs a number, but this is digits (text)",
     "write `number(reading)`"),
])
def test_a_type_error_names_the_function_that_fixes_it(line, message, help):
    assert diagnostics(line) == [("E201", message, help)]


def test_a_slice_of_digits_is_digits_and_of_text_is_text():
    assert diagnostics("set a = last(reading, 4) + 1")[0][1] == \
        "cannot add digits (text) and a number"
    assert diagnostics("set a = last(caller, 4) + 1")[0][1] == "cannot add text and a number"


# ---------------------------------------------------------------- the values


@pytest.mark.parametrize(("name", "args", "want"), [
    ("number", ("0123",), 123),
    ("number", ("96.5",), 96.5),
    ("number", (" -3 ",), -3),
    ("number", (42,), 42),
    ("digits", (1234,), "1234"),
    ("digits", (5.0,), "5"),
    ("digits", ("0012",), "0012"),
    ("digits", ("",), ""),
    ("text", (96.5,), "96.5"),
    ("text", (32.0,), "32"),
    ("text", (0.1 + 0.2,), "0.3"),
    ("text", (None,), ""),
    ("text", (True,), "true"),
    ("last", ("12345678", 4), "5678"),
    ("first", ("12345678", 2), "12"),
    ("last", ("12", 4), "12"),
    ("last", ("12", 0), ""),
    ("round", (2.675, 2), 2.68),                  # half up, not binary-float 2.67
    ("round", (2.5,), 3),
    ("round", (3, 2), 3),
    ("len", ("12345678",), 8),
])
def test_conversions_give_what_the_author_expects(name, args, want):
    got = value(name, *args)
    assert got == want and type(got) is type(want)


def test_arguments_by_name():
    assert value("last", "12345678", count=4) == "5678"
    assert value("round", 1.25, places=1) == 1.3


@pytest.mark.parametrize(("name", "args", "message"), [
    ("number", ("12a",), "`number` cannot read text '12a' as a number"),
    ("number", ("",), "`number` cannot read text '' as a number"),
    ("number", ("１２",), "`number` cannot read text '１２' as a number"),
    ("number", ("9" * 16,), "has more than 15 digits"),
    ("number", ("9" * 9000,), "has more than 15 digits"),
    ("number", (None,), "`number` cannot read none as a number"),
    ("digits", (-1,), "`digits` needs a whole number of 0 or more, not the number -1"),
    ("digits", (2.5,), "not the number 2.5"),
    ("digits", ("12-34",), "`digits` needs text made of 0-9, not text '12-34'"),
    ("digits", (True,), "`digits` cannot make digits of true"),
    ("text", ([1],), "`text` cannot write a list as text"),
    ("last", (1234, 2), "`last` needs text or digits, not the number 1234"),
    ("last", ("1234", -1), "`last` needs a whole count of 0 or more, not the number -1"),
    ("first", ("1234", 1.5), "not the number 1.5"),
    ("round", (2.5, 7), "`round` takes 0 to 6 places, not the number 7"),
    ("round", ("2.5",), "`round` needs a number, not text '2.5'"),
    ("len", (5,), "`len` needs text or a list, not the number 5"),
])
def test_impossible_input_is_a_flow_error_naming_the_value(name, args, message):
    with pytest.raises(FlowError, match=message.replace("(", r"\(").replace(")", r"\)")):
        value(name, *args)


def test_a_conversion_of_a_secret_is_secret_and_never_shown():
    pin = SecretText("012345")
    for made in (value("number", pin), value("last", pin, 4), value("digits", value("number", pin)),
                 value("text", value("number", pin)), value("round", value("number", pin))):
        assert is_secret(made)
        assert mask(made) == MASK and repr(made) == repr(MASK)
    assert value("last", pin, 4) == "2345" and value("number", pin) == 12345
    total = evaluate({"bin": "+", "l": {"var": "n"}, "r": {"lit": 1}},
                     {"n": value("number", pin)}, None)
    assert total == 12346 and is_secret(total)
    with pytest.raises(FlowError) as caught:
        value("digits", SecretText("12ab"))
    assert "12ab" not in str(caught.value) and "secret" in str(caught.value)


# ---------------------------------------------------------------- comparing at run time


@pytest.mark.parametrize(("op", "left", "right", "want"), [
    (">", "15", "1000", False),          # keyed digits against keyed digits: by value
    ("<", "15", 1000, True),             # digits against a number
    (">", 1000, "15", True),
    ("<", "0015", "1000", True),
    (">=", "1000", 1000, True),
    ("<", "9" * 5000, 10**14, False),    # very long digits are large, and cost nothing
    ("==", "0123", "123", False),        # == is exact: two different accounts
    ("==", "0123", "0123", True),
    (">", "b", "a", True),               # text that is not digits orders as text
])
def test_ordering_keyed_numbers_is_numeric_and_equality_exact(op, left, right, want):
    assert compare(op, left, right) is want


@pytest.mark.parametrize(("left", "right"), [("abc", 5), ("", 5), (5, "1.5")])
def test_ordering_text_that_is_not_digits_against_a_number_is_a_flow_error(left, right):
    with pytest.raises(FlowError, match="only digits \\(0-9\\) order against a number"):
        compare(">", left, right)
