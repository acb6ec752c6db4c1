"""Helpers of the wall areas' tests: FreeSWITCH events as the control link delivers
them, and a control connection double that records the commands sent to FreeSWITCH."""

from __future__ import annotations

from fsmod.esl.events import Event

CALLER_UUID = "6d0c5e3c-4a54-4b8e-9f3d-2d3b1c0a1f11"
AGENT = "1001@default"


def cc(action: str, **headers: str) -> Event:
    """A mod_callcenter `callcenter::info` event (CC-* headers given without the prefix)."""
    return Event({"Event-Name": "CUSTOM", "Event-Subclass": "callcenter::info",
                  "CC-Action": action,
                  **{f"CC-{k.replace('_', '-')}": v for k, v in headers.items()}})


class SentJob:
    def __init__(self, answer: str) -> None:
        self.answer = answer

    def wait(self, timeout: float) -> str:
        return self.answer


class RecordingControl:
    """The panel's Control as far as it uses it: records api/bgapi command lines."""

    def __init__(self, answer: str = f"+OK {CALLER_UUID}\n") -> None:
        self.sent: list[tuple[str, str | None]] = []
        self.answer = answer
        self.links: dict = {}

    def api(self, command, node=None, timeout=None) -> str:
        self.sent.append((command.text, node))
        return "-ERR no such command\n"

    def bgapi(self, command, node=None, timeout=None) -> SentJob:
        self.sent.append((command.text, node))
        return SentJob(self.answer)

    def subscribe(self, on_event=None, on_state=None) -> None:
        pass
