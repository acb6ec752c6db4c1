"""The event-socket wire: frames, their parser and writer, events, messages.

Nothing here knows about calls or flows; it turns bytes into typed messages
and back, with hard limits, for both fsmod's client side and the fake
FreeSWITCH.
"""

from fsmod.esl.connection import ConnectionClosed, FrameConnection, FrameTimeout
from fsmod.esl.events import Event, event_of, parse_json, parse_plain
from fsmod.esl.frame import Frame, FrameError, encode_frame
from fsmod.esl.messages import (
    ApiResponse,
    AuthRequest,
    CommandReply,
    DisconnectNotice,
    EventMessage,
    LogData,
    Message,
    OtherMessage,
    RudeRejection,
    classify,
)
from fsmod.esl.parser import MAX_BODY_BYTES, MAX_HEADER_BYTES, FrameParser
from fsmod.esl.urlcode import fs_decode, fs_encode

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "ApiResponse",
    "AuthRequest",
    "CommandReply",
    "ConnectionClosed",
    "DisconnectNotice",
    "Event",
    "EventMessage",
    "Frame",
    "FrameConnection",
    "FrameError",
    "FrameParser",
    "FrameTimeout",
    "LogData",
    "Message",
    "OtherMessage",
    "RudeRejection",
    "classify",
    "encode_frame",
    "event_of",
    "fs_decode",
    "fs_encode",
    "parse_json",
    "parse_plain",
]
