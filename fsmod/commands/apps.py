"""Builders for the dialplan applications switchflow runs with sendmsg.

Each returns an `AppCall` whose argument is exactly what mod_dptools (or
mod_callcenter, mod_spandsp) parses, built only from checked values. The
argument layouts are the ones the captures show working on 1.10.12
(outbound-call, outbound-dtmf-bargein, outbound-recording, outbound-txfax,
outbound-callcenter-agent-answers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from fsmod.commands import validate
from fsmod.commands.dial import dial_string
from fsmod.commands.sendmsg import AppCall
from fsmod.commands.sounds import Sound
from fsmod.vocab import HangupCause

PHONE_KEYS = "0123456789*#"
NO_TERMINATOR = "none"
"""Sent for "no terminator": mod_dptools turns an empty terminator into `#`, and
its read matches terminators one character at a time, so a word of letters
that are no phone key means none (docs/engine.md, "Keys")."""

_DIGIT_REGEX = re.compile(r"[\\d0-9*#\[\]\-^+?|(){},]{1,64}")


def answer() -> AppCall:
    return AppCall("answer")


def playback(sound: Sound) -> AppCall:
    """`playback SOUND`: responds FILE PLAYED (also when a terminator cut it),
    FILE NOT FOUND or PLAYBACK ERROR."""
    return AppCall("playback", Sound(sound.uri).uri)


def terminators(keys: str) -> str:
    """The terminator argument for `keys`: `none` when empty, else the keys
    (each a phone key, no repeats)."""
    if keys == "":
        return NO_TERMINATOR
    validate.digits("terminators", keys, PHONE_KEYS)
    if len(set(keys)) != len(keys):
        raise validate.CommandValueError("terminators", keys, "a key given twice")
    return keys


def set_var(name: str, value: str) -> AppCall:
    """`set NAME=VALUE`. FreeSWITCH expands the argument, so the value may
    hold no `$`, braces or control characters."""
    validate.variable_name("variable", name)
    validate.no_expansion(name, value)
    return AppCall("set", f"{name}={value}")


def export_var(name: str, value: str) -> AppCall:
    """`export NAME=VALUE`: set here and on any leg bridged later."""
    validate.variable_name("variable", name)
    validate.no_expansion(name, value)
    return AppCall("export", f"{name}={value}")


def playback_terminators(keys: str) -> AppCall:
    """`set playback_terminators=KEYS` (`none` when empty): FreeSWITCH's default
    is `*`, so switchflow sets it before every playback."""
    return set_var("playback_terminators", terminators(keys))


def cc_export_vars(names: Iterable[str]) -> AppCall:
    """`set cc_export_vars=a,b`: the variables mod_callcenter copies to the agent leg."""
    checked = [validate.variable_name("cc_export_vars", n) for n in names]
    if not checked:
        raise validate.CommandValueError("cc_export_vars", "", "no variables named")
    return AppCall("set", "cc_export_vars=" + ",".join(checked))


def play_and_get_digits(
    *,
    min_digits: int,
    max_digits: int,
    timeout_ms: int,
    terminators_keys: str,
    prompt: Sound,
    variable: str,
    digit_timeout_ms: int,
    tries: int = 1,
    invalid: Sound | None = None,
    regex: str = "\\d+",
) -> AppCall:
    """`play_and_get_digits MIN MAX TRIES TIMEOUT TERM FILE INVALID VAR REGEX DIGIT_TIMEOUT`.

    The digits land in `variable` (set only when some were collected),
    `read_result` says success / timeout / failure. An empty terminator goes
    as `none`; no transfer-on-failure argument is ever sent (greenswitch sent
    the word `None` there and callers who pressed nothing left the flow).
    FreeSWITCH raises a timeout under 1000 ms to 1000, so smaller ones are
    refused rather than silently changed.
    """
    validate.bounded("min_digits", min_digits, 0, 128)
    validate.bounded("max_digits", max_digits, max(1, min_digits), 128)
    validate.bounded("tries", tries, 1, 20)
    validate.bounded("timeout_ms", timeout_ms, 1000, 3_600_000)
    validate.bounded("digit_timeout_ms", digit_timeout_ms, 1, 3_600_000)
    validate.variable_name("variable", variable)
    validate.single_line("regex", regex, 64)
    if not _DIGIT_REGEX.fullmatch(regex) or "${" in regex:
        raise validate.CommandValueError(
            "regex", regex, "a digit pattern of \\d, digits, * # and [ ] - ^ + ? | ( ) { } ,")
    bad = invalid or Sound.silence(250)
    parts = [
        str(min_digits), str(max_digits), str(tries), str(timeout_ms),
        terminators(terminators_keys), Sound(prompt.uri).uri, Sound(bad.uri).uri,
        variable, regex, str(digit_timeout_ms),
    ]
    return AppCall("play_and_get_digits", " ".join(parts))


def speak(engine: str, voice: str, text: str) -> AppCall:
    """`speak ENGINE|VOICE|TEXT` (mod_flite: `flite|kal|…`). The text must be
    neutralised first (engine.speech.safe_text): `|`, `$`, braces and `!` are
    refused here."""
    validate.plain_token("tts engine", engine, 32)
    validate.plain_token("tts voice", voice, 64)
    validate.no_expansion("speak text", text, 2000)
    if "|" in text or not text.strip():
        raise validate.CommandValueError("speak text", text, "empty, or a | would split it")
    return AppCall("speak", f"{engine}|{voice}|{text}")


def hangup(cause: HangupCause = HangupCause.NORMAL_CLEARING) -> AppCall:
    return AppCall("hangup", HangupCause(cause).value)


def sleep(ms: int) -> AppCall:
    return AppCall("sleep", str(validate.bounded("sleep", ms, 0, 3_600_000)))


def sched_hangup(after_s: int, cause: HangupCause = HangupCause.ALLOTTED_TIMEOUT) -> AppCall:
    """`sched_hangup +SECONDS CAUSE`: the switch ends the call then, bridged or not."""
    validate.bounded("sched_hangup seconds", after_s, 1, 7 * 24 * 3600)
    return AppCall("sched_hangup", f"+{after_s} {HangupCause(cause).value}")


def record(path: str, max_s: int, silence_threshold: int = 200, silence_hits_s: int = 3) -> AppCall:
    """`record PATH MAX_SECONDS THRESHOLD SILENCE_SECONDS` (outbound-recording:
    `20 200 2` ends by 2 s of silence)."""
    validate.file_path("record path", path)
    validate.bounded("record seconds", max_s, 1, 3600)
    validate.bounded("silence threshold", silence_threshold, 0, 10000)
    validate.bounded("silence seconds", silence_hits_s, 0, 3600)
    return AppCall("record", f"{path} {max_s} {silence_threshold} {silence_hits_s}")


def record_session(path: str) -> AppCall:
    return AppCall("record_session", validate.file_path("record path", path))


def txfax(path: str) -> AppCall:
    return AppCall("txfax", validate.file_path("fax document", path))


FAX_TONE_VARIABLE = "sf_fax_tone"
"""Set to "true" on the channel by the fax detector's own action (mod_spandsp runs it)."""


def fax_detect(seconds: int) -> AppCall:
    """`spandsp_start_fax_detect set sf_fax_tone=true SECONDS ced`: mod_spandsp listens
    for an answering fax's CED tone (or its V.21 preamble) for `seconds` (a media bug:
    the application returns at once). On the tone it runs `set` and fires
    DETECTED_TONE with `Detected-Fax-Tone: true` and the channel's Unique-ID."""
    if not 1 <= seconds <= 3600:
        raise validate.CommandValueError("fax detect seconds", str(seconds), "1..3600")
    return AppCall("spandsp_start_fax_detect", f"set {FAX_TONE_VARIABLE}=true {seconds} ced")


def avmd_start() -> AppCall:
    """`avmd_start`: mod_avmd listens to the call for a voicemail beep (a media bug:
    the application returns at once) and fires CUSTOM avmd::beep when it hears one."""
    return AppCall("avmd_start", "")


def callcenter(queue: str) -> AppCall:
    """`callcenter QUEUE@DOMAIN`: waits until an agent answers (the socket
    session then ends) or the caller leaves."""
    return AppCall("callcenter", _queue_name(queue))


def bridge(dial: str, leg_vars: Mapping[str, str] | None = None) -> AppCall:
    """`bridge [vars]ENDPOINT` for one endpoint."""
    return AppCall("bridge", dial_string(dial, leg_vars or {}))


def _queue_name(queue: str) -> str:
    validate.single_line("queue", queue, 128)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+", queue):
        raise validate.CommandValueError("queue", queue, "a queue is NAME@DOMAIN")
    return queue
