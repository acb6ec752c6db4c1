"""The real FreeSWITCH 1.10.12 traffic recorded for this project, for the fsmod tests.

Each capture is a list of `Row`s (seconds since the start, direction, the
frame's exact bytes). The folder is `SWITCHFLOW_ESL_CAPTURES`, else
tests/data/esl-captures/ (a copy of the team's shared ../shared/esl-captures,
kept in the repository so any checkout can run the tests). Missing captures
fail the tests that need them: they are the reference, not an extra.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CAPTURES = Path(
    os.environ.get("SWITCHFLOW_ESL_CAPTURES", REPO / "tests" / "data" / "esl-captures")
)


@dataclass(frozen=True)
class Row:
    t: float
    sent: bool          # True: the client wrote it; False: FreeSWITCH did
    data: bytes


def names() -> list[str]:
    """Every capture's name (`outbound-call`), sorted."""
    found = sorted(p.stem for p in CAPTURES.glob("*.jsonl"))
    if not found:
        raise FileNotFoundError(
            f"no ESL captures in {CAPTURES}: set SWITCHFLOW_ESL_CAPTURES to the folder"
        )
    return found


@functools.cache
def load(name: str) -> tuple[Row, ...]:
    rows = []
    for line in (CAPTURES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        rows.append(Row(item["t"], item["dir"] == "send", item["frame"].encode("utf-8")))
    return tuple(rows)


def received(name: str) -> list[bytes]:
    return [row.data for row in load(name) if not row.sent]


def sent(name: str) -> list[bytes]:
    return [row.data for row in load(name) if row.sent]
