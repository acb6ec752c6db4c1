"""The fake FreeSWITCH and a control connection to it, as the wire tests start them.

TIMING is a control link's timing for tests: short api waits, quick
reconnects, heartbeats every half second.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from fsmod.control import Control, ControlConfig, LinkTiming, NodeConfig
from fsmod.fake.switch import FakeFreeSWITCH

TIMING = LinkTiming(api_timeout=2.0, heartbeat_interval=0.5, heartbeat_misses=4,
                    reconnect_min=0.02, reconnect_max=0.1, lost_grace=2.0)


@contextlib.contextmanager
def running_fake(scale: float, heartbeat: float) -> Iterator[FakeFreeSWITCH]:
    """A fake FreeSWITCH on a free port; `scale` shortens its scripted times."""
    switch = FakeFreeSWITCH(scale=scale, heartbeat=heartbeat).start()
    try:
        yield switch
    finally:
        switch.stop()


@contextlib.contextmanager
def control_to(fake: FakeFreeSWITCH, timing: LinkTiming = TIMING) -> Iterator[Control]:
    """A control connection to `fake`, up before it is handed over."""
    ctl = Control(ControlConfig((NodeConfig("fs", "127.0.0.1", fake.port, "ClueCon"),), timing))
    ctl.start()
    try:
        assert ctl.wait_up(3), "the control link to the fake FreeSWITCH did not come up"
        yield ctl
    finally:
        ctl.stop()
