"""The one table of statements: their options, handlers and IR op names.

The grammar parses options and handlers generically; the checker reads
this table to validate them, the compiler to fill defaults, and the engine
to map each op to its action. A test keeps grammar keywords, this table
and the IR op names the same set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Kind(Enum):
    """What an option's value must be."""

    FLAG = "flag"                # present or not: `secret`
    INT = "int"                  # a whole-number literal
    INT_RANGE = "int_range"      # `6` or `8..10`
    DURATION = "duration"        # `5s`, `2m`
    STRING = "string"            # a string literal
    KEYS = "keys"                # a string of phone keys: "#", "*#"
    REGEX = "regex"              # a string literal that compiles as a regex
    PROMPT = "prompt"            # a prompt key from the catalogue
    NAME = "name"                # a bare identifier
    VOICE = "voice"              # a string naming a TTS voice: letters, digits, _ . -
    EXPR = "expr"                # any expression


@dataclass(frozen=True)
class Option:
    kind: Kind
    required: bool = False
    default: object = None
    min: int | None = None
    max: int | None = None
    doc: str = ""


@dataclass(frozen=True)
class Handler:
    """An `on EVENT` branch; `arg` is the kind of value the event takes, if any."""

    arg: Kind | None = None
    arg_required: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Action:
    name: str
    options: dict[str, Option] = field(default_factory=dict)
    handlers: dict[str, Handler] = field(default_factory=dict)
    fields: bool = False          # accepts `name = expr` fields
    ends_call: bool = False       # normal completion leaves the flow (goto, hangup…)
    freeswitch: str = ""          # what it maps to on FreeSWITCH


DIGIT_TIMEOUT = Option(Kind.DURATION, default=5000, min=500, max=120_000,
                       doc="how long to wait for the first key")
BARGEIN = Option(Kind.FLAG, doc="a key stops it and goes to the next menu or collect")
REPROMPT = Option(Kind.PROMPT, doc="the prompt of the second and later tries")

ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("answer", freeswitch="answer"),
    Action("play", options={"bargein": BARGEIN},
           freeswitch="playback (prompt file), speak as fallback"),
    Action("say", options={"bargein": BARGEIN},
           freeswitch="playback file_string:// of switchflow's own number prompts"),
    Action(
        "collect",
        options={
            "digits": Option(Kind.INT_RANGE, required=True, min=1, max=32,
                             doc="how many keys: `6` or `8..10`"),
            "prompt": Option(Kind.PROMPT, required=True, doc="what the caller hears first"),
            "invalid": Option(Kind.PROMPT, doc="the prompt of the try after a wrong entry"),
            "reprompt": REPROMPT,
            "terminator": Option(Kind.KEYS, default="#", doc="key that ends the entry"),
            "timeout": DIGIT_TIMEOUT,
            "interdigit": Option(Kind.DURATION, default=3000, min=500, max=60_000,
                                 doc="how long to wait between keys"),
            "tries": Option(Kind.INT, default=3, min=1, max=10),
            "secret": Option(Kind.FLAG, doc="masked in traces and call records"),
            "pattern": Option(Kind.REGEX, doc="the entry must match this regex"),
        },
        handlers={"fail": Handler(doc="every try used up")},
        freeswitch="play_and_get_digits",
    ),
    Action("set"),
    Action(
        "lookup",
        options={"timeout": Option(Kind.DURATION, min=100, max=60_000,
                                   doc="overrides the lookup's registered timeout")},
        handlers={"notfound": Handler(doc="no such record"),
                  "error": Handler(doc="the lookup failed or timed out")},
    ),
    Action("goto", ends_call=True),  # `goto flow NAME`: another flow, same call and record
    Action(
        "queue",
        options={
            "priority": Option(Kind.INT, default=0, min=0, max=100,
                               doc="higher is answered first"),
            "skill": Option(Kind.NAME, doc="agent skill wanted"),
            "announce": Option(Kind.PROMPT, doc="played to the caller while waiting"),
        },
        handlers={"timeout": Handler(Kind.DURATION, arg_required=True,
                                     doc="no agent answered within the time"),
                  "noagent": Handler(doc="no agent is logged in to the queue")},
        ends_call=True,
        freeswitch="callcenter",
    ),
    Action(
        "transfer",
        options={"timeout": Option(Kind.DURATION, default=30_000, min=1000, max=300_000)},
        handlers={"fail": Handler(doc="busy, no answer or unreachable")},
        ends_call=True,
        freeswitch="bridge to a dial string from settings [dial] (number, extension, sip)",
    ),
    Action(
        "record",
        options={
            "prompt": Option(Kind.PROMPT),
            "max": Option(Kind.DURATION, default=120_000, min=1000, max=3_600_000),
            "silence": Option(Kind.DURATION, default=5000, min=1000, max=60_000,
                              doc="stop after this much silence"),
            "beep": Option(Kind.FLAG),
            "terminator": Option(Kind.KEYS, default="#"),
        },
        handlers={"silence": Handler(doc="nothing was said")},
        freeswitch="record",
    ),
    Action(
        "ticket",
        options={
            "severity": Option(Kind.INT, min=1, max=4, doc="1 is the most urgent"),
            "confidential": Option(Kind.FLAG, doc="only privileged roles may read it"),
            "assign": Option(Kind.NAME, doc="agent group that takes it"),
        },
        handlers={"error": Handler(doc="the ticket desk could not open it")},
        fields=True,
    ),
    Action(
        "fax",
        options={"to": Option(Kind.EXPR, doc="fax number; without it, this call's line"),
                 "retries": Option(Kind.INT, default=3, min=0, max=10,
                                   doc="further tries of a fax job (needs `to`)")},
        handlers={"fail": Handler(doc="the fax could not be sent")},
        fields=True,
        freeswitch="txfax",
    ),
    Action("hangup", ends_call=True, freeswitch="hangup"),
    Action("call"),
    Action("return", ends_call=True),
    Action("log"),
    Action("if"),
    Action(
        "submit",
        options={"timeout": Option(Kind.DURATION, min=100, max=60_000,
                                   doc="overrides the submit's catalogue timeout")},
        handlers={"error": Handler(doc="the back office refused it, failed or timed out")},
    ),
)}

MENU = Action(
    "menu",
    options={
        "prompt": Option(Kind.PROMPT, required=True),
        "invalid": Option(Kind.PROMPT),
        "reprompt": REPROMPT,
        "timeout": DIGIT_TIMEOUT,
        "interdigit": Option(Kind.DURATION, default=2000, min=500, max=60_000),
        "tries": Option(Kind.INT, default=3, min=1, max=10),
        "max_noinput": Option(Kind.INT, min=1, max=10,
                              doc="silences before `exhausted` (within `tries`)"),
        "max_nomatch": Option(Kind.INT, min=1, max=10,
                              doc="wrong keys before `exhausted` (within `tries`)"),
        "digits": Option(Kind.INT, default=1, min=1, max=8, doc="longest key sequence"),
    },
    handlers={"nomatch": Handler(doc="a key with no branch"),
              "noinput": Handler(doc="no key before the timeout"),
              "exhausted": Handler(doc="every try used up")},
    freeswitch="play_and_get_digits",
)

SETTINGS: dict[str, Option] = {
    "max_steps": Option(Kind.INT, default=1000, min=10, max=1_000_000,
                        doc="steps before the loop guard ends a call"),
    "max_call_time": Option(Kind.DURATION, default=3_600_000, min=10_000, max=86_400_000),
    "record_calls": Option(Kind.FLAG, doc="record every call with record_session"),
    "tts_voice": Option(Kind.VOICE, max=64, doc="voice for text that has no prompt file"),
    "fallback_lang": Option(Kind.STRING, doc='prompt language used when a key is missing: "en-US"'),
}

CAMPAIGN_OUTCOMES = ("answer", "machine")
RETRY_ON = ("busy", "noanswer", "rejected", "failed", "machine")
TEST_EXPECTS = ("play", "say", "queue", "transfer", "ticket", "fax", "record",
                "hangup", "node", "log", "lost", "flow", "submit")
TEST_GIVEN_OUTCOMES = ("returns", "fails", "notfound", "timeout", "noagent")

HANGUP_CAUSES = (
    "NORMAL_CLEARING", "USER_BUSY", "NO_ANSWER", "CALL_REJECTED", "NO_ROUTE_DESTINATION",
    "UNALLOCATED_NUMBER", "NORMAL_TEMPORARY_FAILURE", "SERVICE_UNAVAILABLE",
    "ORIGINATOR_CANCEL", "NO_USER_RESPONSE",
)

# filters usable in `{expr|filter}`, with the value types each accepts
SAY_FILTERS: dict[str, tuple[str, ...]] = {
    "money": ("number",),
    "number": ("number",),
    "digits": ("digits", "text", "number"),
    "date": ("date", "datetime"),
    "time": ("time", "datetime"),
}
