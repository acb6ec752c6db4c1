"""What FreeSWITCH can play, as a checked value: a file, a `file_string://`
list, a tone or silence.

playback, play_and_get_digits, uuid_broadcast and callcenter's hold music all
take one of these. FreeSWITCH splits `file_string://` on `!`, expands `${…}`,
and splits play_and_get_digits' arguments on spaces, so a `Sound` is built
only from paths that have none of them (validate.file_path) and checks
itself again when constructed directly: there is no way to hold an unchecked
one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fsmod.commands import validate

FILE_STRING = "file_string://"
MAX_FILES = 200
_TONE = re.compile(r"tone_stream://%\(\d{1,6},\d{1,6}(,\d{1,5}){1,4}\)")
_SILENCE = re.compile(r"silence_stream://\d{1,7}")


@dataclass(frozen=True)
class Sound:
    """A playable URI; construct with `file`, `files`, `tone` or `silence`."""

    uri: str

    def __post_init__(self) -> None:
        uri = self.uri
        validate.single_line("sound", uri, validate.MAX_ARG)
        if _TONE.fullmatch(uri) or _SILENCE.fullmatch(uri):
            return
        if uri.startswith(FILE_STRING):
            parts = uri[len(FILE_STRING):].split("!")
            if len(parts) > MAX_FILES:
                raise validate.CommandValueError("sound", uri, f"more than {MAX_FILES} files")
            for part in parts:
                validate.file_path("sound file", part)
            return
        validate.file_path("sound file", uri)

    @classmethod
    def file(cls, path: str) -> Sound:
        return cls(validate.file_path("sound file", path))

    @classmethod
    def files(cls, paths: Sequence[str]) -> Sound:
        """Several files played as one (`file_string://a.wav!b.wav`); one file
        is played as itself."""
        if not paths:
            raise validate.CommandValueError("sound", "", "a list of no files")
        checked = [validate.file_path("sound file", p) for p in paths]
        if len(checked) == 1:
            return cls(checked[0])
        return cls(FILE_STRING + "!".join(checked))

    @classmethod
    def tone(cls, on_ms: int, off_ms: int, *freqs: int) -> Sound:
        """A TGML tone (`tone_stream://%(200,0,440)`)."""
        validate.bounded("tone on", on_ms, 0, 999999)
        validate.bounded("tone off", off_ms, 0, 999999)
        if not 1 <= len(freqs) <= 4:
            raise validate.CommandValueError("tone", repr(freqs), "one to four frequencies")
        for f in freqs:
            validate.bounded("tone frequency", f, 1, 20000)
        return cls(f"tone_stream://%({on_ms},{off_ms},{','.join(map(str, freqs))})")

    @classmethod
    def silence(cls, ms: int) -> Sound:
        return cls(f"silence_stream://{validate.bounded('silence', ms, 0, 9999999)}")

    def __str__(self) -> str:
        return self.uri
