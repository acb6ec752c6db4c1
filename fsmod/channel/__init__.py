"""The engine's Channel on FreeSWITCH: one outbound socket session per line.

`SocketSession` (session.py) is the wire: commands, application runs awaited
on their Event-UUID, the hangup; `ESLChannel` (channel.py) maps the Channel
contract onto it; `sound.py` turns typed media into playback and speak.
"""

from fsmod.channel.channel import ESLChannel, Limits, WireListener
from fsmod.channel.session import SessionLost, SocketSession, Timeouts
from fsmod.channel.sound import Voice

__all__ = ["ESLChannel", "Limits", "SessionLost", "SocketSession", "Timeouts", "Voice",
           "WireListener"]
