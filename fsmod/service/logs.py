"""Structured logs for `switchflow serve`: one line per event, the call's fields on each.

Every record logged while a greenlet serves a line carries that call's
`call_id` (switchflow's), `uuid` (FreeSWITCH's channel), `flow` and `node`
(the FreeSWITCH node the line came from), from a context variable the
service sets when the line arrives (`call_context`); greenlets have their own
context, so calls running at once never see each other's fields. A record
logged elsewhere (the ticket watcher, the control links) has none of them.

Two formats (setting serve.log_format): `kv`, `key=value` pairs with values
quoted when they hold spaces, for people and grep; `json`, one object per
line, for log shippers.

A failure that repeats (a database down, a node unreachable) must not flood
the log: `RepeatLimit` lets the first few records of the same message
template through in a window, counts the rest, and says how many it held
back with the next record let through.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

CONTEXT_FIELDS = ("call_id", "uuid", "flow", "node")


@dataclass(frozen=True)
class CallContext:
    """The fields a call's log lines carry."""

    call_id: str = ""
    uuid: str = ""
    flow: str = ""
    node: str = ""


_current: contextvars.ContextVar[CallContext | None] = contextvars.ContextVar(
    "switchflow_call", default=None)


def current_call() -> CallContext | None:
    """The call the running greenlet serves, if any."""
    return _current.get()


def update_call(**fields: str) -> None:
    """Change fields of the running greenlet's call (the flow after a `goto flow`, the id)."""
    ctx = _current.get()
    if ctx is not None:
        _current.set(replace(ctx, **fields))


@contextlib.contextmanager
def call_context(ctx: CallContext) -> Iterator[CallContext]:
    """Log lines inside carry `ctx`'s fields."""
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


class CallFields(logging.Filter):
    """Puts the running call's fields on every record (empty outside a call)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _current.get()
        for name in CONTEXT_FIELDS:
            if not getattr(record, name, ""):
                setattr(record, name, getattr(ctx, name, "") if ctx else "")
        return True


class RepeatLimit(logging.Filter):
    """At most `burst` records of one message template per logger in `window` seconds.

    Only WARNING and above are limited (a flood is of failures); what was held
    back is told on the next record of that template let through
    (`suppressed=N`).
    """

    def __init__(self, burst: int = 5, window: float = 60.0, clock=time.monotonic) -> None:
        super().__init__()
        self.burst, self.window, self.clock = burst, window, clock
        self._seen: dict[tuple[str, str], list[float]] = {}   # key -> [window start, count, held]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, str(record.msg))
        now = self.clock()
        start, count, held = self._seen.get(key, (now, 0, 0))
        if now - start >= self.window:
            start, count = now, 0
        count += 1
        if count > self.burst:
            self._seen[key] = [start, count, held + 1]
            return False
        self._seen[key] = [start, count, 0]
        if held:
            record.suppressed = held
        if len(self._seen) > 10_000:      # bounded: many distinct messages are no flood
            self._seen.clear()
        return True


_PLAIN = re.compile(r"[^\s\"=]+")


def _kv_value(value: object) -> str:
    text = str(value)
    return text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _fields(record: logging.LogRecord) -> dict[str, object]:
    out: dict[str, object] = {
        "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
    }
    for name in CONTEXT_FIELDS:
        value = getattr(record, name, "")
        if value:
            out[name] = value
    out["msg"] = record.getMessage()
    held = getattr(record, "suppressed", 0)
    if held:
        out["suppressed"] = held
    if record.exc_info:
        out["error"] = logging.Formatter().formatException(record.exc_info)
    return out


class KeyValueFormatter(logging.Formatter):
    """`ts=… level=warning logger=engine.session call_id=… flow=hotline msg="…"`."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_kv_value(v)}" for k, v in _fields(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line, the same fields as the key=value format."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False)


def setup_logging(fmt: str, stream=None, level: int = logging.INFO) -> logging.Handler:
    """Send every log record to `stream` (stderr) in `fmt` ("kv" or "json"); the handler."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    handler.addFilter(CallFields())
    handler.addFilter(RepeatLimit())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "switchflow_serve", False)]:
        root.removeHandler(old)
    handler.switchflow_serve = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("engine", "fsmod", "store"):    # cli.output may have set these apart
        logger = logging.getLogger(name)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    return handler
