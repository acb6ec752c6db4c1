"""The Channel contract: all the engine may ask of a phone line.

fsmod implements it for FreeSWITCH, engine.sim for the simulator.
"""

from engine.channel.contract import (
    CallGone,
    Channel,
    ChannelEvent,
    DigitRequest,
    FaxResult,
    Listener,
    QueueRequest,
    QueueResult,
    RecordRequest,
    RecordResult,
)
from engine.channel.media import Media, Part, PromptPart, SayPart, TextPart
from engine.channel.requests import PHONE_KEYS, DigitResult, PlayResult

__all__ = [
    "PHONE_KEYS",
    "CallGone",
    "Channel",
    "ChannelEvent",
    "DigitRequest",
    "DigitResult",
    "FaxResult",
    "Listener",
    "Media",
    "Part",
    "PlayResult",
    "PromptPart",
    "QueueRequest",
    "QueueResult",
    "RecordRequest",
    "RecordResult",
    "SayPart",
    "TextPart",
]
