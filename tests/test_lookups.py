"""The lookup registry (engine/lookups.py) and the demo data (engine/demo.py)."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import gevent
import pytest

from engine.catalog import load_catalog
from engine.demo import demo_registry, national_number
from engine.lookups.registry import (
    FunctionFailed,
    LookupOutcome,
    Registry,
    RegistryError,
    coerce_value,
)
from ivrlang.catalog import Catalog, FunctionSig, LookupSig, Param
from ivrlang.vtypes import (
    BOOL,
    DATE,
    DATETIME,
    DIGITS,
    DURATION,
    LIST,
    NUMBER,
    TEXT,
    TIME,
)


def small_catalog() -> Catalog:
    return Catalog(
        lookups={
            "customer": LookupSig(
                "customer", (Param("account", DIGITS), Param("pin", DIGITS)),
                {"name": TEXT, "arrears": NUMBER, "due_date": DATE, "large": BOOL},
                timeout_ms=200,
            ),
            "usage": LookupSig(
                "usage", (Param("account", DIGITS), Param("months", NUMBER, required=False)),
                {"total": NUMBER, "since": DATETIME},
            ),
            "always": LookupSig("always", (), {"x": NUMBER}, can_miss=False),
        },
        functions={
            "incident_active": FunctionSig("incident_active", (), BOOL),
            "incident_since": FunctionSig("incident_since", (), DATETIME),
            "can_call_back": FunctionSig("can_call_back", (Param("phone", TEXT),), BOOL),
        },
    )


@pytest.fixture
def registry() -> Registry:
    return Registry(small_catalog())


# ---------------------------------------------------------------- registration


def test_registering_returns_the_function_unchanged(registry):
    def customer(account, pin):
        return None

    assert registry.lookup("customer")(customer) is customer
    assert registry.names() == ["customer"]
    assert registry.missing() == ["always", "can_call_back", "incident_active",
                                  "incident_since", "usage"]


def test_unknown_name_is_refused_at_registration(registry):
    with pytest.raises(RegistryError, match=r"no lookup `custmer`.*declared: always, customer"):
        registry.lookup("custmer")
    with pytest.raises(RegistryError, match="no function `open`"):
        registry.function("open")


def test_lookup_and_function_are_not_mixed_up(registry):
    with pytest.raises(RegistryError, match=r"declared as a function.*registry.function"):
        registry.lookup("incident_active")
    with pytest.raises(RegistryError, match=r"declared as a lookup.*registry.lookup"):
        registry.function("customer")


@pytest.mark.parametrize("fn, message", [
    (lambda account: None, "has no parameter `pin`"),
    (lambda account, pin_code: None, "has no parameter `pin`"),
    (lambda account, pin, branch: None, "requires `branch`, which the catalogue does not"),
    (lambda account, pin, /: None, "positional-only"),
    ("not a function", "is not callable"),
])
def test_parameters_must_match_the_declaration(registry, fn, message):
    with pytest.raises(RegistryError, match=message):
        registry.lookup("customer")(fn)
    assert registry.names() == []


def test_optional_parameter_needs_a_default(registry):
    with pytest.raises(RegistryError, match=r"`months` is optional .* needs a default"):
        registry.lookup("usage")(lambda account, months: None)
    registry.lookup("usage")(lambda account, months=1: None)


def test_acceptable_signatures(registry):
    registry.lookup("customer")(lambda pin, account, db=None: None)   # order, extra default
    registry.function("can_call_back")(lambda **kw: True)             # **kwargs takes all
    registry.function("incident_active")(lambda *, now=None: False)


def test_twice_and_bad_timeout_are_refused(registry):
    registry.lookup("customer")(lambda account, pin: None)
    with pytest.raises(RegistryError, match="registered twice"):
        registry.lookup("customer")(lambda account, pin: None)
    for bad in (0, -5, 1.5, True):
        with pytest.raises(RegistryError, match="timeout_ms must be a positive"):
            registry.lookup("usage", timeout_ms=bad)


# ---------------------------------------------------------------- lookups


def test_found_fills_missing_fields_drops_extras_and_coerces(registry):
    seen = {}

    @registry.lookup("customer")
    def customer(account, pin):
        seen.update(account=account, pin=pin)
        return {"name": "张伟", "arrears": "120.50", "due_date": "2026-12-15", "extra": 1}

    outcome = registry.call_lookup("customer", [12345678], {"pin": "123456"})
    assert outcome.status == "found" and outcome.error is None
    assert outcome.value == {"name": "张伟", "arrears": 120.5,
                             "due_date": dt.date(2026, 12, 15), "large": None}
    assert list(outcome.value) == ["name", "arrears", "due_date", "large"]
    assert seen == {"account": "12345678", "pin": "123456"}    # digits arrive as text
    assert outcome.elapsed_ms >= 0


def test_notfound(registry):
    registry.lookup("customer")(lambda account, pin: None)
    outcome = registry.call_lookup("customer", ["1", "2"], {})
    assert (outcome.status, outcome.value, outcome.error) == ("notfound", None, None)
    assert isinstance(outcome, LookupOutcome)


def test_notfound_from_a_lookup_that_cannot_miss_is_an_error(registry):
    registry.lookup("always")(lambda: None)
    outcome = registry.call_lookup("always", [], {})
    assert outcome.status == "error" and "cannot miss" in outcome.error


def test_exception_becomes_error_naming_the_lookup(registry):
    @registry.lookup("customer")
    def customer(account, pin):
        raise ConnectionError("back office refused")

    outcome = registry.call_lookup("customer", ["1", "2"], {})
    assert outcome.status == "error" and outcome.value is None
    assert outcome.error == "lookup `customer` failed: ConnectionError: back office refused"


@pytest.mark.parametrize("result, message", [
    ([1, 2], "lookup `customer` returned a list; it must return a dict"),
    ("found", "lookup `customer` returned text"),
    ({"arrears": "lots"}, "field `arrears` should be a number, got text 'lots'"),
    ({"arrears": True}, "field `arrears` should be a number, got true/false"),
    ({"due_date": "2026-13-45"}, "field `due_date` should be a date, got text '2026-13-45' ("),
    ({"due_date": "15/12/2026"}, "field `due_date` should be a date"),
    ({"name": ["a"]}, "field `name` should be text, got a list"),
    ({"large": "yes"}, "field `large` should be true/false"),
    ({"arrears": float("nan")}, "field `arrears` should be a number"),
])
def test_bad_results_become_errors_naming_the_field(registry, result, message):
    registry.lookup("customer")(lambda account, pin: result)
    outcome = registry.call_lookup("customer", ["1", "2"], {})
    assert outcome.status == "error"
    assert message in outcome.error


@pytest.mark.parametrize("args, kwargs, message", [
    (["1"], {}, "lookup `customer` needs `pin`"),
    (["1", "2", "3"], {}, "takes 2 arguments, 3 given"),
    (["1", "2"], {"branch": "x"}, "has no parameter `branch`"),
    (["1", "2"], {"pin": "2"}, "`pin` is given twice"),
    (["1", "12a"], {}, "parameter `pin` should be digits (text), got text"),
])
def test_bad_arguments_become_errors_without_showing_values(registry, args, kwargs, message):
    registry.lookup("customer")(lambda account, pin: {"name": "x"})
    outcome = registry.call_lookup("customer", args, kwargs)
    assert outcome.status == "error"
    assert message in outcome.error
    assert "12a" not in outcome.error          # a PIN is never echoed


def test_optional_parameter_left_out_uses_the_default(registry):
    registry.lookup("usage")(lambda account, months=3: {"total": months * 10,
                                                         "since": "2026-11-01 08:30"})
    outcome = registry.call_lookup("usage", ["1"], {})
    assert outcome.value == {"total": 30, "since": dt.datetime(2026, 11, 1, 8, 30)}
    assert registry.call_lookup("usage", ["1"], {"months": "2"}).value["total"] == 20


def test_unknown_and_unregistered_lookups_are_errors(registry):
    assert "unknown lookup `nope`" in registry.call_lookup("nope", [], {}).error
    outcome = registry.call_lookup("customer", ["1", "2"], {})
    assert outcome.status == "error" and "no implementation is registered" in outcome.error


# ---------------------------------------------------------------- timeouts


def test_timeout_from_the_catalogue(registry):
    @registry.lookup("customer")
    def slow(account, pin):
        gevent.sleep(5)
        return {"name": "late"}

    started = time.perf_counter()
    outcome = registry.call_lookup("customer", ["1", "2"], {})
    took = time.perf_counter() - started
    assert outcome.status == "error"
    assert outcome.error == "lookup `customer` timed out after 200 ms"
    assert 0.15 < took < 2.0
    assert 150 < outcome.elapsed_ms < 2000


def test_timeout_of_the_call_beats_the_registration_which_beats_the_catalogue(registry):
    @registry.lookup("customer", timeout_ms=30)
    def slow(account, pin):
        gevent.sleep(0.1)
        return {"name": "on time"}

    assert "after 30 ms" in registry.call_lookup("customer", ["1", "2"], {}).error
    outcome = registry.call_lookup("customer", ["1", "2"], {}, timeout_ms=500)
    assert outcome.status == "found" and outcome.value["name"] == "on time"


def test_a_foreign_timeout_passes_through(registry):
    """The session's own deadline is not the lookup's failure: it must reach the session."""
    registry.lookup("customer")(lambda account, pin: gevent.sleep(5))
    with gevent.Timeout(0.05, False):       # swallows only its own timeout
        registry.call_lookup("customer", ["1", "2"], {}, timeout_ms=10_000)
        pytest.fail("the outer timeout did not reach the caller")


def test_a_hangup_kills_the_greenlet_during_a_lookup(registry):
    registry.lookup("customer")(lambda account, pin: gevent.sleep(5))
    g = gevent.spawn(registry.call_lookup, "customer", ["1", "2"], {})
    gevent.sleep(0.01)
    g.kill(block=True, timeout=1)
    assert g.dead and isinstance(g.value, gevent.GreenletExit)


def test_other_greenlets_run_while_a_lookup_waits(registry):
    @registry.lookup("customer")
    def customer(account, pin):
        gevent.sleep(0.05)
        return {"name": account}

    jobs = [gevent.spawn(registry.call_lookup, "customer", [str(i), "0"], {}) for i in range(50)]
    started = time.perf_counter()
    gevent.joinall(jobs, timeout=2)
    assert time.perf_counter() - started < 2.0
    assert sorted(int(j.value.value["name"]) for j in jobs) == list(range(50))


# ---------------------------------------------------------------- functions


def test_call_function_coerces_the_return(registry):
    registry.function("incident_active")(lambda: True)
    registry.function("incident_since")(lambda: "2026-11-23 09:40")
    registry.function("can_call_back")(lambda phone: phone != "anonymous")
    assert registry.call_function("incident_active", [], {}) is True
    assert registry.call_function("incident_since", [], {}) == dt.datetime(2026, 11, 23, 9, 40)
    assert registry.call_function("can_call_back", ["anonymous"], {}) is False
    assert registry.call_function("can_call_back", [], {"phone": "1380"}) is True


def test_function_failures_name_the_function(registry):
    @registry.function("incident_active")
    def broken():
        raise RuntimeError("desk offline")

    registry.function("incident_since")(lambda: 42)
    registry.function("can_call_back")(lambda phone: None)
    with pytest.raises(FunctionFailed, match=r"function `incident_active` failed: Runtime") as e:
        registry.call_function("incident_active", [], {})
    assert e.value.name == "incident_active"
    with pytest.raises(FunctionFailed, match="`incident_since` should return a date and time"):
        registry.call_function("incident_since", [], {})
    with pytest.raises(FunctionFailed, match="must return true/false"):
        registry.call_function("can_call_back", ["1"], {})
    with pytest.raises(FunctionFailed, match="needs `phone`"):
        registry.call_function("can_call_back", [], {})
    with pytest.raises(FunctionFailed, match="unknown function `nope`"):
        registry.call_function("nope", [], {})


def test_unregistered_function_fails(registry):
    with pytest.raises(FunctionFailed, match="no implementation is registered"):
        registry.call_function("incident_active", [], {})


# ---------------------------------------------------------------- overrides for tests


def test_override_returns_a_partial_record(registry):
    registry.lookup("customer")(lambda account, pin: {"name": "real"})
    with registry.override("customer", {"arrears": 0, "due_date": "2026-12-15"}):
        outcome = registry.call_lookup("customer", ["1", "2"], {})
        assert outcome.status == "found"
        assert outcome.value == {"name": None, "arrears": 0,
                                 "due_date": dt.date(2026, 12, 15), "large": None}
        outcome.value["name"] = "changed"      # a copy each call
        assert registry.call_lookup("customer", ["1", "2"], {}).value["name"] is None
    assert registry.call_lookup("customer", ["1", "2"], {}).value["name"] == "real"


@pytest.mark.parametrize("given, status", [
    ("notfound", "notfound"), (None, "notfound"), ("fails", "error"), ("error", "error"),
])
def test_override_outcomes(registry, given, status):
    with registry.override("customer", given):        # declared, not even registered
        outcome = registry.call_lookup("customer", ["1", "2"], {})
    assert outcome.status == status
    if status == "error":
        assert "lookup `customer` failed" in outcome.error


def test_override_timeout_does_not_wait(registry):
    registry.lookup("customer", timeout_ms=2500)(lambda account, pin: {"name": "x"})
    with registry.override("customer", "timeout"):
        started = time.perf_counter()
        outcome = registry.call_lookup("customer", ["1", "2"], {})
        assert time.perf_counter() - started < 0.1
        assert outcome.status == "error" and outcome.elapsed_ms == 2500
        assert outcome.error == "lookup `customer` timed out after 2500 ms"
        assert registry.call_lookup("customer", ["1", "2"], {}, timeout_ms=700).elapsed_ms == 700


def test_override_nests_and_restores(registry):
    with registry.override("customer", {"name": "outer"}):
        with registry.override("customer", "notfound"):
            assert registry.call_lookup("customer", ["1", "2"], {}).status == "notfound"
        assert registry.call_lookup("customer", ["1", "2"], {}).value["name"] == "outer"
    assert registry.call_lookup("customer", ["1", "2"], {}).status == "error"


def test_override_a_function(registry):
    registry.function("incident_active")(lambda: False)
    with registry.override("incident_active", True), \
            registry.override("incident_since", "2026-11-23 09:40"):
        assert registry.call_function("incident_active", [], {}) is True
        assert registry.call_function("incident_since", [], {}) == dt.datetime(2026, 11, 23, 9, 40)
    assert registry.call_function("incident_active", [], {}) is False


def test_bad_overrides_are_refused_at_once(registry):
    with pytest.raises(RegistryError, match="field `due_date` should be a date"), \
            registry.override("customer", {"due_date": "soon"}):
        pass
    with pytest.raises(RegistryError, match="not 'found'"), \
            registry.override("customer", "found"):
        pass
    with pytest.raises(RegistryError, match="should return true/false"), \
            registry.override("incident_active", "maybe"):
        pass
    with pytest.raises(RegistryError, match="no lookup or function `nope`"), \
            registry.override("nope", 1):
        pass


def test_override_still_checks_the_arguments(registry):
    with registry.override("customer", {"name": "x"}):
        assert "needs `pin`" in registry.call_lookup("customer", ["1"], {}).error


# ---------------------------------------------------------------- coercion


@pytest.mark.parametrize("value, vtype, expected", [
    ("32", NUMBER, 32), (" 96.5 ", NUMBER, 96.5), ("-3", NUMBER, -3), (7, NUMBER, 7),
    (Decimal("120.50"), NUMBER, 120.5), (Decimal("12"), NUMBER, 12),
    (12345678, DIGITS, "12345678"), ("0012", DIGITS, "0012"), ("", DIGITS, ""),
    (13800000001, TEXT, "13800000001"), ("张伟", TEXT, "张伟"),
    ("true", BOOL, True), ("False", BOOL, False), (True, BOOL, True),
    ("2026-11-23", DATE, dt.date(2026, 11, 23)),
    (dt.datetime(2026, 11, 23, 9, 40), DATE, dt.date(2026, 11, 23)),
    ("2026-11-23 09:40", DATETIME, dt.datetime(2026, 11, 23, 9, 40)),
    ("2026-11-23T09:40:05", DATETIME, dt.datetime(2026, 11, 23, 9, 40, 5)),
    ("2026-11-23T01:40:00Z", DATETIME, dt.datetime(2026, 11, 23, 1, 40, tzinfo=dt.UTC)),
    ("09:40", TIME, dt.time(9, 40)),
    (dt.timedelta(seconds=5), DURATION, 5000), (2500, DURATION, 2500),
    ((1, 2), LIST, [1, 2]),
    (None, NUMBER, None), ({"a": 1}, "any", {"a": 1}),
])
def test_coerce_value(value, vtype, expected):
    got = coerce_value(value, vtype)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("value, vtype", [
    ("1,000", NUMBER), ("1e3", NUMBER), (False, NUMBER), (float("inf"), NUMBER),
    ("12a", DIGITS), (-1, DIGITS), (1.5, DIGITS), (True, DIGITS),
    (1.5, TEXT), (True, TEXT), (dt.date(2026, 1, 1), TEXT),
    (1, BOOL), ("yes", BOOL),
    ("2026-11-23 09:40", DATE), ("2026-02-30", DATE), (20261123, DATE),
    ("2026-11-23", DATETIME), (dt.date(2026, 11, 23), DATETIME),
    ("9:40", TIME), ("5s", DURATION), ("a,b", LIST), (1, "none"),
])
def test_coerce_value_refuses(value, vtype):
    with pytest.raises(ValueError):
        coerce_value(value, vtype)


# ---------------------------------------------------------------- the demo data


TODAY = dt.date(2026, 11, 23)

DEMO_ACCOUNTS = [
    ("12345678", "123456"), ("87654321", "654321"), ("11223344", "111111"),
    ("55667788", "246810"), ("3344556677", "135790"),
]


def _assert_declared_types(value: dict, fields: dict) -> None:
    assert list(value) == list(fields)
    for name, vtype in fields.items():
        if value[name] is not None:
            assert coerce_value(value[name], vtype) == value[name], (name, value[name])
            if vtype in (DATE,):
                assert type(value[name]) is dt.date, name
            if vtype in (DATETIME,):
                assert isinstance(value[name], dt.datetime), name


def test_demo_registers_every_declared_lookup_and_function():
    registry = demo_registry(today=TODAY)
    catalog = load_catalog()
    assert registry.missing() == []
    assert registry.names() == sorted({*catalog.lookups, *catalog.functions})


def test_demo_raw_results_already_have_the_declared_types():
    """The demo's own dicts need no coercion: what it returns is what flows get."""
    registry = demo_registry(today=TODAY)
    catalog = registry.catalog
    raw = registry._lookups["customer"].impl("12345678", "123456")
    for name, vtype in catalog.lookups["customer"].fields.items():
        assert raw[name] is not None, name
        assert coerce_value(raw[name], vtype) == raw[name]


@pytest.mark.parametrize("account, pin", DEMO_ACCOUNTS)
def test_demo_customers(account, pin):
    registry = demo_registry(today=TODAY)
    outcome = registry.call_lookup("customer", [account, pin], {})
    assert outcome.status == "found", outcome.error
    _assert_declared_types(outcome.value, registry.catalog.lookups["customer"].fields)
    assert outcome.value["account"] == account
    assert all(v is not None for v in outcome.value.values())
    wrong = registry.call_lookup("customer", [account, "000000"], {})
    assert wrong.status == "notfound"


def test_demo_customers_cover_the_menus():
    registry = demo_registry(today=TODAY)
    c = {a: registry.call_lookup("customer", [a, p], {}).value for a, p in DEMO_ACCOUNTS}
    assert c["12345678"]["arrears"] > 0 and c["12345678"]["late_fee"] > 0
    assert c["87654321"]["large_account"] is True
    assert {v["meter_status"] for v in c.values()} == {
        "normal", "inspection_due", "fault", "suspended"}
    assert c["12345678"]["due_date"] > TODAY
    assert registry.call_lookup("customer", ["99999999", "123456"], {}).status == "notfound"


def test_demo_applications():
    registry = demo_registry(today=TODAY)
    fields = registry.catalog.lookups["application"].fields
    seen = set()
    for number in ("88000001", "88000002", "88000003", "88000004"):
        outcome = registry.call_lookup("application", [number], {})
        assert outcome.status == "found", outcome.error
        _assert_declared_types(outcome.value, fields)
        seen.add(outcome.value["approval"])
        if outcome.value["connection_scheduled"]:
            assert outcome.value["connection_date"] > TODAY
    assert seen == {"approved", "rejected", "pending"}
    by_account = registry.call_lookup("application", ["12345678"], {})
    assert by_account.value["app_no"] == "88000003"
    assert registry.call_lookup("application", ["11112222"], {}).status == "notfound"


def test_demo_interruptions():
    registry = demo_registry(today=TODAY)
    fields = registry.catalog.lookups["interruptions"].fields
    planned = registry.call_lookup("interruptions", ["200135"], {})
    _assert_declared_types(planned.value, fields)
    assert planned.value["planned"] == 1
    assert TODAY < planned.value["starts_at"].date() <= TODAY + dt.timedelta(days=7)
    assert planned.value["starts_at"] < planned.value["ends_at"]
    quiet = registry.call_lookup("interruptions", ["200030"], {})
    _assert_declared_types(quiet.value, fields)
    assert quiet.value["planned"] == 0
    assert registry.call_lookup("interruptions", ["999999"], {}).status == "notfound"


def test_demo_ticket_progress():
    registry = demo_registry(today=TODAY)
    fields = registry.catalog.lookups["ticket_progress"].fields
    for caller in ("13800000001", "+86 138 0000 0001", "13900000002"):
        outcome = registry.call_lookup("ticket_progress", [caller], {})
        assert outcome.status == "found", caller
        _assert_declared_types(outcome.value, fields)
    assert registry.call_lookup("ticket_progress", ["13800000001"], {}).value["has_eta"]
    assert registry.call_lookup("ticket_progress", ["anonymous"], {}).status == "notfound"


def test_demo_functions_and_the_incident_switch(monkeypatch):
    monkeypatch.delenv("SWITCHFLOW_DEMO_INCIDENT", raising=False)
    quiet = demo_registry(today=TODAY)
    assert quiet.call_function("incident_active", [], {}) is False
    assert quiet.call_function("incident_area", [], {}) == ""
    assert quiet.call_function("incident_since", [], {}) is None

    busy = demo_registry(today=TODAY, incident=True)
    assert busy.call_function("incident_active", [], {}) is True
    assert "建国路" in busy.call_function("incident_area", [], {})
    since = busy.call_function("incident_since", [], {})
    assert isinstance(since, dt.datetime) and since.date() == TODAY

    monkeypatch.setenv("SWITCHFLOW_DEMO_INCIDENT", "1")
    assert demo_registry(today=TODAY).call_function("incident_active", [], {}) is True
    assert demo_registry(today=TODAY, incident=False).call_function(
        "incident_active", [], {}) is False


def test_demo_today_follows_a_clock():
    days = iter([TODAY, TODAY + dt.timedelta(days=30)])
    registry = demo_registry(today=lambda: next(days))
    first = registry.call_lookup("customer", ["12345678", "123456"], {}).value["due_date"]
    second = registry.call_lookup("customer", ["12345678", "123456"], {}).value["due_date"]
    assert second - first == dt.timedelta(days=30)
    assert demo_registry().call_lookup("customer", ["12345678", "123456"], {}).status == "found"


@pytest.mark.parametrize("phone, expected", [
    ("13800000001", "13800000001"), ("+8613800000001", "13800000001"),
    ("0086 138-0000-0001", "13800000001"), ("02158881234", "02158881234"),
    ("+862158881234", "02158881234"), ("anonymous", None), ("", None),
    ("95158", None), ("8001", None), ("1380000000", None), ("12800000001", None),
])
def test_callback_numbers(phone, expected):
    assert national_number(phone) == expected
    registry = demo_registry(today=TODAY)
    assert registry.call_function("can_call_back", [phone], {}) is (expected is not None)
