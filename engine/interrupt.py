"""A hangup that arrives while the session is busy elsewhere.

A channel method notices a hangup itself: it raises CallGone, or returns
the result FreeSWITCH delivered with the hangup. A session busy in a lookup
or a function is in no channel method, so nothing would stop it until its
next command. `LineGuard` closes that gap: it stands in for the channel
(the actions call it like the channel), counts the channel methods in
progress, and listens to the line's events; a hangup published while no
channel method runs interrupts the session's greenlet with CallGone(cause)
at its next wait. One cancellation path, wherever the session is.

The same path carries a machine detected on a campaign call (`machine_node`:
the campaign's `on machine` node): outside channel methods the session is
interrupted with MachineDetected; inside one, the channel has stopped the
application and MachineDetected is raised as the method returns. Once per line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gevent
import greenlet

from engine.channel.contract import CallGone, Channel, ChannelEvent
from engine.control import MachineDetected
from engine.evaluation.budget import CpuBudget


class LineGuard:
    """The channel as the session uses it, with the hangup interrupt."""

    def __init__(self, channel: Channel, budget: CpuBudget | None = None,
                 machine_node: str | None = None) -> None:
        self._channel = channel
        self._machine_node = machine_node  # where a detected machine sends the flow, once
        self._machine: MachineDetected | None = None   # heard, not yet raised
        self._machine_ready = False        # the flow's nodes run: a machine may divert them
        self._budget = budget              # the call's processor time: not charged in here
        self._busy = 0                     # channel methods in progress
        self._session: greenlet.greenlet | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._channel, name)
        if name.startswith("_") or not callable(value):
            return value
        wrapped = self._counted(value, name != "hangup")
        self.__dict__[name] = wrapped      # built once per method and line
        return wrapped

    def _counted(self, method: Callable[..., Any], divertible: bool) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self._busy += 1
            try:
                if self._budget is None:
                    result = method(*args, **kwargs)
                else:
                    with self._budget.on_the_line():
                        result = method(*args, **kwargs)
            finally:
                self._busy -= 1
            machine = self._machine
            if machine is not None and divertible and self._machine_ready \
                    and not self._busy and self._session is not None:
                self._machine = None
                raise machine
            return result
        return call

    # ------------------------------------------------------------ the interrupt

    def arm(self) -> None:
        """From now on a hangup outside channel methods interrupts this greenlet."""
        self._session = gevent.getcurrent()
        self._unsubscribe = self._channel.subscribe(self._heard)
        heard = getattr(self._channel, "machine", None)
        if heard is not None:              # the detector spoke before this session listened
            self._heard_machine(heard)

    def machine_ready(self) -> None:
        """The flow's own steps begin (its settings' commands are done): from now on a
        machine diverts the session; one heard before is raised here."""
        self._machine_ready = True
        machine, self._machine = self._machine, None
        if machine is not None:
            raise machine

    def disarm(self) -> None:
        """The session is finishing: nothing may interrupt it any more."""
        self._session = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _heard(self, event: ChannelEvent) -> None:
        session = self._session
        if event.kind == "machine":
            self._heard_machine(event)
            return
        if event.kind != "hangup" or session is None or self._busy:
            return
        if gevent.getcurrent() is session:
            return                         # published by a channel method of this session
        gevent.get_hub().loop.run_callback(self._interrupt, session, event.value)

    def _interrupt(self, session: greenlet.greenlet, cause: str) -> None:
        if self._session is session and not self._busy and not session.dead:
            session.throw(CallGone(cause or "NORMAL_CLEARING"))

    def _heard_machine(self, event: ChannelEvent) -> None:
        node, session = self._machine_node, self._session
        if node is None or session is None:
            return                         # no `on machine`, or the session is finishing
        self._machine_node = None          # once per line
        machine = MachineDetected(node, event.value or "beep")
        if self._busy or not self._machine_ready:
            self._machine = machine        # raised as the running channel method returns
        elif gevent.getcurrent() is not session:
            gevent.get_hub().loop.run_callback(self._divert, session, machine)

    def _divert(self, session: greenlet.greenlet, machine: MachineDetected) -> None:
        if self._session is not session or session.dead:
            return
        if self._busy or not self._machine_ready:   # a channel method began meanwhile
            self._machine = machine
        else:
            session.throw(machine)
