"""Reading a request's input: pages, query values and JSON bodies, each checked.

Anything malformed is an ApiError(400) naming the parameter; nothing is
guessed or silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import request

from panel.api.errors import ApiError

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
ACCOUNT = re.compile(r"[0-9]{4,20}")


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page() -> Page:
    """`page` (from 1) and `per_page` (1 to MAX_PER_PAGE) of the query string."""
    return Page(integer("page", 1, 1, 1_000_000), integer("per_page", DEFAULT_PER_PAGE, 1,
                                                            MAX_PER_PAGE))


def paged(items: list[Any], at: Page, total: int) -> dict[str, Any]:
    """A list's answer: the items of this page and where it is in the whole."""
    return {"items": items, "page": at.number, "per_page": at.size, "total": total}


def integer(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise ApiError(400, f"{name} must be a whole number from {low} to {high}")
    value = int(raw)
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be from {low} to {high}, not {value}")
    return value


def text(name: str, pattern: str, what: str) -> str | None:
    """A query value matching `pattern` (None when absent)."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if not re.fullmatch(pattern, raw):
        raise ApiError(400, f"{name} {raw[:60]!r} is not {what}")
    return raw


def choice(name: str, values: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw not in values:
        raise ApiError(400, f"{name} must be one of {', '.join(values)}")
    return raw


def boolean(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false")
    return raw == "true"


def day(name: str) -> dt.date | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    return parse_day(raw, name)


def parse_day(raw: object, name: str) -> dt.date:
    if not isinstance(raw, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        raise ApiError(400, f"{name} must be a date such as 2026-11-28")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} {raw!r} is not a day of the calendar") from None


def account(value: object, name: str = "account") -> str:
    if not isinstance(value, str) or not ACCOUNT.fullmatch(value):
        raise ApiError(400, f"{name} must be an account number: 4 to 20 digits")
    return value


def body(allowed: Mapping[str, type | tuple[type, ...]],
         required: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object of the request: only the `allowed` fields, each of its type
    (bool is never taken for int), the `required` ones present."""
    if not request.is_json:
        raise ApiError(400, "send the body as JSON (Content-Type: application/json)")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ApiError(400, f"unknown field {', '.join(unknown)[:200]}: the fields are "
                            f"{', '.join(allowed)}")
    missing = [name for name in required if data.get(name) is None]
    if missing:
        raise ApiError(400, f"missing field {', '.join(missing)}")
    for name, value in data.items():
        kinds = allowed[name] if isinstance(allowed[name], tuple) else (allowed[name],)
        if value is None and name not in required:
            continue
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            wanted = " or ".join(_type_names[k] for k in kinds)
            raise ApiError(400, f"{name} must be {wanted}")
    return {k: v for k, v in data.items() if v is not None}


_type_names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
               dict: "an object", list: "a list"}
