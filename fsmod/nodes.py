"""Which FreeSWITCH nodes switchflow works with: one list for every part of fsmod.

Settings `[nodes]` names them (name = host); each listens for the event
socket on `[esl] port`. Empty, there is one node, "fs", at `[esl] host`.
The control connections, the rendered configuration (dispatcher list,
event-socket ACL) and `switchflow status` all read this list, so a node is
never known to one part and not to another.
"""

from __future__ import annotations

from engine.settings import Settings

SINGLE_NODE = "fs"


def nodes(settings: Settings) -> list[tuple[str, str]]:
    """(name, host) of each FreeSWITCH node, by name."""
    if settings.nodes:
        return sorted(settings.nodes.items())
    return [(SINGLE_NODE, settings.esl.host)]
