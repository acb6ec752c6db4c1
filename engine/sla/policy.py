"""Time-limit policies: which clocks a ticket runs, on which calendar, and what happens at alarms.

The policy file (conf/sla.toml as shipped; the setting `[paths] sla` names
it) holds named policies `[policies.NAME]`. A ticket gets the first policy
that matches, in a fixed order that does not depend on where a policy
stands in the file: policies naming a `type` come first, then those naming
a `severity`, then those naming a `customer_class` (a policy naming several
sorts by the first of them, and before one naming fewer); policies of the
same rank keep the file's order; the one `fallback = true` policy is last
and matches every ticket.

Durations are business time on the policy's calendar: `m` minutes, `h`
hours, `bd` business days. A business day is the length of the calendar's
ordinary working day (the hours of its first Monday-to-Friday day that has
any: 12 h on `office`, 6 h on `business`, 24 h on `24x7`), so `3bd` means
as much open time as three ordinary working days; `d` alone is refused as
ambiguous. Paths in the file are relative to the file itself.

Calendars are the named calendars of a flow library (`[calendars] library`,
flows/common.flow as shipped), compiled by ivrlang exactly as flows that
`use` it get them, in the zone `[calendars] timezone` gives (a library has
no zone of its own); or the built-in `24x7` calendar.

Every problem raises PolicyError naming the file, the policy and the key,
with what to write instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.calendars.calendar import BusinessCalendar
from engine.calendars.clock import get_zone
from engine.calendars.public import TABLES
from engine.sla.businesstime import AlwaysOpen, BusinessClock, DayCalendar
from engine.sla.model import CLOCK_NAMES, REOPEN_RULES, TicketFacts
from ivrlang.suggest import did_you_mean

ALWAYS_OPEN = "24x7"
DEFAULT_LIBRARY = "../flows/common.flow"
DEFAULT_TIMEZONE = "Asia/Shanghai"
MATCH_KEYS = ("type", "severity", "customer_class")
ACTION_WORDS = ("notify", "raise_severity", "reassign")
_TEAM = re.compile(r"[a-z_][a-z0-9_]*")
_DURATION = re.compile(r"(?:(\d+)bd)?(?:(\d+)h)?(?:(\d+)m)?")
_HHMM = re.compile(r"([01]\d|2[0-4]):([0-5]\d)")

_TOP_KEYS = ("calendars", "notifications", "defaults", "policies")
_CALENDAR_KEYS = ("library", "catalog", "timezone")
_NOTIFY_KEYS = ("quiet_hours", "timezone")
_RULE_KEYS = ("warn_percent", "reopen", "on_warning", "on_breach", "urgent", "calendar",
              *CLOCK_NAMES)
_POLICY_KEYS = (*MATCH_KEYS, "fallback", "timezone", *_RULE_KEYS)


class PolicyError(Exception):
    """A problem in the policy file, worded for the operator: file, policy, key, what to write."""


# ----------------------------------------------------------------- the types


@dataclass(frozen=True)
class ClockRule:
    """One clock's allowance: business minutes, and how the file spelled it."""

    clock: str
    minutes: int
    spelled: str


@dataclass(frozen=True)
class Policy:
    name: str
    types: tuple[str, ...]
    severities: tuple[int, ...]
    customer_classes: tuple[str, ...]
    fallback: bool
    calendar_name: str
    clocks: tuple[ClockRule, ...]
    warn_percent: int
    reopen: str
    on_warning: tuple[str, ...]
    on_breach: tuple[str, ...]
    urgent: bool
    version: str
    calendar_version: str
    calendar: DayCalendar = field(compare=False, repr=False)
    business: BusinessClock = field(compare=False, repr=False)
    calendar_source: str = ""

    @property
    def timezone(self) -> str:
        return self.calendar.timezone

    def rule(self, clock: str) -> ClockRule | None:
        return next((r for r in self.clocks if r.clock == clock), None)

    def matches(self, type_: str, severity: int, customer_class: str | None) -> bool:
        if self.fallback:
            return True
        return ((not self.types or type_ in self.types)
                and (not self.severities or severity in self.severities)
                and (not self.customer_classes or customer_class in self.customer_classes))

    def why(self, type_: str, severity: int, customer_class: str | None) -> str:
        """Why this policy matched, in words a supervisor reads."""
        if self.fallback:
            return "no other policy matches, this is the fallback"
        parts = []
        if self.types:
            parts.append(f"type {type_}")
        if self.severities:
            parts.append(f"severity {severity}")
        if self.customer_classes:
            parts.append(f"customer class {customer_class}")
        return "matched on " + ", ".join(parts)

    def rank(self) -> tuple[int, int, int]:
        """Sort key: type first, then severity, then customer class (more named first)."""
        return (0 if self.types else 1, 0 if self.severities else 1,
                0 if self.customer_classes else 1)


@dataclass(frozen=True)
class QuietHours:
    """When notifications wait (local minutes after midnight; start > end crosses midnight)."""

    start: int
    end: int
    timezone: str

    @property
    def zone(self) -> dt.tzinfo:
        return get_zone(self.timezone)

    def spelled(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)} {self.timezone}"


@dataclass(frozen=True)
class PolicySet:
    """The policies in matching order, and the quiet hours for notifications."""

    path: str
    policies: tuple[Policy, ...]
    quiet: QuietHours | None

    def choose(self, facts: TicketFacts) -> Policy:
        """The first policy that matches the ticket's type, severity and customer class."""
        return self.choose_for(facts.type, facts.severity, facts.customer_class)

    def choose_for(self, type_: str, severity: int, customer_class: str | None) -> Policy:
        for policy in self.policies:
            if policy.matches(type_, severity, customer_class):
                return policy
        raise AssertionError("unreachable: the fallback policy matches every ticket")

    def get(self, name: str) -> Policy | None:
        return next((p for p in self.policies if p.name == name), None)


# ----------------------------------------------------------------- loading


def load_policies(path: str | Path) -> PolicySet:
    """Read, check and resolve the policy file; PolicyError for anything wrong in it."""
    path = Path(path)
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{label}: no such policy file (the setting `[paths] sla` names it; "
                          "conf/sla.toml is shipped)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{label}: cannot read the policy file: {exc}") from None
    return parse_policies(text, label, base=path.resolve().parent)


def parse_policies(text: str, label: str = "<policies>", base: Path | None = None) -> PolicySet:
    """The policies in `text`; `base` is the folder relative paths start from."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{label}: not valid TOML: {exc}") from None
    return _Loader(label, base or Path.cwd()).load(data)


class _Loader:
    def __init__(self, label: str, base: Path) -> None:
        self.label = label
        self.base = base
        self._library: dict[str, BusinessCalendar] | None = None
        self._library_ir: dict[str, Any] = {}
        self._library_path = ""

    def fail(self, where: str, message: str, help: str = "") -> PolicyError:
        text = f"{self.label}: {where}: {message}" if where else f"{self.label}: {message}"
        return PolicyError(f"{text} ({help})" if help else text)

    def known(self, table: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                hint = did_you_mean(key, allowed) or f"known keys: {', '.join(allowed)}"
                raise self.fail(where, f"unknown key `{key}`", hint)

    # ------------------------------------------------------------ the file

    def load(self, data: dict[str, Any]) -> PolicySet:
        self.known(data, _TOP_KEYS, "")
        calendars = self.table(data, "calendars", "[calendars]")
        self.known(calendars, _CALENDAR_KEYS, "[calendars]")
        self.calendars = calendars
        self.zone_name = self.zone(calendars.get("timezone", DEFAULT_TIMEZONE),
                                   "[calendars] timezone")
        quiet = self.quiet(self.table(data, "notifications", "[notifications]"))
        defaults = self.table(data, "defaults", "[defaults]")
        self.known(defaults, _RULE_KEYS, "[defaults]")
        policies = self.table(data, "policies", "[policies]")
        if not policies:
            raise self.fail("[policies]", "no policies",
                            "add at least `[policies.standard]` with `fallback = true`")
        built = [self.policy(name, raw, defaults) for name, raw in policies.items()]
        fallbacks = [p.name for p in built if p.fallback]
        if len(fallbacks) != 1:
            raise self.fail("[policies]", f"{len(fallbacks)} fallback policies "
                            f"({', '.join(fallbacks) or 'none'})",
                            "exactly one policy says `fallback = true`: the one a ticket "
                            "gets when no other matches")
        ordered = sorted((p for p in built if not p.fallback), key=Policy.rank)
        ordered += [p for p in built if p.fallback]
        return PolicySet(self.label, tuple(ordered), quiet)

    def table(self, data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(where, "expected a table", f"write `[{key}]` on a line of its own")
        return value

    def zone(self, value: Any, where: str) -> str:
        try:
            get_zone(value)
        except (ValueError, TypeError, KeyError):
            import zoneinfo

            hint = did_you_mean(str(value), zoneinfo.available_timezones()) or \
                'an IANA zone such as "Asia/Shanghai"'
            raise self.fail(where, f"unknown time zone {value!r}", hint) from None
        return str(value)

    def quiet(self, table: dict[str, Any]) -> QuietHours | None:
        self.known(table, _NOTIFY_KEYS, "[notifications]")
        zone = self.zone(table.get("timezone", self.zone_name), "[notifications] timezone")
        spec = table.get("quiet_hours", "")
        if spec in ("", None):
            return None
        m = re.fullmatch(r"\s*(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s*", str(spec))
        start = _minutes(m.group(1)) if m else None
        end = _minutes(m.group(2)) if m else None
        if start is None or end is None or start == end:
            raise self.fail("[notifications] quiet_hours", f"bad quiet hours {spec!r}",
                            'write local times "HH:MM-HH:MM" such as "22:00-07:00", or "" '
                            "for none")
        return QuietHours(start, end, zone)

    # ------------------------------------------------------------ one policy

    def policy(self, name: str, raw: Any, defaults: Mapping[str, Any]) -> Policy:
        where = f"policy `{name}`"
        if not isinstance(raw, dict):
            raise self.fail(where, "expected a table", f"write `[policies.{name}]`")
        self.known(raw, _POLICY_KEYS, where)
        merged = {**defaults, **raw}
        fallback = self.boolean(merged.get("fallback", False), f"{where} fallback")
        types = self.words(raw.get("type", ()), f"{where} type")
        classes = self.words(raw.get("customer_class", ()), f"{where} customer_class")
        severities = self.severities(raw.get("severity", ()), f"{where} severity")
        if fallback and (types or classes or severities):
            raise self.fail(where, "a fallback policy matches every ticket",
                            "remove its type/severity/customer_class, or `fallback = true`")
        if not fallback and not (types or classes or severities):
            raise self.fail(where, "matches nothing",
                            "give `type`, `severity` or `customer_class`, or make it the "
                            "`fallback = true` policy")
        calendar, source, cal_version = self.calendar(merged, where)
        business = BusinessClock(calendar)
        day = _day_minutes(calendar)
        clocks = []
        for clock in CLOCK_NAMES:
            if clock in merged and merged[clock] not in ("", None, False):
                minutes = self.duration(merged[clock], day, f"{where} {clock}", calendar.name)
                clocks.append(ClockRule(clock, minutes, str(merged[clock])))
        if not clocks:
            raise self.fail(where, "no clocks", 'give `resolve = "4h"` (and `first_response`, '
                            "`update`) here or under [defaults]")
        warn = merged.get("warn_percent", 80)
        if isinstance(warn, bool) or not isinstance(warn, int) or not 1 <= warn <= 99:
            raise self.fail(f"{where} warn_percent", f"{warn!r} is not a percentage",
                            "a whole number 1..99, such as 80")
        reopen = merged.get("reopen", "resume")
        if reopen not in REOPEN_RULES:
            raise self.fail(f"{where} reopen", f"unknown reopen rule {reopen!r}",
                            did_you_mean(str(reopen), REOPEN_RULES, '"{}"')
                            or 'write "new_cycle" or "resume"')
        on_warning = self.actions(merged.get("on_warning", ["notify"]), f"{where} on_warning")
        on_breach = self.actions(merged.get("on_breach", ["notify"]), f"{where} on_breach")
        urgent = self.boolean(merged.get("urgent", False), f"{where} urgent")
        content = {
            "name": name, "type": types, "severity": severities, "customer_class": classes,
            "fallback": fallback, "calendar": calendar.name, "timezone": calendar.timezone,
            "clocks": [[c.clock, c.minutes] for c in clocks], "warn_percent": warn,
            "reopen": reopen, "on_warning": on_warning, "on_breach": on_breach,
            "urgent": urgent,
        }
        return Policy(name, types, severities, classes, fallback, calendar.name, tuple(clocks),
                      warn, reopen, on_warning, on_breach, urgent, short_hash(content),
                      cal_version, calendar, business, source)

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"{value!r} is not true or false", "write true or false")
        return value

    def words(self, value: Any, where: str) -> tuple[str, ...]:
        items = list(value) if isinstance(value, list | tuple) else [value]
        if not all(isinstance(v, str) and re.fullmatch(r"[a-z_][a-z0-9_]*", v) for v in items):
            raise self.fail(where, f"{value!r}: expected a name or a list of names",
                            'such as "repair" or ["emergency", "leak_report"]')
        return tuple(items)

    def severities(self, value: Any, where: str) -> tuple[int, ...]:
        items = list(value) if isinstance(value, list | tuple) else [value]
        if not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4
                   for v in items):
            raise self.fail(where, f"{value!r}: expected a severity 1..4 or a list of them",
                            "such as 2 or [1, 2]")
        return tuple(items)

    def actions(self, value: Any, where: str) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        for item in items:
            word, _, team = str(item).partition(":")
            if not isinstance(item, str) or word not in ACTION_WORDS:
                hint = did_you_mean(word, ACTION_WORDS, '"{}"') or \
                    'actions are "notify", "raise_severity" and "reassign:TEAM"'
                raise self.fail(where, f"unknown action {item!r}", hint)
            if word == "reassign" and not _TEAM.fullmatch(team):
                raise self.fail(where, f"{item!r} names no team", 'write "reassign:TEAM", '
                                'such as "reassign:emergency_crew"')
            if word != "reassign" and team:
                raise self.fail(where, f"{item!r}: `{word}` takes no argument", f'write "{word}"')
        return tuple(items)

    def duration(self, value: Any, day: int, where: str, calendar: str) -> int:
        text = str(value).strip()
        m = _DURATION.fullmatch(text) if isinstance(value, str) else None
        if not m or not any(m.groups()):
            if isinstance(value, str) and re.fullmatch(r"\d+d", text):
                n = int(text[:-1])
                raise self.fail(where, f"{text!r}: `d` is ambiguous",
                                f'write "{n}bd" for {n} business days of calendar '
                                f'`{calendar}` ({n * day // 60} h of open time), '
                                f'or "{n * 24}h" for that many business hours')
            raise self.fail(where, f"{value!r} is not a duration",
                            'business time such as "30m", "2h", "1h30m" or "3bd" '
                            "(business days)")
        bd, hours, minutes = (int(g) if g else 0 for g in m.groups())
        total = bd * day + hours * 60 + minutes
        if total <= 0:
            raise self.fail(where, f"{text!r} is no time at all", 'such as "2h"')
        return total

    # ------------------------------------------------------------ calendars

    def calendar(self, merged: Mapping[str, Any], where: str) -> tuple[DayCalendar, str, str]:
        name = merged.get("calendar", "office")
        if not isinstance(name, str):
            raise self.fail(f"{where} calendar", f"{name!r} is not a calendar name",
                            'such as "office" or "24x7"')
        if name == ALWAYS_OPEN:
            zone = self.zone(merged.get("timezone", self.zone_name), f"{where} timezone")
            return AlwaysOpen(zone), "built in", short_hash({"calendar": ALWAYS_OPEN,
                                                             "timezone": zone})
        if "timezone" in merged:
            raise self.fail(f"{where} timezone", "only a `24x7` calendar takes a zone here",
                            "a library calendar is in `[calendars] timezone`")
        calendars = self.library()
        if name not in calendars:
            hint = did_you_mean(name, [*calendars, ALWAYS_OPEN]) or \
                f"known: {', '.join([*sorted(calendars), ALWAYS_OPEN])}"
            raise self.fail(f"{where} calendar", f"unknown calendar `{name}` "
                            f"(not in {self._library_path})", hint)
        cal = calendars[name]
        identity = {"calendar": name, "timezone": cal.timezone, "ir": self._library_ir[name],
                    "tables": sorted(_table_identity(t.table.name)
                                     for t in cal.public)}
        return cal, self._library_path, short_hash(identity)

    def library(self) -> dict[str, BusinessCalendar]:
        """The named calendars of the library file, compiled once per policy file."""
        if self._library is not None:
            return self._library
        from ivrlang import check_file, compile_flow

        raw = self.calendars.get("library", DEFAULT_LIBRARY)
        path = self.resolve(raw)
        self._library_path = str(raw)
        if not path.is_file():
            raise self.fail("[calendars] library", f"no such flow library {str(raw)!r} "
                            f"(looked for {path})", "paths here are relative to the policy "
                            'file: the shipped one says "../flows/common.flow"')
        catalog = self.catalog(path)
        checked = check_file(path, catalog)
        errors = [d for d in checked.diagnostics if d.is_error]
        if checked.flow is None or errors:
            first = errors[0] if errors else None
            detail = (f"{first.span.file}:{first.span.line}: {first.message}" if first
                      else "it does not parse")
            raise self.fail("[calendars] library", f"{raw} has errors: {detail}",
                            f"run `switchflow check {raw}`")
        ir = compile_flow(checked.flow, catalog)
        self._library_ir = ir.get("calendars") or {}
        self._library = {name: BusinessCalendar.from_ir(name, cal, self.zone_name)
                         for name, cal in self._library_ir.items()}
        return self._library

    def catalog(self, library: Path) -> Any:
        from engine.calendars.public import public_calendars
        from engine.catalog import CatalogError, load_catalog
        from ivrlang.catalog import Catalog

        raw = self.calendars.get("catalog")
        path = self.resolve(raw) if raw else library.with_name("catalog.toml")
        if raw or path.is_file():
            try:
                catalog = load_catalog(path)
            except CatalogError as exc:
                raise self.fail("[calendars] catalog", str(exc),
                                "the catalogue the library's subs are checked against") \
                    from None
        else:
            catalog = Catalog()
        catalog.public_calendars = public_calendars()
        return catalog

    def resolve(self, raw: Any) -> Path:
        path = Path(str(raw))
        return path if path.is_absolute() else (self.base / path)


# ----------------------------------------------------------------- helpers


def short_hash(content: Any) -> str:
    """A short, stable hash of JSON-able content (sorted keys): a version to record."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def _table_identity(table: str) -> str:
    """Which public-holiday table, from which package version: a new release changes it."""
    try:
        import holidays

        version = getattr(holidays, "__version__", "?")
    except ImportError:
        version = "not installed"
    country = TABLES.get(table, (table, ""))[0]
    return f"{table}={country}@holidays {version}"


def _day_minutes(calendar: DayCalendar) -> int:
    """A business day's length on `calendar`: its ordinary working day's open minutes."""
    if isinstance(calendar, AlwaysOpen):
        return 1440
    hours = getattr(calendar, "workday_hours", ()) or ()
    return sum(b - a for a, b in hours) or 1440


def _minutes(text: str) -> int | None:
    m = _HHMM.fullmatch(text)
    if not m:
        return None
    value = int(m.group(1)) * 60 + int(m.group(2))
    return value if value <= 1440 else None


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
