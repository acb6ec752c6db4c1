"""A telephony side for fsmod.service.Service on the simulator, for the service's tests.

The service asks its telephony side for lines (`start(lines)`), the
switch's word on each call's end (`switch.watch`), the nodes' link state,
and to stop taking calls and close. `SimTelephony` answers with SimChannels
placed by the test, each run in a greenlet of its own as the outbound
socket server runs each session; a line whose flow the service stops is
reported ended as FreeSWITCH reports a line we hung up.
"""

from __future__ import annotations

import gevent

from engine.calendars.clock import VirtualClock
from engine.channel.contract import DigitRequest
from engine.sim.channel import ScriptedCaller, SimChannel
from engine.sim.switch import SimSwitch
from fsmod.service.status import NodeStatus


class SlowCaller(ScriptedCaller):
    """A scripted caller who takes `pause` real seconds before each answer (a call that lasts)."""

    def __init__(self, inputs, pause: float) -> None:
        super().__init__(inputs)
        self.pause = pause

    def next_input(self, request: DigitRequest):
        gevent.sleep(self.pause)
        return super().next_input(request)


class SimTelephony:
    """One simulated FreeSWITCH node, "fs1", whose calls the test places."""

    def __init__(self) -> None:
        self.switch = SimSwitch()
        self.accepting = False
        self.closed = False
        self.refused = 0

    def start(self, lines, round_trip=None, **_) -> None:
        self.switch.connect(lambda channel, **_: lines(channel, node="fs1"))
        self.accepting = True

    def stop_accepting(self) -> None:
        self.accepting = False

    def nodes(self) -> list[NodeStatus]:
        return [NodeStatus("fs1", "127.0.0.1:8021", not self.closed,
                           "closed" if self.closed else "")]

    def close(self) -> None:
        self.closed = True

    def place(self, caller, clock: VirtualClock, called: str = "95158",
              number: str = "13800000001") -> gevent.Greenlet | None:
        """A call arrives; None when the service takes no more calls (refused)."""
        if not self.accepting:
            self.refused += 1
            return None
        channel = SimChannel(caller, clock, caller_number=number, called=called)
        return gevent.spawn(self._run, channel)

    def _run(self, channel: SimChannel) -> None:
        try:
            self.switch.call(channel)
        except gevent.GreenletExit:
            # the service stopped the flow and hung up: the switch reports the end
            self.switch._queue(channel.uuid).put(channel.call_end())
            raise
