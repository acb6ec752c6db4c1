"""How control leaves the normal order of steps: the session's own exceptions.

Kept apart from the session so that actions can raise them without importing
the session (which imports the actions).
"""

from __future__ import annotations


class FlowError(Exception):
    """The flow did something that cannot be done at run time."""


class Goto(Exception):
    """Continue at another node of this flow."""

    def __init__(self, node: str):
        super().__init__(node)
        self.node = node


class Return(Exception):
    """Back from a `sub` to the statement after its `call`."""


class EndCall(Exception):
    """The flow is done with the call: hung up, handed over, or stopped."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


class GotoFlow(Exception):
    """`goto flow NAME`: another flow takes the same call (a new segment of its record)."""

    def __init__(self, flow: str):
        super().__init__(flow)
        self.flow = flow


class MachineDetected(BaseException):
    """The line heard an answering machine's beep (or a fax tone) on a campaign call
    whose campaign has `on machine -> NODE`: the flow continues at `node`, once.

    A BaseException, like CallGone: it arrives at any wait of the session, so the
    `except Exception` of a lookup or a function must not swallow it."""

    def __init__(self, node: str, tone: str = "beep"):
        super().__init__(node)
        self.node, self.tone = node, tone
