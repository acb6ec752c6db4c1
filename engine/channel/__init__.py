"""The Channel contract: all the engine may ask of a phone line.

fsmod implements it for FreeSWITCH, engine.sim for the simulator; the
`Switch` (switch.py) reports how each call really ended.
"""

from engine.channel.contract import (
    CallGone,
    Channel,
    ChannelEvent,
    DigitRequest,
    FaxResult,
    Listener,
    RecordRequest,
    RecordResult,
)
from engine.channel.media import Media, Part, PromptPart, SayPart, TextPart
from engine.channel.requests import (
    PHONE_KEYS,
    BridgeResult,
    DigitResult,
    PlayResult,
    QueueOutcome,
    QueueRequest,
    QueueResult,
)
from engine.channel.switch import CallEnd, HangupBy, Switch

__all__ = [
    "PHONE_KEYS",
    "BridgeResult",
    "CallEnd",
    "CallGone",
    "Channel",
    "ChannelEvent",
    "DigitRequest",
    "DigitResult",
    "FaxResult",
    "HangupBy",
    "Listener",
    "Media",
    "Part",
    "PlayResult",
    "PromptPart",
    "QueueOutcome",
    "QueueRequest",
    "QueueResult",
    "RecordRequest",
    "RecordResult",
    "SayPart",
    "Switch",
    "TextPart",
]
