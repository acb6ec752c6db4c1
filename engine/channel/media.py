"""What a caller hears, as typed parts a channel knows how to play.

A `Media` is a tuple of parts. Each part says where its sound comes from,
because each reaches FreeSWITCH a different way and with different risks:

- `PromptPart`: a recorded prompt (`prompts/LANG`, built by `switchflow
  prompts build`), played by file.
- `SayPart`: a value spoken from switchflow's own say prompt set; `files`
  are keys of that set, played in order as one `file_string://` list.
- `TextPart`: words with no prompt file, spoken by a built fragment or by
  TTS in `Media.voice`. `untrusted` marks text from callers or data (a name,
  an address): FreeSWITCH expands `${…}` in application arguments and
  splits `file_string` on `!`, so fsmod neutralises such text first
  (engine.speech.safe_text).

The read-only properties (`text`, `words`, `key`, `kind`) are what the
simulator's screen, the flow-test runner and the CLI show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class PromptPart:
    """A recorded prompt: its catalogue key, the language it was taken from, its words."""

    key: str
    lang: str
    text: str


@dataclass(frozen=True, slots=True)
class SayPart:
    """A value spoken from the say prompt set.

    `kind` is the say filter used (number, money, digits, date, time) or, for
    a value without a filter, what it was (number, date, time, datetime,
    yesno). `value` is the value in figures as a screen shows it ("32",
    "96.50元"); `words` what is heard ("三十二"); `files` the say-prompt keys.
    """

    kind: str
    value: str
    words: str
    files: tuple[str, ...]
    lang: str


@dataclass(frozen=True, slots=True)
class TextPart:
    """Words without a prompt file; `untrusted` when they came from a caller or data."""

    text: str
    lang: str
    untrusted: bool = False


Part = PromptPart | SayPart | TextPart


@dataclass(frozen=True, slots=True)
class Media:
    """Something to play: parts in order, and the TTS voice for its text parts."""

    parts: tuple[Part, ...]
    voice: str | None = None

    @property
    def text(self) -> str:
        """What a screen shows: values in figures ("您本月用气32立方米")."""
        return _joined([p.value if isinstance(p, SayPart) else p.text for p in self.parts])

    @property
    def words(self) -> str:
        """What the caller hears, values in words ("您本月用气三十二立方米")."""
        return _joined([p.words if isinstance(p, SayPart) else p.text for p in self.parts])

    @property
    def spoken(self) -> str:
        return self.words

    @property
    def key(self) -> str | None:
        """The prompt key when this is exactly one prompt, else None."""
        if len(self.parts) == 1 and isinstance(self.parts[0], PromptPart):
            return self.parts[0].key
        return None

    @property
    def kind(self) -> Literal["prompt", "say"]:
        return "prompt" if self.key is not None else "say"

    @property
    def langs(self) -> frozenset[str]:
        """Every language a part of this media is in."""
        return frozenset(p.lang for p in self.parts)


def _joined(pieces: list[str]) -> str:
    """The pieces as one text. A piece that carries a `masked` form (a secret, see
    engine/evaluation/secrets.py) makes the whole text secret, masked where it was."""
    marked = [p for p in pieces if hasattr(p, "masked")]
    if not marked:
        return "".join(pieces)
    masked = "".join(getattr(p, "masked", p) for p in pieces)
    return type(marked[0])("".join(pieces), masked)
