"""The simulated FreeSWITCH around SimChannels: what happens after the flow's part.

On a real switch an agent who answers a queue takes the line from the flow
(the socket session ends); the call goes on without the engine until the
caller or the agent hangs up, or until the agent hands the caller back to a
flow (a new socket session on the same channel, carrying `sf_call_id` and
`sf_flow`). Only then does the control connection report the end
(CHANNEL_HANGUP_COMPLETE). `SimSwitch` plays that part on the call's virtual
clock and reports each end through `watch`, as fsmod does on FreeSWITCH, so
`engine.lifecycle.Calls` runs the same way on both.

    switch = SimSwitch()
    calls = Calls(flows, runtime, switch)
    switch.connect(calls.handle)
    switch.call(SimChannel(...))        # the whole call, up to its real end
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gevent.queue import Queue

from engine.channel.switch import CallEnd
from engine.sim.channel import SimChannel

LineHandler = Callable[..., Any]


class SimSwitch:
    """Runs simulated calls end to end and tells watchers how each ended."""

    def __init__(self) -> None:
        self._lines: LineHandler | None = None
        self._ends: dict[str, Queue] = {}
        self._waiting: dict[str, int] = {}

    def connect(self, lines: LineHandler) -> None:
        """Where new lines go (`Calls.handle`), as the dialplan's `socket` does."""
        self._lines = lines

    def call(self, channel: SimChannel, **handle: Any) -> Any:
        """Run one call to its real end; returns what the first line's handler returned.

        `handle` goes to the handler with the first line (a flow, a start node,
        test variables, an observer); a line handed back gets the observer only.
        """
        if self._lines is None:
            raise RuntimeError("SimSwitch.connect(handler) first")
        first = self._lines(channel, **handle)
        observer = handle.get("observer")
        while channel.with_agent and not channel.gone:
            outcomes = channel.outcomes
            if not channel.converse(outcomes.talk_ms):
                break                               # sched_hangup ended the call
            call_id = channel.export.get("sf_call_id")
            if outcomes.hand_back and call_id:
                channel = channel.handed_back(outcomes.hand_back, call_id)
                self._lines(channel, **({"observer": observer} if observer else {}))
                continue
            channel.end_conversation(outcomes.hangs_up)
        if not channel.gone:                        # a line nobody ended: the switch clears it
            channel.end_conversation("switch")
        self._queue(channel.uuid).put(channel.call_end())
        return first

    def watch(self, uuid: str) -> CallEnd:
        """The end of the call on channel `uuid` (ends of a reused UUID in call order)."""
        queue = self._queue(uuid)
        self._waiting[uuid] = self._waiting.get(uuid, 0) + 1
        try:
            return queue.get()
        finally:
            self._waiting[uuid] -= 1
            if not self._waiting[uuid]:
                del self._waiting[uuid]
                if queue.empty():
                    self._ends.pop(uuid, None)

    def _queue(self, uuid: str) -> Queue:
        queue = self._ends.get(uuid)
        if queue is None:
            queue = self._ends[uuid] = Queue()
        return queue
