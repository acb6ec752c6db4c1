"""A catalogue file's text (TOML) to a typed Catalog, or one error a flow author can act on.

The catalogue is the company's data, written beside the flows
(flows/catalog.toml): what a flow may name outside itself. This module
reads text, never a path, so ivrlang stays pure; whoever holds the file
(engine/catalog.py) reads it and passes the text with the name to show.

Layout, one table per entry:

    [lookups.NAME]    doc, params, fields (required), timeout, notfound
    [functions.NAME]  doc, params, returns (required), timeout, fallback
    [submits.NAME]    doc, params, timeout
    [tickets.NAME]    doc, severity, fields
    [fax.NAME]        doc, params
    [targets.NAME]    doc, params, fields (required)
    [queues]          NAME = "what the queue is for"

`params` and `fields` map names, in order, to a type (`"digits"`) or to a
table `{ type = "text", doc = "…", required = true }`. Parameters are
required unless they say `required = false`; ticket fields are optional
unless they say `required = true`; lookup and target fields are always
there. A timeout is a duration such as "500ms".

Every problem raises `CatalogError` naming the file, the entry and what was
expected (`flows/catalog.toml: lookups.customer.fields.meter_status =
"txt": expected a type (…); did you mean "text"?`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from .catalog import (
    BUILTIN_FUNCTIONS,
    NO_FALLBACK,
    Catalog,
    FaxDocument,
    FunctionSig,
    LookupSig,
    Param,
    SubmitSig,
    TargetSource,
    TicketField,
    TicketType,
)
from .suggest import did_you_mean
from .timespec import format_duration, parse_duration
from .vtypes import BOOL, DATE, DATETIME, DIGITS, DURATION, LIST, NUMBER, TEXT, TIME

TYPES = (BOOL, DATE, DATETIME, DIGITS, DURATION, LIST, NUMBER, TEXT, TIME)
TIMEOUT_MS = (100, 60_000)
SEVERITIES = (1, 4)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# section -> (what one entry is called, the keys an entry may have)
SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "lookups": ("a lookup", ("doc", "params", "fields", "timeout", "notfound")),
    "functions": ("a function", ("doc", "params", "returns", "timeout", "fallback")),
    "submits": ("a submit", ("doc", "params", "timeout")),
    "tickets": ("a ticket type", ("doc", "severity", "fields")),
    "fax": ("a fax document", ("doc", "params")),
    "targets": ("a target source", ("doc", "params", "fields")),
    "queues": ("a queue", ()),
}


class CatalogError(Exception):
    """A catalogue file that cannot be used, worded for the flow author who edits it."""


def parse_catalog(text: str, source: str) -> Catalog:
    """The Catalog a catalogue file's text declares (prompts and flows left unset).

    `source` is what messages call the file. Raises CatalogError.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source}: not valid TOML: {exc}") from None
    return _Reader(source).catalog(data)


class _Reader:
    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, problem: str) -> CatalogError:
        return CatalogError(f"{self.source}: {where}: {problem}")

    def bad(self, where: str, value: Any, expected: str, hint: str = "") -> CatalogError:
        return self.fail(f"{where} = {toml_spelling(value)}", f"expected {expected}"
                         + (f"; {hint}" if hint else ""))

    # ------------------------------------------------------------ the file

    def catalog(self, data: Mapping[str, Any]) -> Catalog:
        for section, table in data.items():
            if section not in SECTIONS:
                hint = did_you_mean(section, SECTIONS, "[{}]")
                raise self.fail(f"[{section}]", "unknown section; "
                                + (hint or "sections are "
                                   + ", ".join(f"[{s}]" for s in SECTIONS)))
            if not isinstance(table, dict):
                raise self.bad(section, table, f"a section [{section}]")
        entries = {s: self.entries(s, data.get(s, {})) for s in SECTIONS if s != "queues"}
        catalog = Catalog(
            lookups={n: self.lookup(f"lookups.{n}", n, e) for n, e in entries["lookups"].items()},
            functions={n: self.function(f"functions.{n}", n, e)
                       for n, e in entries["functions"].items()},
            submits={n: self.submit(f"submits.{n}", n, e) for n, e in entries["submits"].items()},
            tickets={n: self.ticket(f"tickets.{n}", n, e) for n, e in entries["tickets"].items()},
            fax_documents={n: self.fax(f"fax.{n}", n, e) for n, e in entries["fax"].items()},
            targets={n: self.target(f"targets.{n}", n, e) for n, e in entries["targets"].items()},
            queue_docs=self.queues(data.get("queues", {})),
        )
        catalog.queues = set(catalog.queue_docs)
        self.no_clashes(catalog)
        return catalog

    def entries(self, section: str, table: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
        what, keys = SECTIONS[section]
        for name, entry in table.items():
            where = f"{section}.{_key(name)}"
            self.name(where, name, what)
            if not isinstance(entry, dict):
                raise self.bad(where, entry, f"a table [{where}] declaring {what}")
            for key in entry:
                if key not in keys:
                    hint = did_you_mean(key, keys)
                    raise self.fail(f"{where}.{_key(key)}", "unknown key; "
                                    + (hint or f"{what} has " + ", ".join(keys)))
        return dict(table)

    def name(self, where: str, name: str, what: str) -> None:
        if not _NAME.fullmatch(name):
            raise self.fail(where, f"{toml_spelling(name)} cannot be the name of {what}: flows "
                            "write it as a name (letters, digits and `_`, not starting with a "
                            "digit)")

    def no_clashes(self, catalog: Catalog) -> None:
        """A name a flow calls means one thing: not a lookup and a function, not a built-in."""
        for name in catalog.functions:
            if name in BUILTIN_FUNCTIONS:
                raise self.fail(f"functions.{name}", f"`{name}` is a built-in function; "
                                "give this one another name")
        for name in set(catalog.lookups) & set(catalog.functions):
            raise self.fail(f"functions.{name}", f"`{name}` is also declared as a lookup; "
                            "a flow could not tell which one it calls")

    # ------------------------------------------------------------ entries

    def lookup(self, where: str, name: str, e: Mapping[str, Any]) -> LookupSig:
        fields, docs = self.fields(where, e)
        return LookupSig(name, self.params(where, e), fields,
                         can_miss=self.flag(f"{where}.notfound", e.get("notfound", True)),
                         timeout_ms=self.timeout(where, e), doc=self.doc(where, e),
                         field_docs=docs)

    def function(self, where: str, name: str, e: Mapping[str, Any]) -> FunctionSig:
        if "returns" not in e:
            raise self.fail(where, "no `returns`: expected the type the function gives back, "
                            f'e.g. returns = "bool" ({_types()})')
        returns = self.type(f"{where}.returns", e["returns"])
        fallback: object = NO_FALLBACK
        if "fallback" in e:
            fallback = self.fallback(f"{where}.fallback", e["fallback"], returns)
        return FunctionSig(name, self.params(where, e), returns, doc=self.doc(where, e),
                           timeout_ms=self.timeout(where, e), fallback=fallback)

    def submit(self, where: str, name: str, e: Mapping[str, Any]) -> SubmitSig:
        return SubmitSig(name, self.params(where, e), timeout_ms=self.timeout(where, e),
                         doc=self.doc(where, e))

    def ticket(self, where: str, name: str, e: Mapping[str, Any]) -> TicketType:
        severity = e.get("severity", 3)
        lo, hi = SEVERITIES
        if isinstance(severity, bool) or not isinstance(severity, int) \
                or not lo <= severity <= hi:
            raise self.bad(f"{where}.severity", severity,
                           f"a whole number {lo}..{hi} (1 is the most urgent)")
        fields = tuple(TicketField(p.name, p.type, p.required, p.doc)
                       for p in self.typed(f"{where}.fields", e.get("fields", {}),
                                           required_default=False))
        return TicketType(name, fields, default_severity=severity, doc=self.doc(where, e))

    def fax(self, where: str, name: str, e: Mapping[str, Any]) -> FaxDocument:
        return FaxDocument(name, self.params(where, e), doc=self.doc(where, e))

    def target(self, where: str, name: str, e: Mapping[str, Any]) -> TargetSource:
        fields, docs = self.fields(where, e)
        return TargetSource(name, self.params(where, e), fields, doc=self.doc(where, e),
                            field_docs=docs)

    def queues(self, table: Mapping[str, Any]) -> dict[str, str]:
        out = {}
        for name, doc in table.items():
            where = f"queues.{_key(name)}"
            self.name(where, name, "a queue")
            if not isinstance(doc, str):
                raise self.bad(where, doc, 'a text saying what the queue is for, e.g. '
                               'general = "general enquiries"')
            out[name] = doc
        return out

    # ------------------------------------------------------------ values

    def doc(self, where: str, e: Mapping[str, Any]) -> str:
        doc = e.get("doc", "")
        if not isinstance(doc, str):
            raise self.bad(f"{where}.doc", doc, "a text saying what it is")
        return " ".join(doc.split())   # one paragraph, however the file wraps it

    def flag(self, where: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.bad(where, value, "true or false")
        return value

    def timeout(self, where: str, e: Mapping[str, Any]) -> int | None:
        if "timeout" not in e:
            return None
        value = e["timeout"]
        ms = parse_duration(value) if isinstance(value, str) else None
        lo, hi = TIMEOUT_MS
        if ms is None or not lo <= ms <= hi:
            raise self.bad(f"{where}.timeout", value, 'a duration such as "500ms" or "3s" '
                           f"({format_duration(lo)}..{format_duration(hi)})")
        return ms

    def type(self, where: str, value: Any) -> str:
        if isinstance(value, str) and value in TYPES:
            return value
        hint = did_you_mean(value, TYPES, '"{}"') if isinstance(value, str) else ""
        raise self.bad(where, value, f"a type ({_types()})", hint)

    def params(self, where: str, e: Mapping[str, Any]) -> tuple[Param, ...]:
        return self.typed(f"{where}.params", e.get("params", {}), required_default=True)

    def fields(self, where: str, e: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        if "fields" not in e:
            raise self.fail(where, "no `fields`: expected a table of the names and types "
                            f"of what it gives back, e.g. [{where}.fields]")
        typed = self.typed(f"{where}.fields", e["fields"], required_default=None)
        return ({p.name: p.type for p in typed}, {p.name: p.doc for p in typed if p.doc})

    def typed(self, where: str, table: Any, required_default: bool | None) -> tuple[Param, ...]:
        """Names to types, in order. `required_default` None: `required` is not allowed."""
        if not isinstance(table, dict):
            raise self.bad(where, table, 'a table of names and types, e.g. '
                           '{ account = "digits" }')
        out = []
        keys = ("type", "doc") if required_default is None else ("type", "doc", "required")
        for name, spec in table.items():
            here = f"{where}.{_key(name)}"
            self.name(here, name, "a parameter or field")
            if isinstance(spec, str):
                out.append(Param(name, self.type(here, spec), bool(required_default)))
                continue
            if not isinstance(spec, dict):
                raise self.bad(here, spec, 'a type ("digits") or a table '
                               '{ type = "digits", doc = "…" }')
            for key in spec:
                if key not in keys:
                    hint = did_you_mean(key, keys)
                    raise self.fail(f"{here}.{_key(key)}", "unknown key; "
                                    + (hint or "it has " + ", ".join(keys)))
            if "type" not in spec:
                raise self.fail(here, f'no `type`: expected e.g. {{ type = "text" }} '
                                f"({_types()})")
            kind = self.type(f"{here}.type", spec["type"])
            doc = self.doc(here, spec)
            needed = bool(required_default)
            if "required" in spec:
                needed = self.flag(f"{here}.required", spec["required"])
            out.append(Param(name, kind, needed, doc))
        return tuple(out)

    def fallback(self, where: str, value: Any, returns: str) -> object:
        check = _FALLBACKS.get(returns)
        if check is None:
            raise self.fail(where, f"a function returning {returns} cannot have a fallback; "
                            "remove it (a failure then fails the call)")
        accepted, expected = check
        if not accepted(value):
            raise self.bad(where, value, f"{expected}, since the function returns {returns}")
        return value


_FALLBACKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    BOOL: (lambda v: isinstance(v, bool), "true or false"),
    TEXT: (lambda v: isinstance(v, str), "a text"),
    DIGITS: (lambda v: isinstance(v, str) and v.isascii() and v.isdigit(), 'digits ("123")'),
    NUMBER: (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number"),
    DATE: (lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
           "a date (2026-01-01)"),
}


def _types() -> str:
    return ", ".join(TYPES)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def toml_spelling(value: Any) -> str:
    """A value as TOML would spell it, so a message points at what the author wrote
    (the settings file's messages use it too)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | dict):
        shown = json.dumps(value, ensure_ascii=False, default=str)
        return shown if len(shown) <= 60 else shown[:57] + "..."
    return repr(value)
