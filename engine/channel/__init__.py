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
    Media,
    QueueRequest,
    QueueResult,
    RecordRequest,
    RecordResult,
)

__all__ = [
    "CallGone",
    "Channel",
    "ChannelEvent",
    "DigitRequest",
    "FaxResult",
    "Listener",
    "Media",
    "QueueRequest",
    "QueueResult",
    "RecordRequest",
    "RecordResult",
]
