"""One simulated call of a compiled flow, run as a real one is: through Calls on a SimSwitch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.lifecycle import Calls
from engine.record import CallRecord
from engine.runtime import Runtime
from engine.sim.channel import SimChannel
from engine.sim.switch import SimSwitch


def run_call(ir: Mapping[str, Any], channel: SimChannel, runtime: Runtime,
             **handle: Any) -> CallRecord:
    """Run the call to its end (as the switch reports it) and return its committed record.

    The flow runs alone: a `goto flow` ends the call's part there, as in flow tests.
    """
    switch = SimSwitch()
    switch.connect(Calls([ir], runtime, switch, follow_goto_flow=False).handle)
    return switch.call(channel, flow=ir["flow"], **handle).wait(timeout=5)
