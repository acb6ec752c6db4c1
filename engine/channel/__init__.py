"""The Channel contract: all the engine may ask of a phone line.

fsmod implements it for FreeSWITCH, engine.sim for the simulator.
"""

from engine.channel.contract import (
    CallGone,
    Channel,
    ChannelEvent,
    DigitRequest,
    FaxRequest,
    FaxResult,
    Listener,
    Media,
    QueueRequest,
    QueueResult,
    RecordRequest,
    RecordResult,
)
from engine.channel.requests import PHONE_KEYS, DigitResult, PlayResult

__all__ = [
    "PHONE_KEYS",
    "CallGone",
    "Channel",
    "ChannelEvent",
    "DigitRequest",
    "DigitResult",
    "FaxRequest",
    "FaxResult",
    "Listener",
    "Media",
    "PlayResult",
    "QueueRequest",
    "QueueResult",
    "RecordRequest",
    "RecordResult",
]
