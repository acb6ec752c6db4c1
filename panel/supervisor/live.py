"""The wallboard's one Board per panel, and its live feeds once serving starts.

`start(ctx)` (called by panel/server.py through the area module) subscribes
the board to FreeSWITCH's events and link states (a link that comes back up
seeds the board again: events missed while it was down are read back), to the
serve process's call observers (fsmod.service.service.ServiceCalls.observers),
and keeps today's figures fresh every KPI_EVERY_S.

Every status change mod_callcenter reports is written to the agent activity
log (store.activity), so time ready / on break, occupancy and the agents
report follow FreeSWITCH, whoever changed the status.
"""

from __future__ import annotations

import datetime as dt
import logging

import gevent

from fsmod.control.link import LinkState
from panel.context import PanelContext
from panel.live.board import KPI_EVERY_S, Board
from panel.supervisor.kpis import today_kpis
from store.activity import record_state

log = logging.getLogger(__name__)

_BOARDS: dict[int, tuple[PanelContext, Board]] = {}


def board_for(ctx: PanelContext) -> Board:
    """The board of this panel (made on first use)."""
    found = _BOARDS.get(id(ctx))
    if found is not None and found[0] is ctx:
        return found[1]
    board = Board(ctx.bus, queues=ctx.settings.queues.values(), now=ctx.now,
                  kpis=lambda: today_kpis(ctx.settings, ctx.now()), on_status=log_status)
    _BOARDS[id(ctx)] = (ctx, board)
    return board


# mod_callcenter's status -> the agent activity log's state (store.activity)
ACTIVITY = {"Available": "ready", "Available (On Demand)": "ready", "On Break": "break",
            "Logged Out": "logout"}


def log_status(agent: str, status: str, at: dt.datetime) -> None:
    """Log a status FreeSWITCH reported in the agent activity log."""
    state = ACTIVITY.get(status)
    if state is not None:   # in a greenlet of its own: the control link reads on meanwhile
        gevent.spawn(record_state, agent, state, at, reason="mod_callcenter")


def start(ctx: PanelContext) -> None:
    board = board_for(ctx)
    control = ctx.control
    if control is not None:
        def link_state(node: str, state: LinkState) -> None:
            if state == LinkState.UP:
                gevent.spawn(board.seed, control, node)

        control.subscribe(on_event=board.on_event, on_state=link_state)
        for name, link in control.links.items():
            if link.is_up:
                gevent.spawn(board.seed, control, name)
    observers = getattr(ctx.calls, "observers", None)
    if observers is not None:
        observers.append(board.on_call)
    gevent.spawn(_figures, board)


def _figures(board: Board) -> None:
    while True:
        board.refresh_kpis()
        gevent.sleep(KPI_EVERY_S)
