"""A hangup that arrives while the session is busy elsewhere.

A channel method notices a hangup itself: it raises CallGone, or returns
the result FreeSWITCH delivered with the hangup. A session busy in a lookup
or a function is in no channel method, so nothing would stop it until its
next command. `LineGuard` closes that gap: it stands in for the channel
(the actions call it like the channel), counts the channel methods in
progress, and listens to the line's events; a hangup published while no
channel method runs interrupts the session's greenlet with CallGone(cause)
at its next wait. One cancellation path, wherever the session is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gevent
import greenlet

from engine.channel.contract import CallGone, Channel, ChannelEvent
from engine.evaluation.budget import CpuBudget


class LineGuard:
    """The channel as the session uses it, with the hangup interrupt."""

    def __init__(self, channel: Channel, budget: CpuBudget | None = None) -> None:
        self._channel = channel
        self._budget = budget              # the call's processor time: not charged in here
        self._busy = 0                     # channel methods in progress
        self._session: greenlet.greenlet | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._channel, name)
        if name.startswith("_") or not callable(value):
            return value
        wrapped = self._counted(value)
        self.__dict__[name] = wrapped      # built once per method and line
        return wrapped

    def _counted(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self._busy += 1
            try:
                if self._budget is None:
                    return method(*args, **kwargs)
                with self._budget.on_the_line():
                    return method(*args, **kwargs)
            finally:
                self._busy -= 1
        return call

    # ------------------------------------------------------------ the interrupt

    def arm(self) -> None:
        """From now on a hangup outside channel methods interrupts this greenlet."""
        self._session = gevent.getcurrent()
        self._unsubscribe = self._channel.subscribe(self._heard)

    def disarm(self) -> None:
        """The session is finishing: nothing may interrupt it any more."""
        self._session = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _heard(self, event: ChannelEvent) -> None:
        session = self._session
        if event.kind != "hangup" or session is None or self._busy:
            return
        if gevent.getcurrent() is session:
            return                         # published by a channel method of this session
        gevent.get_hub().loop.run_callback(self._interrupt, session, event.value)

    def _interrupt(self, session: greenlet.greenlet, cause: str) -> None:
        if self._session is session and not self._busy and not session.dead:
            session.throw(CallGone(cause or "NORMAL_CLEARING"))
