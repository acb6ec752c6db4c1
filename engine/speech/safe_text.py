"""Whether text from callers or data can go to FreeSWITCH, and making it so.

A TextPart is spoken by TTS or looked up as a built fragment; either way
its text ends up inside an ESL command. There, three things are dangerous
(../shared/ESL-NOTES.md, Security):

- a line break ends the header it is in, so a newline in a name could add
  headers or a whole command (`\\n\\napi …`); other control characters have
  no place in speech either;
- application arguments are expanded, and `${…}` (or `$${…}`) can run API
  functions; `{…}` at the start of an argument sets channel variables;
- `file_string://` splits on `!`, and `speak` separates engine, voice and
  text with `|`.

`speakable_text` says whether text is free of all of them; `neutralise`
returns text that is, keeping the words (each offending character becomes a
space); `require_speakable` refuses instead. These are pure functions:
fsmod applies them to every TextPart before it builds a command, and the
tests here pin what they let through.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_TEXT", "UnsafeText", "neutralise", "require_speakable", "speakable_text",
           "text_problem"]

MAX_TEXT = 2000
"""Characters of one text part; longer text is refused (nobody listens that long)."""

_MARKS = frozenset("${}!|")
_SPACES = re.compile(r"\s+")


class UnsafeText(ValueError):
    """Text that cannot be sent to FreeSWITCH as it is; the message says why."""


def _is_control(ch: str) -> bool:
    # Cc: C0/C1 controls (\n, \r, \t, NUL, NEL …); Zl/Zp: line and paragraph
    # separators; Cf: invisible format characters (bidi overrides and the like)
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cf")


def text_problem(text: str) -> str | None:
    """Why `text` cannot be spoken safely, or None when it can."""
    if len(text) > MAX_TEXT:
        return f"it is {len(text)} characters long (at most {MAX_TEXT})"
    for ch in text:
        if ch in _MARKS:
            return f"it holds `{ch}`, which FreeSWITCH would interpret"
        if _is_control(ch):
            return f"it holds the control character U+{ord(ch):04X}"
    return None


def speakable_text(text: str) -> bool:
    """True when `text` can go into an ESL command as it is."""
    return text_problem(text) is None


def neutralise(text: str) -> str:
    """`text` with every dangerous character turned into a space.

    Runs of white space become one space. The words stay, so a caller still
    hears the name or address; what would have been expanded or split is
    gone. Text over MAX_TEXT is cut there.
    """
    cleaned = "".join(" " if ch in _MARKS or _is_control(ch) else ch
                      for ch in text[:MAX_TEXT])
    return _SPACES.sub(" ", cleaned)


def require_speakable(text: str) -> str:
    """`text` itself when it is safe; UnsafeText (saying why) when it is not."""
    problem = text_problem(text)
    if problem is not None:
        raise UnsafeText(f"text {text[:40]!r} cannot be spoken: {problem}")
    return text
