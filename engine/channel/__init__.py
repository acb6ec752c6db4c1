"""The Channel contract: all the engine may ask of a phone line.

fsmod implements it for FreeSWITCH, engine.sim for the simulator; the
`Switch` (switch.py) reports how each call really ended.
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
    RecordRequest,
    RecordResult,
)
from engine.channel.requests import BridgeResult, QueueOutcome, QueueRequest, QueueResult
from engine.channel.switch import CallEnd, HangupBy, Switch

__all__ = [
    "BridgeResult",
    "CallEnd",
    "CallGone",
    "Channel",
    "ChannelEvent",
    "DigitRequest",
    "FaxRequest",
    "FaxResult",
    "HangupBy",
    "Listener",
    "Media",
    "QueueOutcome",
    "QueueRequest",
    "QueueResult",
    "RecordRequest",
    "RecordResult",
    "Switch",
]
