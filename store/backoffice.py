"""The store's BackOffice: a `submit NAME(…)` write kept in the database for agents.

`submit` writes the row and its reference in one transaction (accepted with
a reference, or not at all). The reference is the submit's name and the
row's id ("meter_reading-000042"), unique because the id is the database's.
Values marked secret (a PIN) are stored masked: agents read these rows.
"""

from __future__ import annotations

import datetime as dt
import json

import peewee

from engine.evaluation.secrets import mask
from engine.seams.backoffice import SubmitError, SubmitReceipt, SubmitRequest
from engine.seams.records import to_json
from store.models.backoffice import SubmitRow
from store.models.base import database
from store.records import utc


class StoreBackOffice:
    """Keeps back-office writes in the store's database; raises SubmitError when it cannot."""

    def submit(self, request: SubmitRequest) -> SubmitReceipt:
        accepted_at = dt.datetime.now(dt.UTC)
        try:
            with database.connection_context(), database.atomic():
                row = SubmitRow.create(
                    name=request.name,
                    values=json.dumps(to_json(mask(dict(request.values))), ensure_ascii=False),
                    call_id=request.call_id, caller=request.caller, flow=request.flow,
                    node=request.node, requested_at=utc(request.requested_at),
                    accepted_at=utc(accepted_at))
                reference = f"{request.name[:50]}-{row.id:06d}"
                SubmitRow.update(reference=reference).where(SubmitRow.id == row.id).execute()
        except peewee.DatabaseError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SubmitError(f"the write could not be stored: {first}") from None
        return SubmitReceipt(reference, accepted_at)
