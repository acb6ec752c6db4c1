"""Full-width characters (`３`, `：`, `＃`) where a flow needs ASCII ones.

A Chinese input method types full-width digits and punctuation. A keypad
sends only 0-9, * and #, and the language's numbers, durations and
punctuation are ASCII, so a full-width one is refused everywhere the same
way (E014): it names the characters and gives the ASCII spelling. Inside the
words of a `say` or a prompt sentence they are text like any other.
"""

from __future__ import annotations

from .diagnostics import Diagnostic, Span, error

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}   # ！ … ～ -> ! … ~


def is_full_width(ch: str) -> bool:
    return ord(ch) in _FULL_WIDTH


def ascii_form(text: str) -> str | None:
    """`text` with its full-width characters made ASCII; None when it has none."""
    plain = text.translate(_FULL_WIDTH)
    return plain if plain != text else None


def full_width_error(span: Span, written: str) -> Diagnostic | None:
    """E014 for `written` (as the author wrote it, quotes and all), or None if it is ASCII."""
    plain = ascii_form(written)
    if plain is None:
        return None
    wide = [ch for ch in written if is_full_width(ch)]
    what = "digit" if all(ch.translate(_FULL_WIDTH).isdigit() for ch in wide) else "character"
    if len(written) == 1:
        message = f"`{written}` is a full-width {what}"
    else:
        message = f"`{written}` has " + (f"a full-width {what}" if len(wide) == 1 else
                                         f"full-width {what}s")
    return error("E014", span, message, f"write `{plain}`")
