"""Stored calls with recordings and complaint tickets, for the wall areas' tests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from store.models.activity import Recording
from store.models.calls import CallRow
from store.models.tickets import TicketRow


def recorded_call(call_id: str, started: dt.datetime, path: Path, *, agent: str | None =
                  "1001@default", caller: str = "13800000051", ticket: str | None = None,
                  audio: bytes = b"RIFF....WAVEfmt ") -> Recording:
    """A call record and its indexed recording; the file written when `audio` is given."""
    naive = started.astimezone(dt.UTC).replace(tzinfo=None)
    if audio:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(audio)
    row = CallRow.create(call_id=call_id, flow="hotline", caller=caller, called="95007",
                         started_at=naive, ended_at=naive + dt.timedelta(minutes=3),
                         end_reason="agent", agent=agent, talk_ms=150_000,
                         recording=str(path), body=json.dumps({"call_id": call_id}))
    return Recording.create(path=str(path), call=row, caller=caller, agent=agent,
                            started_at=naive, duration_ms=180_000, ticket=ticket)


def complaint(number: str, call_id: str, *, status: str = "new", confidential: bool = False,
              created: dt.datetime, fields: dict | None = None) -> TicketRow:
    return TicketRow.create(number=number, type="complaint", severity=3, status=status,
                            confidential=confidential, fields=json.dumps(fields or {}),
                            call_id=call_id, caller="13800000051", flow="hotline",
                            node="complaint_message",
                            created_at=created.astimezone(dt.UTC).replace(tzinfo=None))
