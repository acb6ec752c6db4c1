"""The catalogue is a data file beside the flows: read, checked, and every mistake named.

flows/catalog.toml is what the shipped flows are checked against; a flow
author edits it, so each mistake in it must come back as one line naming
the file, the entry and what was expected, never a traceback.
"""

from __future__ import annotations

import os

import pytest

from engine.catalog import SHIPPED_CATALOG, CatalogError, CatalogMissing, load_catalog
from ivrlang.catalog import NO_FALLBACK
from ivrlang.catalogfile import parse_catalog


def test_the_shipped_catalogue_declares_what_the_flows_name():
    catalog = load_catalog()
    customer = catalog.lookups["customer"]
    assert [(p.name, p.type) for p in customer.params] == [("account", "digits"),
                                                           ("pin", "digits")]
    assert customer.fields["amount_due"] == "number" and customer.fields["due_date"] == "date"
    assert customer.can_miss and customer.timeout_ms is None
    assert "normal | inspection_due" in customer.field_docs["meter_status"]
    active = catalog.functions["incident_active"]
    assert (active.returns, active.timeout_ms, active.fallback) == ("bool", 500, False)
    assert catalog.functions["incident_area"].fallback == ""
    assert catalog.functions["incident_since"].fallback is NO_FALLBACK
    leak = catalog.tickets["leak_report"]
    assert leak.default_severity == 1 and leak.field("callback").required
    assert not leak.field("address").required
    assert [p.required for p in catalog.fax_documents["usage_statement"].params] == [True, False]
    assert catalog.targets["closed_tickets"].params[1].type == "list"
    assert catalog.queues == {"general", "billing", "emergency", "repair", "complaints",
                              "business", "large_accounts"}
    reading = catalog.submits["meter_reading"]
    assert [(p.name, p.type) for p in reading.params] == [("account", "digits"),
                                                          ("reading", "number")]
    assert reading.timeout_ms == 3000


def test_prompts_and_language_are_the_callers():
    catalog = load_catalog(prompts={"zh-CN": {"welcome"}}, default_lang="en-US")
    assert catalog.prompt_keys("zh-CN") == {"welcome"} and catalog.default_lang == "en-US"


def _error(text: str) -> str:
    with pytest.raises(CatalogError) as info:
        parse_catalog(text, "flows/catalog.toml")
    return str(info.value)


@pytest.mark.parametrize(("text", "message"), [
    ("[lookup.customer]\n",
     "flows/catalog.toml: [lookup]: unknown section; did you mean [lookups]?"),
    ('[lookups.customer]\nparams = { account = "digits" }\nfeilds = {}\n',
     "flows/catalog.toml: lookups.customer.feilds: unknown key; did you mean `fields`?"),
    ('[lookups.customer]\nparams = { account = "digits" }\n',
     "flows/catalog.toml: lookups.customer: no `fields`: expected a table of the names and "
     "types of what it gives back, e.g. [lookups.customer.fields]"),
    ('[lookups.customer.fields]\nstatus = "txt"\n',
     'flows/catalog.toml: lookups.customer.fields.status = "txt": expected a type (bool, '
     'date, datetime, digits, duration, list, number, text, time); did you mean "text"?'),
    ('[lookups.customer.fields]\nstatus = { type = "text", required = true }\n',
     "flows/catalog.toml: lookups.customer.fields.status.required: unknown key; it has "
     "type, doc"),
    ('[lookups.customer]\ntimeout = "3 s"\n[lookups.customer.fields]\na = "text"\n',
     'flows/catalog.toml: lookups.customer.timeout = "3 s": expected a duration such as '
     '"500ms" or "3s" (100ms..1m)'),
    ("[lookups.customer]\nnotfound = 1\n[lookups.customer.fields]\na = \"text\"\n",
     "flows/catalog.toml: lookups.customer.notfound = 1: expected true or false"),
    ('[functions.incident_active]\nfallback = false\n',
     'flows/catalog.toml: functions.incident_active: no `returns`: expected the type the '
     'function gives back, e.g. returns = "bool" (bool, date, datetime, digits, duration, '
     'list, number, text, time)'),
    ('[functions.incident_active]\nreturns = "bool"\nfallback = "no"\n',
     'flows/catalog.toml: functions.incident_active.fallback = "no": expected true or '
     'false, since the function returns bool'),
    ('[functions.since]\nreturns = "datetime"\nfallback = 1\n',
     "flows/catalog.toml: functions.since.fallback: a function returning datetime cannot "
     "have a fallback; remove it (a failure then fails the call)"),
    ('[functions.open]\nreturns = "bool"\n',
     "flows/catalog.toml: functions.open: `open` is a built-in function; give this one "
     "another name"),
    ('[functions.customer]\nreturns = "bool"\n[lookups.customer.fields]\na = "text"\n',
     "flows/catalog.toml: functions.customer: `customer` is also declared as a lookup; a "
     "flow could not tell which one it calls"),
    ('[tickets.repair]\nseverity = 5\n',
     "flows/catalog.toml: tickets.repair.severity = 5: expected a whole number 1..4 (1 is "
     "the most urgent)"),
    ('[tickets.repair.fields]\ncallback = { doc = "x" }\n',
     'flows/catalog.toml: tickets.repair.fields.callback: no `type`: expected e.g. '
     '{ type = "text" } (bool, date, datetime, digits, duration, list, number, text, time)'),
    ('[fax."price list"]\n',
     'flows/catalog.toml: fax."price list": "price list" cannot be the name of a fax '
     "document: flows write it as a name (letters, digits and `_`, not starting with a "
     "digit)"),
    ('[submits.meter_reading]\nparams = ["account", "reading"]\n',
     'flows/catalog.toml: submits.meter_reading.params = ["account", "reading"]: expected '
     'a table of names and types, e.g. { account = "digits" }'),
    ("[queues]\ngeneral = 1\n",
     'flows/catalog.toml: queues.general = 1: expected a text saying what the queue is '
     'for, e.g. general = "general enquiries"'),
    ("queues = 3\n", "flows/catalog.toml: queues = 3: expected a section [queues]"),
])
def test_every_mistake_names_file_entry_and_what_was_expected(text, message):
    assert _error(text) == message


def test_bad_toml_says_where():
    assert _error("[lookups.customer\n").startswith(
        "flows/catalog.toml: not valid TOML: ")


def test_a_param_is_required_unless_it_says_not_and_a_ticket_field_the_other_way():
    catalog = parse_catalog(
        '[fax.statement]\nparams = { account = "digits", months = { type = "number", '
        'required = false } }\n[tickets.visit.fields]\ncallback = { type = "text", '
        'required = true }\nnote = "text"\n', "c.toml")
    assert [p.required for p in catalog.fax_documents["statement"].params] == [True, False]
    assert [f.required for f in catalog.tickets["visit"].fields] == [True, False]
    assert catalog.tickets["visit"].default_severity == 3


def test_a_missing_file_a_folder_and_a_fifo_are_refused_with_a_message(tmp_path):
    with pytest.raises(CatalogMissing, match="no such catalogue file"):
        load_catalog(tmp_path / "nope.toml")
    with pytest.raises(CatalogError, match="it is a folder, not a regular file"):
        load_catalog(tmp_path)
    fifo = tmp_path / "catalog.toml"
    os.mkfifo(fifo)
    with pytest.raises(CatalogError, match="named pipe"):
        load_catalog(fifo)


def test_a_file_not_in_utf8_or_too_large_is_refused(tmp_path):
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[queues]\ngeneral = "é"\n'.encode("latin-1"))
    with pytest.raises(CatalogError, match="not UTF-8"):
        load_catalog(latin)
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"#" * (2 * 1024 * 1024))
    with pytest.raises(CatalogError, match="too large"):
        load_catalog(huge)


def test_the_shipped_file_is_the_default():
    assert SHIPPED_CATALOG.name == "catalog.toml" and SHIPPED_CATALOG.parent.name == "flows"
