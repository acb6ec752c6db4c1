"""Committing call records so that none is lost: retries, then an outbox on disk.

`CommittingSink` wraps the store's RecordSink (anything with `commit`).
Whoever ends a call commits through it once; it tries the write a few
times and, when every try failed, appends the record to the outbox (one
JSON line in `[paths] outbox`/records.jsonl) and logs it. It never raises:
a store outage must not disturb the calls. `CallRecord.committed` is set
only after a write succeeded. `replay(outbox, sink)` delivers what the
outbox holds: `switchflow outbox replay` runs it, and `switchflow serve`
every serve.outbox_replay; `switchflow outbox status` reads
`Outbox.summary()`. One replay at a time per outbox folder (a lock file), so
the command and a running serve never deliver the same lines at once.

A record may reach the store twice (a write that timed out but landed, then
a retry or a replay), so a store sink must treat `call_id` as the key.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import fcntl
import json
import logging
import os
import threading
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gevent

from engine.record import MASK, CallRecord, RecordSink

from .deadline import within

log = logging.getLogger(__name__)

OUTBOX_FILE = "records.jsonl"
UNREADABLE_FILE = "unreadable.jsonl"
REPLAYING_PREFIX = "replaying-"
LOCK_FILE = ".replay.lock"
REPLAY_GIVE_UP = 5               # refusals in a row after which a replay stops offering
RETRY_DELAYS_S = (0.5, 2.0)      # waits between the tries: three tries in all
WRITE_TIMEOUT_S = 10.0


class CommitError(Exception):
    """One write of a record failed."""


# ---------------------------------------------------------------- JSON


def to_json(value: Any) -> Any:
    """A record (or any part of it) as JSON values: datetimes as ISO text, secrets masked.

    A value marked secret (an object whose `secret` attribute is true) is
    written as the mask, whatever it holds.
    """
    if getattr(value, "secret", False) is True:
        return MASK
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_json(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record_from_json(data: dict[str, Any]) -> CallRecord:
    """The CallRecord a `to_json` dict was made from (values typed `Any` stay as JSON)."""
    return _typed(CallRecord, data)


def _typed(hint: Any, value: Any) -> Any:
    """`value` read back as the type `hint` names (dataclasses, datetimes, lists, tuples)."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _typed(options[0], value) if len(options) == 1 else value
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        known = {f.name for f in dataclasses.fields(hint)}
        return hint(**{k: _typed(hints[k], v) for k, v in value.items() if k in known})
    if hint is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if hint is dt.date:
        return dt.date.fromisoformat(value)
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return [_typed(item, v) for v in value]
    if origin is tuple:
        args = typing.get_args(hint)
        return tuple(_typed(a, v) for a, v in zip(args, value, strict=False))
    if origin is dict:
        _, item = typing.get_args(hint) or (str, Any)
        return {k: _typed(item, v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------- the outbox


@dataclass(frozen=True)
class ReplayReport:
    """What one replay did. `kept`: records back in the outbox (the store refused
    them, or they were not offered once the store kept refusing); `unreadable`:
    lines moved to unreadable.jsonl; `busy`: another replay held the outbox."""

    delivered: int
    kept: int
    unreadable: int = 0
    untried: int = 0         # of `kept`: not offered, the store having refused those before
    busy: bool = False


@dataclass(frozen=True)
class OutboxSummary:
    """What waits in an outbox (records.jsonl and any replay cut short)."""

    waiting: int
    unreadable: int                  # lines in the waiting files that are no record
    oldest_kept_at: str | None       # ISO instant the oldest waiting record was kept
    oldest_call_id: str | None
    oldest_reason: str | None
    set_aside: int                   # lines in unreadable.jsonl, for a person to look at


class Outbox:
    """Records the store did not take, one JSON line each, in FOLDER/records.jsonl.

    The folder is made on the first record kept. Each line holds when and
    why the record was kept and the record itself.
    """

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)
        self.path = self.folder / OUTBOX_FILE
        self._lock = threading.Lock()

    def keep(self, record: CallRecord, reason: str) -> Path:
        """Append one record; raises OSError when the folder cannot be written."""
        line = json.dumps({"kept_at": dt.datetime.now(dt.UTC).isoformat(), "reason": reason,
                           "record": to_json(record)}, ensure_ascii=False)
        with self._lock:
            self._append(self.path, line)
        return self.path

    def _append(self, path: Path, line: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(line.rstrip("\n") + "\n")

    def put_back(self, line: str, reason: str | None = None) -> None:
        """A line a replay took goes back, as it was kept (its `kept_at` stays, so the
        oldest stays the oldest); `reason` replaces why, and the replays are counted."""
        if reason is not None:
            entry = json.loads(line)
            entry["reason"] = reason
            entry["replays"] = int(entry.get("replays", 0)) + 1
            line = json.dumps(entry, ensure_ascii=False)
        with self._lock:
            self._append(self.path, line)

    def files(self) -> list[Path]:
        """The files whose records wait: replays cut short (oldest first), then records.jsonl."""
        if not self.folder.is_dir():
            return []
        cut_short = sorted(self.folder.glob(f"{REPLAYING_PREFIX}*.jsonl"))
        return [*cut_short, *([self.path] if self.path.exists() else [])]

    def pending(self) -> list[CallRecord]:
        """The records waiting in the outbox, oldest first (unreadable lines left out)."""
        return [record for path in self.files() for _, record in self._read(path)
                if record is not None]

    def summary(self) -> OutboxSummary:
        """How many records wait and the oldest of them (reads the files, never the store)."""
        waiting = unreadable = 0
        oldest: dict[str, Any] | None = None
        for path in self.files():
            with path.open(encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        continue
                    try:
                        entry = json.loads(line)
                        record_from_json(entry["record"])
                    except (ValueError, KeyError, TypeError):
                        unreadable += 1
                        continue
                    waiting += 1
                    if oldest is None or str(entry.get("kept_at", "")) < str(
                            oldest.get("kept_at", "")):
                        oldest = entry
        aside = self.folder / UNREADABLE_FILE
        set_aside = sum(1 for line in aside.open(encoding="utf-8") if line.strip()) \
            if aside.exists() else 0
        return OutboxSummary(
            waiting, unreadable, oldest.get("kept_at") if oldest else None,
            (oldest.get("record") or {}).get("call_id") if oldest else None,
            oldest.get("reason") if oldest else None, set_aside)

    def take(self) -> Path | None:
        """Move the outbox file aside for a replay (records kept meanwhile start a new one)."""
        with self._lock:
            if not self.path.exists():
                return None
            taken = self.path.with_name(
                f"{REPLAYING_PREFIX}{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}.jsonl")
            self.path.rename(taken)
            return taken

    def set_aside(self, line: str) -> Path:
        """Keep a line that cannot be read as a record, for a person to look at."""
        path = self.folder / UNREADABLE_FILE
        with self._lock:
            self._append(path, line)
        return path

    @contextlib.contextmanager
    def replaying(self) -> Iterator[bool]:
        """Hold the outbox's replay lock (a lock file, so across processes too); yields
        False when another replay holds it."""
        if not self.folder.is_dir():
            yield True
            return
        with (self.folder / LOCK_FILE).open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def _read(path: Path) -> list[tuple[str, CallRecord | None]]:
        """Each line with its record, or None when the line cannot be read back."""
        if not path.exists():
            return []
        out: list[tuple[str, CallRecord | None]] = []
        with path.open(encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    out.append((line, record_from_json(json.loads(line)["record"])))
                except (ValueError, KeyError, TypeError):
                    out.append((line, None))
        return out


def replay(outbox: Outbox, sink: RecordSink, *, give_up_after: int | None = None,
           between: Callable[[], None] | None = None) -> ReplayReport:
    """Offer every record in the outbox to `sink` once; what still fails goes back in.

    The records of a replay cut short (the process died during it) are offered
    first. `give_up_after`: after that many refusals in a row the store is taken
    to be still down, and the rest go back without being offered (`untried`).
    `between()` runs after each record (serve yields to the calls there). A record
    delivered twice is the store's to ignore (its key is `call_id`).
    """
    with outbox.replaying() as mine:
        if not mine:
            log.info("outbox replay skipped: another replay of %s is running", outbox.folder)
            return ReplayReport(0, 0, busy=True)
        outbox.take()
        files = [p for p in outbox.files() if p != outbox.path]
        delivered = kept = unreadable = untried = refused_in_a_row = 0
        for taken in files:
            for line, record in Outbox._read(taken):
                if record is None:
                    where = outbox.set_aside(line)
                    log.error("outbox line cannot be read as a call record; moved to %s", where)
                    unreadable += 1
                    continue
                if give_up_after is not None and refused_in_a_row >= give_up_after:
                    outbox.put_back(line)
                    kept += 1
                    untried += 1
                    continue
                try:
                    sink.commit(record)
                except Exception as exc:
                    outbox.put_back(line, f"replay failed: {exc!r}")
                    log.warning("call=%s replay of the call record failed: %r",
                                record.call_id, exc)
                    kept += 1
                    refused_in_a_row += 1
                else:
                    record.committed = True
                    delivered += 1
                    refused_in_a_row = 0
                if between is not None:
                    between()
            taken.unlink()
    if files:
        log.info("outbox replay: %d delivered, %d kept%s in %s", delivered, kept,
                 f" ({untried} not offered: the store kept refusing)" if untried else "",
                 outbox.folder)
    return ReplayReport(delivered, kept, unreadable, untried)


# ---------------------------------------------------------------- the committer


class CommittingSink:
    """A RecordSink that retries, then keeps the record in the outbox; never raises."""

    def __init__(self, sink: RecordSink, outbox: Outbox, *,
                 delays: Sequence[float] = RETRY_DELAYS_S,
                 timeout_s: float = WRITE_TIMEOUT_S,
                 sleep: Callable[[float], None] = gevent.sleep):
        self.sink = sink
        self.outbox = outbox
        self.delays = tuple(delays)
        self.timeout_s = timeout_s
        self.sleep = sleep

    def commit(self, record: CallRecord) -> None:
        error = ""
        for attempt, delay in enumerate((*self.delays, None), start=1):
            try:
                within(self.timeout_s, "the record sink", CommitError,
                       lambda: self.sink.commit(record), call_id=record.call_id, traceback=False)
            except CommitError as exc:
                error = str(exc)
                log.warning("call=%s commit attempt %d failed: %s", record.call_id, attempt, error)
                if delay is not None:
                    self.sleep(delay)
                continue
            record.committed = True
            return
        self._keep(record, error)

    def _keep(self, record: CallRecord, error: str) -> None:
        try:
            where = self.outbox.keep(record, error)
        except OSError as exc:   # last resort: the whole record in the log
            log.critical("call=%s call record NOT stored (%s) and the outbox failed (%s): %s",
                         record.call_id, error, exc,
                         json.dumps(to_json(record), ensure_ascii=False))
            return
        log.error("call=%s call record not stored after %d tries (%s); kept in %s",
                  record.call_id, len(self.delays) + 1, error, where)
