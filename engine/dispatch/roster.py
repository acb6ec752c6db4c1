"""The crew roster: who is in which team, their phone, their on-duty hours, in call order.

conf/crew.toml (settings [dispatch] crew), read when serve starts:

    timezone = "Asia/Shanghai"          # on-duty hours are local to it
    [[teams.north_repair]]              # one entry per crew member, in call order
    id = "wang.wei"
    name = "王伟"
    phone = "13900000011"
    hours = "mon-fri 08:00-20:00"       # days and local time ranges, as in a flow's `hours`

Hours are days (`mon`, `mon-fri`, `fri-mon`, `daily`) and time ranges;
several parts are comma-separated (`mon-fri 08:00-20:00, sat 09:00-12:00`);
a night shift is two ranges (`daily 00:00-08:00 20:00-24:00`). Mistakes are
one-line `RosterError`s naming the file and the entry.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ivrlang.timespec import DAY_NAMES, expand_days, parse_time_range

_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_TEAM = re.compile(r"[A-Za-z0-9_-]{1,100}")
_PHONE = re.compile(r"\+?[0-9]{3,20}")


class RosterError(ValueError):
    """The roster file is wrong; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class CrewMember:
    """One crew member as the dispatcher calls them."""

    id: str                 # who accepts: the ticket's assignee and audit's `who`
    name: str               # as spoken and shown
    phone: str              # digits, dialled through [dial] number
    team: str
    hours: tuple[tuple[str, int, int], ...]   # (weekday, start minute, end minute), local
    hours_text: str = ""                      # as the roster writes them

    def on_duty(self, local: dt.datetime) -> bool:
        """True when `local` (aware or naive local time) falls in one of the shifts."""
        day = DAY_NAMES[local.weekday()]
        minute = local.hour * 60 + local.minute
        return any(d == day and start <= minute < end for d, start, end in self.hours)


@dataclass(frozen=True)
class Roster:
    """Teams of crew members, in the order they are called; hours local to `zone`."""

    teams: dict[str, tuple[CrewMember, ...]]
    zone: str = "Asia/Shanghai"

    def on_duty(self, team: str, now: dt.datetime) -> list[CrewMember]:
        """The team's members on duty at `now` (aware), in call order."""
        local = now.astimezone(ZoneInfo(self.zone))
        return [m for m in self.teams.get(team, ()) if m.on_duty(local)]

    def member(self, crew_id: str) -> CrewMember | None:
        for members in self.teams.values():
            for m in members:
                if m.id == crew_id:
                    return m
        return None


def parse_hours(text: str) -> tuple[tuple[str, int, int], ...]:
    """`mon-fri 08:00-20:00, sat 09:00-12:00` -> shifts; ValueError says what is wrong."""
    out: list[tuple[str, int, int]] = []
    for part in text.split(","):
        words = part.split()
        if len(words) < 2:
            raise ValueError(f"`{part.strip()}` needs days and at least one time range "
                             "(`mon-fri 08:00-20:00`)")
        days = expand_days(words[0])
        for rng in words[1:]:
            if not re.fullmatch(r"\d\d:\d\d-\d\d:\d\d", rng):
                raise ValueError(f"`{rng}` is not a time range such as 08:00-20:00")
            start, end = parse_time_range(rng)
            out.extend((day, start, end) for day in days)
    return tuple(out)


def parse_roster(text: str, label: str = "<crew>", zone: str = "Asia/Shanghai") -> Roster:
    """The roster in TOML `text`; `zone` when the file names none."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RosterError(f"{label}: not TOML: {exc}") from None
    zone = data.get("timezone", zone)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise RosterError(f"{label}: timezone = {zone!r} is not an IANA time zone such as "
                          '"Asia/Shanghai"') from None
    unknown = set(data) - {"timezone", "teams"}
    if unknown:
        raise RosterError(f"{label}: unknown key {sorted(unknown)[0]!r}: the file holds "
                          "`timezone` and [[teams.NAME]] entries")
    teams: dict[str, tuple[CrewMember, ...]] = {}
    seen: set[str] = set()
    for team, entries in (data.get("teams") or {}).items():
        if not _TEAM.fullmatch(team):
            raise RosterError(f"{label}: teams.{team}: a team name is letters, digits, _ and -")
        if not isinstance(entries, list):
            raise RosterError(f"{label}: teams.{team}: write each member as [[teams.{team}]]")
        members = []
        for n, entry in enumerate(entries, 1):
            members.append(_member(entry, team, f"{label}: teams.{team} entry {n}", seen))
        teams[team] = tuple(members)
    return Roster(teams, zone)


def _member(entry: Any, team: str, where: str, seen: set[str]) -> CrewMember:
    if not isinstance(entry, dict):
        raise RosterError(f"{where}: expected a table with id, name, phone and hours")
    unknown = set(entry) - {"id", "name", "phone", "hours"}
    if unknown:
        raise RosterError(f"{where}: unknown key {sorted(unknown)[0]!r} (id, name, phone, hours)")
    for key in ("id", "name", "phone", "hours"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise RosterError(f"{where}: `{key}` is missing or not text")
    if not _ID.fullmatch(entry["id"]):
        raise RosterError(f"{where}: id {entry['id']!r} is not letters, digits and _ . -")
    if entry["id"] in seen:
        raise RosterError(f"{where}: id {entry['id']!r} is listed twice; a member is in one "
                          "team")
    seen.add(entry["id"])
    if not _PHONE.fullmatch(entry["phone"]):
        raise RosterError(f"{where}: phone {entry['phone']!r} is not digits (optionally +)")
    if re.search(r"[\x00-\x1f\x7f]", entry["name"]) or len(entry["name"]) > 100:
        raise RosterError(f"{where}: name must be at most 100 printable characters")
    try:
        hours = parse_hours(entry["hours"])
    except ValueError as exc:
        raise RosterError(f"{where}: hours {entry['hours']!r}: {exc}") from None
    return CrewMember(entry["id"], entry["name"].strip(), entry["phone"], team, hours,
                      " ".join(entry["hours"].split()))


def load_roster(path: str | Path, zone: str = "Asia/Shanghai") -> Roster:
    """Read the roster file; RosterError when it is missing or wrong."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RosterError(f"{file}: cannot read the crew roster: {exc.strerror or exc} "
                          "(settings [dispatch] crew)") from None
    return parse_roster(text, str(file), zone)
