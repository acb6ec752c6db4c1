"""The query parameters each operation takes, read from the API's own OpenAPI file.

A parameter the file does not name is refused (400, naming it and the ones
the operation takes) instead of being ignored: a back-office system that
misspells `per_page` learns it at once rather than getting 50 rows and a
wrong total it believes. The file is the one truth, so the check and the
documentation cannot drift apart.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from flask import request

from panel.api.errors import ApiError

OPENAPI = Path(__file__).resolve().parent / "openapi.json"
_RULE_PART = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


@functools.cache
def _query_names() -> dict[tuple[str, str], frozenset[str]]:
    """(METHOD, OpenAPI path) -> the query parameters that operation takes."""
    spec = json.loads(OPENAPI.read_text())
    shared = spec.get("components", {}).get("parameters", {})
    found: dict[tuple[str, str], frozenset[str]] = {}
    for path, item in spec["paths"].items():
        common = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters":
                continue
            names = set()
            for parameter in [*common, *operation.get("parameters", [])]:
                ref = parameter.get("$ref", "")
                if ref:
                    parameter = shared[ref.rsplit("/", 1)[-1]]
                if parameter.get("in") == "query":
                    names.add(parameter["name"])
            found[(method.upper(), path)] = frozenset(names)
    return found


def check_query() -> None:
    """Refuse a query parameter the request's operation does not document."""
    rule = request.url_rule
    if rule is None or not request.args:
        return
    taken = _query_names().get((request.method, _RULE_PART.sub(r"{\1}", rule.rule)))
    if taken is None:
        return
    unknown = sorted(set(request.args) - taken)
    if unknown:
        takes = ", ".join(sorted(taken)) or "none"
        raise ApiError(400, f"unknown query parameter {unknown[0]!r}: this operation takes "
                            f"{takes} (see /api/openapi.json)")
