"""The store's RecordSink: a finished call's record, written once per `call_id`.

The engine commits through `CommittingSink`, which retries and replays from
its outbox, so the same record may arrive again after a write that timed out
but landed: the second write finds the call and leaves it as it is. The
record, its segments and queue waits, and its recording's row in the
recordings index, are written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json

import peewee

from engine.record import CallRecord
from engine.seams.records import record_from_json, to_json
from store.activity import index_recording
from store.models.base import database
from store.models.calls import CallRow, CallSegment, QueueWait


def utc(instant: dt.datetime | None) -> dt.datetime | None:
    """An instant as the store keeps it: naive UTC (a naive one is taken as UTC already)."""
    if instant is None or instant.tzinfo is None:
        return instant
    return instant.astimezone(dt.UTC).replace(tzinfo=None)


class StoreSink:
    """Writes call records to the store's database; raises when the write fails."""

    def commit(self, record: CallRecord) -> None:
        try:
            with database.connection_context(), database.atomic():
                if CallRow.select().where(CallRow.call_id == record.call_id).exists():
                    return
                _write(record)
        except peewee.IntegrityError:
            # another writer stored the same call between our check and our insert
            with database.connection_context():
                if not CallRow.select().where(CallRow.call_id == record.call_id).exists():
                    raise


def _write(record: CallRecord) -> None:
    row = CallRow.create(
        call_id=record.call_id, flow=record.flow, caller=record.caller, called=record.called,
        started_at=utc(record.started_at), ended_at=utc(record.ended_at),
        end_reason=record.end_reason, detail=record.detail, channel_uuid=record.channel_uuid,
        agent=record.agent, queue_wait_ms=sum(q.wait_ms for q in record.queues),
        talk_ms=record.talk_ms, hangup_by=record.hangup_by, hangup_cause=record.hangup_cause,
        recording=record.recording,
        body=json.dumps(_body(record), ensure_ascii=False))
    for position, s in enumerate(record.segments):
        CallSegment.create(call=row, position=position, flow=s.flow,
                           started_at=utc(s.started_at), ended_at=utc(s.ended_at),
                           reason=s.reason, detail=s.detail, node=s.node)
    for position, q in enumerate(record.queues):
        QueueWait.create(call=row, position=position, queue=q.queue, name=q.name,
                         wait_ms=q.wait_ms, outcome=q.outcome, agent=q.agent,
                         answered_at=utc(q.answered_at))
    index_recording(row, record)


def _body(record: CallRecord) -> dict:
    """The record as JSON, secrets masked, without `committed` (a fact about this write)."""
    data = to_json(record)
    data.pop("committed", None)
    return data


def stored_record(call_id: str) -> CallRecord | None:
    """The record stored for `call_id`, read back as the engine made it (None if absent)."""
    with database.connection_context():
        row = CallRow.get_or_none(CallRow.call_id == call_id)
    return None if row is None else record_from_json(json.loads(row.body))
