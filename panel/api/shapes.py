"""The store's typed views as the API's JSON: dates ISO 8601 (instants with their
offset), money and volumes as numbers, tuples as lists."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any


def plain(value: Any, zone: dt.tzinfo | None = None) -> Any:
    """`value` (dataclasses, lists, dicts, dates, Decimals) as JSON-ready data.

    A naive datetime is local wall time in `zone` (store/selfservice.py's `local`,
    as flows read it) and gets that zone's offset; without a zone it is shown as is.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name), zone) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [plain(v, zone) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v, zone) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and zone is not None:
            value = value.replace(tzinfo=zone)
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def pick(value: Any, *names: str, zone: dt.tzinfo | None = None) -> dict[str, Any]:
    """Only the named fields of a view, as JSON-ready data."""
    return {name: plain(getattr(value, name), zone) for name in names}
