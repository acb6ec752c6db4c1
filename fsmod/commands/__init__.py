"""Builders of every ESL command switchflow sends, each value checked first.

`sendmsg` (execute an application on a call, with its Event-UUID),
`apps` (the applications' arguments), `sounds` (what can be played),
`dial` (dial strings and variable blocks), `api` (api/bgapi commands:
originate, uuid_*, callcenter_config), `control` (the socket's own
commands: auth, event, filter, linger …), `validate` (the checks, and the
one error type, CommandValueError).
"""

from fsmod.commands.sendmsg import AppCall, Execute, execute, hangup
from fsmod.commands.sounds import Sound
from fsmod.commands.validate import CommandValueError

__all__ = ["AppCall", "CommandValueError", "Execute", "Sound", "execute", "hangup"]
