"""The outbound socket server: FreeSWITCH's `socket` application connects here per call."""

from fsmod.server.server import OutboundServer, ServerStats

__all__ = ["OutboundServer", "ServerStats"]
