"""The panel's areas: one blueprint each, registered by create_app in this order.

Each entry is "module:attribute" naming a flask.Blueprint. An area's module
may also define `start(ctx: PanelContext) -> None`, called once when serving
starts (panel/server.py) to subscribe to FreeSWITCH's events or spawn its
live feeds. Only the lead adds entries (at merge).
"""

from __future__ import annotations

AREAS: list[str] = [
    "panel.auth.views:blueprint",
    "panel.admin.views:blueprint",
    "panel.faxes.views:blueprint",
    "panel.agent.views:blueprint",
    "panel.tickets:bp",
    "panel.accounts:bp",
    "panel.reports.views:blueprint",
    "panel.supervisor.views:blueprint",
    "panel.help.views:blueprint",
    "panel.recordings.views:blueprint",
    "panel.api.views:blueprint",
]
