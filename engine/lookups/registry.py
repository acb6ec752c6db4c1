"""The lookup registry: the only Python a flow can reach.

A flow names back-office queries (`lookup c = customer(account, pin)`) and
functions (`incident_active()`); the catalogue (flows/catalog.toml, read by
engine/catalog.py) declares their parameters and typed results, and a
`Registry` binds each declared name to a Python callable:

    registry = Registry(load_catalog())

    @registry.lookup("customer", timeout_ms=2000)
    def customer(account: str, pin: str) -> dict | None:
        ...                       # a dict when found, None when not

    @registry.function("incident_active")
    def incident_active() -> bool:
        ...

Mistakes show at start-up: registering a name the catalogue does not declare,
or a callable whose parameters do not fit the declaration, raises
`RegistryError` at once.

At run time `call_lookup` never raises for the implementation's sake: it
returns a `LookupOutcome` whose status is `found` (a dict with exactly the
declared fields, coerced to their types, missing ones None), `notfound`, or
`error` (an exception, a timeout, a result of the wrong shape or type), with a
message that names the lookup and the field. A hangup (`GreenletExit`) and
gevent timeouts that belong to someone else (the session's own deadlines) do
propagate: they are not the lookup's failure.

`call_function` runs a function under its timeout too (the catalogue's
`timeout_ms`, else the registry's default). When it fails (raises, times out,
returns the wrong type, is not registered) and the catalogue declares a
`fallback`, the flow reads the fallback and the failure is logged with the
call's id (`incident_active()` reads false while the incident desk is down);
without a fallback it raises FunctionFailed, which ends the call.

A lookup's timeout is the call's own (`lookup … timeout 2s`), else its
registration's, else the catalogue's, else the registry's default
(`default_timeout_ms`, the setting engine.lookup_timeout).

Timeouts use `gevent.Timeout`, so they interrupt an implementation only while
it waits cooperatively (gevent sockets, `gevent.sleep`, monkey-patched I/O); a
lookup that blocks the process without yielding cannot be interrupted (the
processor time it burns is charged to the call's budget).

Values a flow sees (see `coerce_value`): `number` int or float, `text` and
`digits` str, `bool` bool, `date` datetime.date, `datetime` datetime.datetime
(naive values are local to the flow's time zone, as the catalogue says),
`time` datetime.time, `duration` int milliseconds, `list` list.

Tests replace a name's behaviour for a while with `override` (the flow test
runner applies `given customer returns {...}` / `notfound` / `fails` /
`timeout` and `given incident_active returns true` through it). Each flow test
overrides names on its own `overlay()`, so tests running at once never see
each other's `given`.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import inspect
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from gevent import Timeout

from ivrlang.catalog import Catalog, FunctionSig, LookupSig, Param
from ivrlang.vtypes import (
    BOOL,
    DATE,
    DATETIME,
    DIGITS,
    DURATION,
    LIST,
    NONE,
    NUMBER,
    NUMBER_DIGITS,
    NUMBER_LIMIT,
    TEXT,
    TIME,
    RecordType,
    Type,
    describe,
)

log = logging.getLogger(__name__)

Status = Literal["found", "notfound", "error"]

# the words a test uses for a lookup's outcome (`given customer notfound`)
NOTFOUND = "notfound"
FAILS = "fails"
TIMEOUT = "timeout"
_OUTCOME_WORDS = {NOTFOUND, FAILS, "error", TIMEOUT}

DEFAULT_TIMEOUT_MS = 3000   # engine.lookup_timeout's default


# what code behind a lookup or function may raise that is its own failure: SystemExit and
# KeyboardInterrupt too, so user code never ends the process; cancellations (the call's
# hangup, CallGone or GreenletExit) are BaseExceptions outside this list and go through
USER_CODE_FAILURES = (Exception, SystemExit, KeyboardInterrupt)


class RegistryError(ValueError):
    """A registration (or a test override) that does not fit the catalogue."""


class FunctionFailed(Exception):
    """A registered function raised, returned the wrong type, or is not registered."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class LookupOutcome:
    """How one lookup call went.

    `value` is the record (every declared field, missing ones None) when
    found, else None; `error` says what went wrong when status is error;
    `elapsed_ms` is the time the call took (for a simulated timeout, the
    timeout itself, so a virtual clock can be advanced by it).
    """

    status: Status
    value: dict[str, Any] | None
    error: str | None
    elapsed_ms: float


@dataclass(frozen=True)
class _Entry:
    """One registered implementation and what is needed to call it quickly."""

    impl: Callable[..., Any]
    timeout_ms: int | None = None


_NO_OVERRIDE = object()


class Registry:
    """Python implementations of the lookups and functions a catalogue declares."""

    def __init__(self, catalog: Catalog, default_timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        """`default_timeout_ms`: for lookups and functions whose catalogue entry and
        registration name none (the setting engine.lookup_timeout).

        A function's declared fallback must fit its declared type (RegistryError).
        """
        self.catalog = catalog
        self.default_timeout_ms = default_timeout_ms
        self._lookups: dict[str, _Entry] = {}
        self._functions: dict[str, _Entry] = {}
        self._overrides: dict[str, Any] = {}
        for sig in catalog.functions.values():
            if sig.has_fallback:
                try:
                    _returned(sig.name, sig, sig.fallback)
                except ValueError as e:
                    raise RegistryError(f"the fallback of {e}") from None

    def overlay(self) -> Registry:
        """A registry for one flow test: the same implementations, overrides of its own.

        Overrides set on the overlay are seen only by calls that use it, so
        tests running at once each keep their own `given`.
        """
        child = copy.copy(self)
        child._overrides = dict(self._overrides)
        return child

    # ------------------------------------------------------------ registration

    def lookup(self, name: str, timeout_ms: int | None = None
               ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: register `fn` as the lookup `name` (returns `fn` unchanged).

        `timeout_ms` overrides the catalogue's timeout for this implementation
        (a call may still pass its own).
        """
        sig = self.catalog.lookups.get(name)
        if sig is None:
            raise RegistryError(self._unknown(name, "lookup"))
        if timeout_ms is not None and (
                isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int)
                or timeout_ms <= 0):
            raise RegistryError(f"lookup `{name}`: timeout_ms must be a positive whole "
                                f"number of milliseconds, got {timeout_ms!r}")

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._lookups:
                raise RegistryError(f"lookup `{name}` is registered twice "
                                    "(use override() to replace it in a test)")
            _check_params("lookup", name, sig.params, fn)
            self._lookups[name] = _Entry(fn, timeout_ms)
            return fn

        return register

    def function(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: register `fn` as the function `name` (returns `fn` unchanged)."""
        sig = self.catalog.functions.get(name)
        if sig is None:
            raise RegistryError(self._unknown(name, "function"))

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._functions:
                raise RegistryError(f"function `{name}` is registered twice "
                                    "(use override() to replace it in a test)")
            _check_params("function", name, sig.params, fn)
            self._functions[name] = _Entry(fn)
            return fn

        return register

    def _unknown(self, name: str, kind: str) -> str:
        other = self.catalog.functions if kind == "lookup" else self.catalog.lookups
        if name in other:
            other_kind = "function" if kind == "lookup" else "lookup"
            return (f"`{name}` is declared as a {other_kind}, not a {kind}: "
                    f"register it with registry.{other_kind}(\"{name}\")")
        declared = self.catalog.lookups if kind == "lookup" else self.catalog.functions
        known = ", ".join(sorted(declared)) or "none"
        return f"the catalogue declares no {kind} `{name}` (declared: {known})"

    def names(self) -> list[str]:
        """Every registered name, lookups and functions, sorted."""
        return sorted({*self._lookups, *self._functions})

    def missing(self) -> list[str]:
        """Names the catalogue declares that nothing is registered for, sorted."""
        declared = {*self.catalog.lookups, *self.catalog.functions}
        return sorted(declared - {*self._lookups, *self._functions})

    # ------------------------------------------------------------ lookups

    def call_lookup(self, name: str, args: list, kwargs: dict,
                    timeout_ms: int | None = None) -> LookupOutcome:
        """Run the lookup `name`; never raises for the lookup's own failures.

        The effective timeout is `timeout_ms`, else the registration's, else
        the catalogue's.
        """
        started = time.perf_counter()

        def fail(message: str, elapsed: float | None = None,
                 level: int = logging.WARNING) -> LookupOutcome:
            if elapsed is None:
                elapsed = (time.perf_counter() - started) * 1000
            log.log(level, "lookup=%s status=error elapsed_ms=%.1f error=%s",
                    name, elapsed, message)
            return LookupOutcome("error", None, message, elapsed)

        sig = self.catalog.lookups.get(name)
        if sig is None:
            return fail(f"unknown lookup `{name}`")
        entry = self._lookups.get(name)
        override = self._overrides.get(name, _NO_OVERRIDE)
        if timeout_ms is None:
            timeout_ms = (entry.timeout_ms if entry and entry.timeout_ms else sig.timeout_ms
                          or self.default_timeout_ms)

        try:
            bound = _bind("lookup", name, sig.params, args, kwargs)
        except ValueError as e:
            return fail(str(e))

        if override is not _NO_OVERRIDE:
            if override == TIMEOUT:
                return fail(f"lookup `{name}` timed out after {timeout_ms} ms",
                            float(timeout_ms), logging.DEBUG)
            if isinstance(override, LookupOutcome) and override.status == "error":
                return fail(override.error or f"lookup `{name}` failed",
                            override.elapsed_ms, logging.DEBUG)
            log.debug("lookup=%s status=%s (override)", name, override.status)
            value = dict(override.value) if override.value is not None else None
            return LookupOutcome(override.status, value, None, override.elapsed_ms)

        if entry is None:
            return fail(f"lookup `{name}` is declared but no implementation is registered")

        timer = Timeout(timeout_ms / 1000)
        timer.start()
        try:
            result = entry.impl(**bound)
        except Timeout as t:
            if t is not timer:
                raise           # a deadline of the caller's, not ours: let it through
            return fail(f"lookup `{name}` timed out after {timeout_ms} ms")
        except USER_CODE_FAILURES as e:  # a hangup (CallGone, GreenletExit) is not one

            log.debug("lookup %s raised", name, exc_info=True)
            return fail(f"lookup `{name}` failed: {type(e).__name__}: {e}")
        finally:
            timer.close()

        try:
            outcome_value = _record(name, sig, result)
        except ValueError as e:
            return fail(str(e))
        elapsed = (time.perf_counter() - started) * 1000
        status: Status = "notfound" if outcome_value is None else "found"
        log.debug("lookup=%s status=%s elapsed_ms=%.1f", name, status, elapsed)
        return LookupOutcome(status, outcome_value, None, elapsed)

    # ------------------------------------------------------------ functions

    def call_function(self, name: str, args: list, kwargs: dict, *, call_id: str = "") -> Any:
        """Run the function `name` and return its value, coerced to the declared type.

        When the function is not registered, raises, runs past its timeout or
        returns a value of the wrong type, returns the declared fallback (and
        logs why, with `call_id`); without a fallback, raises FunctionFailed
        naming the function. Arguments that do not fit are the flow's mistake:
        FunctionFailed, fallback or not.
        """
        sig = self.catalog.functions.get(name)
        if sig is None:
            raise FunctionFailed(name, f"unknown function `{name}`")
        try:
            bound = _bind("function", name, sig.params, args, kwargs)
        except ValueError as e:
            raise FunctionFailed(name, str(e)) from None
        override = self._overrides.get(name, _NO_OVERRIDE)
        if override is not _NO_OVERRIDE:
            return override
        try:
            return self._run_function(name, sig, bound)
        except FunctionFailed as failed:
            if not sig.has_fallback:
                raise
            log.warning("call=%s function=%s failed: %s; the flow reads its fallback %s",
                        call_id, name, failed, _flow_word(sig.fallback))
            return sig.fallback

    def _run_function(self, name: str, sig: FunctionSig, bound: dict[str, Any]) -> Any:
        entry = self._functions.get(name)
        if entry is None:
            raise FunctionFailed(name, f"function `{name}` is declared but no "
                                       "implementation is registered")
        timeout_ms = sig.timeout_ms or self.default_timeout_ms
        timer = Timeout(timeout_ms / 1000)
        timer.start()
        try:
            result = entry.impl(**bound)
        except Timeout as t:
            if t is not timer:
                raise           # a deadline of the caller's, not ours: let it through
            raise FunctionFailed(name, f"function `{name}` timed out after {timeout_ms} ms"
                                 ) from None
        except USER_CODE_FAILURES as e:
            log.debug("function %s raised", name, exc_info=True)
            raise FunctionFailed(name, f"function `{name}` failed: "
                                       f"{type(e).__name__}: {e}") from e
        finally:
            timer.close()
        try:
            return _returned(name, sig, result)
        except ValueError as e:
            raise FunctionFailed(name, str(e)) from None

    # ------------------------------------------------------------ tests

    @contextlib.contextmanager
    def override(self, name: str, outcome_or_value: Any) -> Iterator[None]:
        """Replace what `name` does while the block runs (for tests); nests.

        For a lookup, `outcome_or_value` is a dict (found: coerced to the
        declared types, missing fields None; a bad field raises RegistryError
        here), None or "notfound", "fails" (or "error"), "timeout" (an error
        after the effective timeout, without waiting), or a LookupOutcome.
        For a function it is the value to return, coerced to the declared type.
        The name need not be registered, only declared.
        """
        if name in self.catalog.lookups:
            replacement = self._lookup_override(name, outcome_or_value)
        elif name in self.catalog.functions:
            try:
                replacement = _returned(name, self.catalog.functions[name], outcome_or_value)
            except ValueError as e:
                raise RegistryError(str(e)) from None
        else:
            known = ", ".join(sorted({*self.catalog.lookups, *self.catalog.functions}))
            raise RegistryError(f"the catalogue declares no lookup or function `{name}` "
                                f"(declared: {known or 'none'})")
        before = self._overrides.get(name, _NO_OVERRIDE)
        self._overrides[name] = replacement
        try:
            yield
        finally:
            if before is _NO_OVERRIDE:
                self._overrides.pop(name, None)
            else:
                self._overrides[name] = before

    def _lookup_override(self, name: str, given: Any) -> Any:
        sig = self.catalog.lookups[name]
        if isinstance(given, LookupOutcome):
            return given
        if isinstance(given, str):
            if given not in _OUTCOME_WORDS:
                raise RegistryError(f"lookup `{name}` can be given a record, "
                                    f"`notfound`, `fails` or `timeout`, not {given!r}")
            if given == TIMEOUT:
                return TIMEOUT
            if given in (FAILS, "error"):
                return LookupOutcome("error", None,
                                     f"lookup `{name}` failed (given by the test)", 0.0)
            given = None
        try:
            value = _record(name, sig, given)
        except ValueError as e:
            raise RegistryError(str(e)) from None
        if value is None:
            return LookupOutcome("notfound", None, None, 0.0)
        return LookupOutcome("found", value, None, 0.0)


# ---------------------------------------------------------------- checking callables


def _check_params(kind: str, name: str, params: tuple[Param, ...], fn: Callable) -> None:
    """The callable must take every declared parameter by name, and nothing else required."""
    if not callable(fn):
        raise RegistryError(f"{kind} `{name}`: {fn!r} is not callable")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as e:
        raise RegistryError(f"{kind} `{name}`: cannot read the parameters of {fn!r}: {e}") from e
    declared = f"{name}({', '.join(p.name for p in params)})"
    shown = f"{getattr(fn, '__qualname__', repr(fn))}{signature}"
    have = signature.parameters
    var_kw = any(p.kind is p.VAR_KEYWORD for p in have.values())
    for param in params:
        got = have.get(param.name)
        if got is None or got.kind in (got.VAR_POSITIONAL, got.VAR_KEYWORD):
            if var_kw:
                continue
            raise RegistryError(f"{kind} `{name}`: {shown} has no parameter `{param.name}` "
                                f"(declared as {declared})")
        if got.kind is got.POSITIONAL_ONLY:
            raise RegistryError(f"{kind} `{name}`: parameter `{param.name}` of {shown} is "
                                "positional-only; it is passed by name")
        if not param.required and got.default is got.empty:
            raise RegistryError(f"{kind} `{name}`: parameter `{param.name}` is optional in "
                                f"the catalogue, so {shown} needs a default for it")
    names = {p.name for p in params}
    for extra in have.values():
        if extra.name in names or extra.kind in (extra.VAR_POSITIONAL, extra.VAR_KEYWORD):
            continue
        if extra.default is extra.empty:
            raise RegistryError(f"{kind} `{name}`: {shown} requires `{extra.name}`, which "
                                f"the catalogue does not declare (declared as {declared})")


def _bind(kind: str, name: str, params: tuple[Param, ...], args: list,
          kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Declared parameter name -> coerced value, as the checker matches them.

    Messages name parameters and types, never the values (a PIN is a secret).
    """
    if len(args) > len(params):
        raise ValueError(f"{kind} `{name}` takes {len(params)} argument"
                         f"{'s' * (len(params) != 1)}, {len(args)} given")
    given = dict(zip((p.name for p in params), args, strict=False))
    by_name = {p.name: p for p in params}
    for key, value in kwargs.items():
        if key not in by_name:
            raise ValueError(f"{kind} `{name}` has no parameter `{key}`")
        if key in given:
            raise ValueError(f"{kind} `{name}`: parameter `{key}` is given twice")
        given[key] = value
    bound: dict[str, Any] = {}
    for param in params:
        if param.name not in given:
            if param.required:
                raise ValueError(f"{kind} `{name}` needs `{param.name}`")
            continue
        value = given[param.name]
        if value is None:
            bound[param.name] = None
            continue
        try:
            bound[param.name] = coerce_value(value, param.type)
        except ValueError:
            raise ValueError(f"{kind} `{name}`: parameter `{param.name}` should be "
                             f"{describe(param.type)}, got {_kind_of(value)}") from None
    return bound


def _record(name: str, sig: LookupSig, result: Any) -> dict[str, Any] | None:
    """A lookup's result as the flow sees it, or ValueError naming the field."""
    if result is None:
        if not sig.can_miss:
            raise ValueError(f"lookup `{name}` found nothing, but it is declared as "
                             "one that cannot miss")
        return None
    if not isinstance(result, Mapping):
        raise ValueError(f"lookup `{name}` returned {_kind_of(result)}; it must return "
                         "a dict (found) or None (not found)")
    record: dict[str, Any] = {}
    for field_name, ftype in sig.fields.items():
        value = result.get(field_name)
        if value is None:
            record[field_name] = None
            continue
        try:
            record[field_name] = coerce_value(value, ftype)
        except ValueError as e:
            raise ValueError(f"lookup `{name}`: field `{field_name}` should be "
                             f"{describe(ftype)}, got {_show(value)}"
                             + (f" ({e})" if str(e) else "")) from None
    return record


def _returned(name: str, sig: FunctionSig, value: Any) -> Any:
    """A function's return value as the flow sees it, or ValueError."""
    if value is None:
        if sig.returns == BOOL:
            raise ValueError(f"function `{name}` returned None; it must return true/false")
        return None
    try:
        return coerce_value(value, sig.returns)
    except ValueError as e:
        raise ValueError(f"function `{name}` should return {describe(sig.returns)}, "
                         f"got {_show(value)}" + (f" ({e})" if str(e) else "")) from None


# ---------------------------------------------------------------- values

_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DIGITS_TEXT = re.compile(r"[0-9]*")
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?")
_TIME_TEXT = re.compile(r"\d{2}:\d{2}(:\d{2})?")
_TRUE_FALSE = {"true": True, "false": False}


def coerce_value(value: Any, vtype: Type) -> Any:
    """`value` as the flow type `vtype` wants it, or ValueError.

    None stays None (fields and results may be absent). Conversions, and
    nothing more: numeric text and Decimal -> number; a non-negative int ->
    digits; an int -> text; "true"/"false" -> bool; ISO text ("2026-11-23",
    "2026-11-23 09:40", "09:40") -> date, datetime, time; a datetime -> its
    date; a timedelta -> duration in milliseconds; a tuple -> list. The
    ValueError's message, when not empty, says why a text did not convert.
    """
    if value is None:
        return None
    if isinstance(vtype, RecordType):
        return _coerce_record(value, vtype)
    coerce = _COERCE.get(vtype)
    if coerce is None:          # any, calendar, or a type this module does not know
        return value
    return coerce(value)


def _number(value: Any) -> int | float:
    """A number within the flows' limit (NUMBER_DIGITS digits), or ValueError."""
    if isinstance(value, bool):
        raise ValueError("")
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        raise ValueError("not a finite number")
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER_TEXT.fullmatch(text):
            raise ValueError("")
        if len(text.lstrip("+-").partition(".")[0].lstrip("0")) > NUMBER_DIGITS:
            raise ValueError(f"more than {NUMBER_DIGITS} digits")
        return float(text) if "." in text else int(text)
    if not isinstance(value, int | float | Decimal):
        raise ValueError("")
    if not -NUMBER_LIMIT < value < NUMBER_LIMIT:
        raise ValueError(f"more than {NUMBER_DIGITS} digits")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _digits(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and _DIGITS_TEXT.fullmatch(value):
        return value
    raise ValueError("")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError("")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE_FALSE:
        return _TRUE_FALSE[value.strip().lower()]
    raise ValueError("")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_TEXT.fullmatch(value.strip()):
        return dt.date.fromisoformat(value.strip())   # ValueError names a bad day/month
    raise ValueError("")


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATETIME_TEXT.fullmatch(value.strip()):
        return dt.datetime.fromisoformat(value.strip())
    raise ValueError("")


def _time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str) and _TIME_TEXT.fullmatch(value.strip()):
        return dt.time.fromisoformat(value.strip())
    raise ValueError("")


def _duration(value: Any) -> int:
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() * 1000)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return round(value)
    raise ValueError("")


def _list(value: Any) -> list:
    if isinstance(value, list | tuple):
        return list(value)
    raise ValueError("")


def _none(value: Any) -> None:
    raise ValueError("")        # only None is none, and None never gets here


def _coerce_record(value: Any, rtype: RecordType) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError("")
    if not rtype.fields:
        return dict(value)
    out: dict[str, Any] = {}
    for key, ftype in rtype.fields.items():
        try:
            out[key] = coerce_value(value.get(key), ftype)
        except ValueError as e:
            raise ValueError(f"field `{key}` should be {describe(ftype)}, "
                             f"got {_show(value.get(key))}") from e
    return out


def _plain_record(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    raise ValueError("")


_COERCE: dict[str, Callable[[Any], Any]] = {
    NUMBER: _number,
    DIGITS: _digits,
    TEXT: _text,
    BOOL: _bool,
    DATE: _date,
    DATETIME: _datetime,
    TIME: _time,
    DURATION: _duration,
    LIST: _list,
    NONE: _none,
    "record": _plain_record,
}


def _flow_word(value: Any) -> str:
    """A value as a flow would write it (false, "text", 3)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _kind_of(value: Any) -> str:
    """A value's kind in flow words, without the value itself."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dt.time):
        return "a time"
    if isinstance(value, Mapping):
        return "a record"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _show(value: Any, limit: int = 40) -> str:
    """A value in a message: its kind and a short repr."""
    shown = repr(value)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return f"{_kind_of(value)} {shown}"


__all__ = [
    "FAILS",
    "NOTFOUND",
    "TIMEOUT",
    "FunctionFailed",
    "LookupOutcome",
    "Registry",
    "RegistryError",
    "coerce_value",
]
