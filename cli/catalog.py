"""`switchflow catalog`: what a flow may name outside itself, read from the catalogue file."""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Iterable, Iterator

import click

from ivrlang.catalog import Catalog, Param
from ivrlang.suggest import did_you_mean
from ivrlang.timespec import format_duration

from .project import cli_settings, read_catalog

WIDTH = 78


@click.command(short_help="What flows may name: lookups, functions, tickets, faxes, queues.")
@click.argument("name", required=False)
def catalog(name: str | None) -> None:
    """List the catalogue ([paths] catalog): lookups with their parameters,
    functions, submits, ticket types, fax documents, queues and campaign target
    sources. With NAME, show that entry in full: fields and their types,
    timeouts, fallbacks and what each is for.

    \b
    Example:
      switchflow catalog
      switchflow catalog customer
    """
    settings = cli_settings()
    cat = read_catalog(settings)
    if name is None:
        click.echo(f"# {settings.paths.catalog}")
        for line in listing(cat):
            click.echo(line)
        return
    lines = list(entry(cat, name))
    if not lines:
        hint = did_you_mean(name, every_name(cat))
        raise click.BadParameter(f"the catalogue {settings.paths.catalog} has no `{name}`"
                                 + (f"; {hint}" if hint else
                                    "; `switchflow catalog` lists every name"),
                                 param_hint="NAME")
    for line in lines:
        click.echo(line)


def every_name(cat: Catalog) -> set[str]:
    return {*cat.lookups, *cat.functions, *cat.submits, *(cat.tickets or {}),
            *(cat.fax_documents or {}), *(cat.targets or {}), *(cat.queues or ())}


# ---------------------------------------------------------------- the listing


def listing(cat: Catalog) -> Iterator[str]:
    """One line per entry, by section, in the file's order."""
    sections = [
        ("lookups", "lookup VAR = NAME(…)",
         [(f"{s.name}({signature(s.params)})", s.doc) for s in cat.lookups.values()]),
        ("functions", "in expressions",
         [(f"{f.name}({signature(f.params)}) -> {f.returns}", f.doc)
          for f in cat.functions.values()]),
        ("submits", "submit NAME(…)",
         [(f"{s.name}({signature(s.params)})", s.doc) for s in cat.submits.values()]),
        ("ticket types", "ticket TYPE: FIELD = …; * required",
         [(f"{t.name}: " + ", ".join(f.name + "*" * f.required for f in t.fields), "")
          for t in (cat.tickets or {}).values()]),
        ("fax documents", "fax NAME: FIELD = …",
         [(f"{d.name}" + (": " + ", ".join(_optional(p, p.name) for p in d.params)
                          if d.params else ""), d.doc)
          for d in (cat.fax_documents or {}).values()]),
        ("queues", "queue NAME", [(q, doc) for q, doc in _queues(cat)]),
        ("campaign target sources", "targets NAME(…)",
         [(f"{t.name}({signature(t.params)})", t.doc) for t in (cat.targets or {}).values()]),
    ]
    for title, usage, rows in sections:
        if not rows:
            continue
        yield ""
        yield f"{title} ({usage})"
        yield from _rows(rows)


def signature(params: Iterable[Param]) -> str:
    """`account: digits, [months: number]`: optional parameters in brackets."""
    return ", ".join(_optional(p, f"{p.name}: {p.type}") for p in params)


def _optional(p: Param, text: str) -> str:
    return text if p.required else f"[{text}]"


def _queues(cat: Catalog) -> list[tuple[str, str]]:
    names = cat.queue_docs or {q: "" for q in sorted(cat.queues or ())}
    return list(names.items())


def _rows(rows: list[tuple[str, str]]) -> Iterator[str]:
    """`  head   first sentence of doc`, the docs in one column, cut to the width."""
    column = min(max(len(head) for head, _ in rows), 44) + 4
    for head, doc in rows:
        line = f"  {head}"
        room = WIDTH - column
        summary = _first_sentence(doc)
        if summary and len(line) < column and room >= 16:
            line = f"{line:<{column}}{_cut(summary, room)}"
        if len(line) > WIDTH:    # a long signature: go on under it, at its parameters
            yield from textwrap.wrap(line, WIDTH, subsequent_indent="      ",
                                     break_on_hyphens=False, break_long_words=False)
        else:
            yield line


def _cut(text: str, room: int) -> str:
    """`text` in at most `room` terminal columns (wide CJK characters take two)."""
    out, used = [], 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used + w > room - 1:
            return "".join(out) + "…"
        out.append(ch)
        used += w
    return text


def _first_sentence(doc: str) -> str:
    for end in (". ", ": "):
        if end in doc:
            return doc.split(end, 1)[0]
    return doc.rstrip(".")


# ---------------------------------------------------------------- one entry


def entry(cat: Catalog, name: str) -> Iterator[str]:
    """Every entry called `name` in full (a ticket type and a queue may share one)."""
    shown = False
    for lines in (_lookup(cat, name), _function(cat, name), _submit(cat, name),
                  _ticket(cat, name), _fax(cat, name), _queue(cat, name), _target(cat, name)):
        lines = list(lines)
        if lines:
            if shown:
                yield ""
            yield from lines
            shown = True


def _lookup(cat: Catalog, name: str) -> Iterator[str]:
    sig = cat.lookups.get(name)
    if sig is None:
        return
    yield f"lookup {sig.name}({signature(sig.params)})"
    yield from _doc(sig.doc)
    args = ", ".join(p.name for p in sig.params)
    yield f"  in a flow: lookup x = {sig.name}({args})"
    yield "             on notfound: …  (no such record)" if sig.can_miss else \
        "             (always finds a record: no `on notfound`)"
    yield "             on error: …     (the back office is down or too slow)"
    yield "  timeout:   " + (_ms(sig.timeout_ms) if sig.timeout_ms
                             else "engine.lookup_timeout (settings), unless the flow gives one")
    yield from _params(sig.params)
    yield from _typed("fields", [(f, t, sig.field_docs.get(f, "")) for f, t in sig.fields.items()])


def _function(cat: Catalog, name: str) -> Iterator[str]:
    sig = cat.functions.get(name)
    if sig is None:
        return
    yield f"function {sig.name}({signature(sig.params)}) -> {sig.returns}"
    yield from _doc(sig.doc)
    yield "  timeout:   " + (_ms(sig.timeout_ms) if sig.timeout_ms
                             else "engine.lookup_timeout (settings)")
    if sig.has_fallback:
        yield f"  fallback:  {_value(sig.fallback)}"
        yield "             (what the flow reads when the function fails or times out; logged)"
    else:
        yield "  fallback:  none (a failure ends the call with an error)"
    yield from _params(sig.params)


def _submit(cat: Catalog, name: str) -> Iterator[str]:
    sig = cat.submits.get(name)
    if sig is None:
        return
    yield f"submit {sig.name}({signature(sig.params)})"
    yield from _doc(sig.doc)
    yield f"  in a flow: submit {sig.name}({', '.join(p.name for p in sig.params)})"
    yield "             on error: …     (the back office refused it, is down or too slow)"
    yield "  timeout:   " + (_ms(sig.timeout_ms) if sig.timeout_ms
                             else "5s, unless the flow gives one")
    yield from _params(sig.params)


def _ticket(cat: Catalog, name: str) -> Iterator[str]:
    ttype = (cat.tickets or {}).get(name)
    if ttype is None:
        return
    yield f"ticket type {ttype.name} (severity {ttype.default_severity} unless the flow says)"
    yield from _doc(ttype.doc)
    yield from _typed("fields (* required)",
                      [(f.name + "*" * f.required, f.type, f.doc) for f in ttype.fields])


def _fax(cat: Catalog, name: str) -> Iterator[str]:
    doc = (cat.fax_documents or {}).get(name)
    if doc is None:
        return
    yield f"fax document {doc.name}"
    yield from _doc(doc.doc)
    values = ", ".join(f"{p.name} = …" for p in doc.params if p.required)
    yield f"  in a flow: fax {doc.name}" + (f": {values}" if values else "")
    yield from _params(doc.params, "values")


def _queue(cat: Catalog, name: str) -> Iterator[str]:
    if name not in (cat.queues or ()):
        return
    yield f"queue {name}"
    yield from _doc(cat.queue_docs.get(name, ""))
    yield (f"  in a flow: queue {name}  (the mod_callcenter queue comes from settings "
           "[queues])")


def _target(cat: Catalog, name: str) -> Iterator[str]:
    src = (cat.targets or {}).get(name)
    if src is None:
        return
    yield f"campaign target source {src.name}({signature(src.params)})"
    yield from _doc(src.doc)
    yield from _params(src.params)
    yield from _typed("fields of `target`",
                      [(f, t, src.field_docs.get(f, "")) for f, t in src.fields.items()])


def _doc(doc: str) -> Iterator[str]:
    if doc:
        yield from textwrap.wrap(doc, WIDTH, initial_indent="  ", subsequent_indent="  ")
    yield ""


def _params(params: tuple[Param, ...], title: str = "parameters") -> Iterator[str]:
    if params:
        yield from _typed(title, [(_optional(p, p.name), p.type, p.doc) for p in params])


def _typed(title: str, rows: list[tuple[str, str, str]]) -> Iterator[str]:
    yield f"  {title}:"
    if not rows:
        yield "    (none)"
        return
    width = max(len(n) for n, _, _ in rows)
    kinds = max(len(t) for _, t, _ in rows)
    for n, t, doc in rows:
        yield f"    {n:<{width}}  {t:<{kinds}}  {doc}".rstrip()


def _ms(ms: int) -> str:
    return format_duration(ms)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
