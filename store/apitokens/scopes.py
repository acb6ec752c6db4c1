"""What an API token may do: one scope per kind of data and direction.

The table is the policy, in one place: the CLI offers these names, the API's
`api_requires(scope)` checks them, and the OpenAPI file lists them.
"""

from __future__ import annotations

SCOPES: dict[str, str] = {
    "tickets:read": "list tickets and read one ticket with its history",
    "tickets:write": "open tickets and add notes to them",
    "tickets:confidential": "also see confidential complaints (with tickets:read)",
    "customers:read": "read a customer's account, bills and usage",
    "calls:read": "list call records and read one",
    "readings:write": "submit meter readings",
}


class BadScope(ValueError):
    """A scope name that is not one of SCOPES."""


def parse_scopes(names: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Scopes given as a list or as one space- or comma-separated string, checked and
    in SCOPES' order, each once; BadScope names any unknown one and the known ones."""
    if isinstance(names, str):
        names = [names]
    wanted = {n for given in names for n in given.replace(",", " ").split()}
    unknown = sorted(wanted - SCOPES.keys())
    if unknown:
        raise BadScope(f"unknown scope {', '.join(unknown)}: one of {', '.join(SCOPES)}")
    if not wanted:
        raise BadScope(f"a token needs at least one scope: {', '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in wanted)
