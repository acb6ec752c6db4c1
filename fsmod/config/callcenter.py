"""mod_callcenter's queue options, agents and tiers: the file `[paths] callcenter` names.

Which queues exist is the settings' business ([queues]: a flow's queue ->
"NAME@DOMAIN"); this file says how each behaves (strategy, hold music,
limits) and who answers (agents, tiers). Every key is checked here so a
typo is an error naming the file and the entry, not a silently ignored
option in FreeSWITCH.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fsmod.config.values import RenderError, literal
from ivrlang.suggest import did_you_mean
from ivrlang.timespec import parse_duration

STRATEGIES = ("ring-all", "longest-idle-agent", "round-robin", "top-down",
              "agent-with-least-talk-time", "agent-with-fewest-calls",
              "sequentially-by-agent-order", "random", "ring-progressively")
STATUSES = ("Logged Out", "Available", "Available (On Demand)", "On Break")

# option -> (mod_callcenter param, kind); kinds: strategy, sound, seconds, bool
QUEUE_OPTIONS: dict[str, tuple[str, str]] = {
    "strategy": ("strategy", "strategy"),
    "moh_sound": ("moh-sound", "sound"),
    "max_wait_time": ("max-wait-time", "seconds"),
    "max_wait_time_with_no_agent": ("max-wait-time-with-no-agent", "seconds"),
    "max_wait_time_with_no_agent_time_reached":
        ("max-wait-time-with-no-agent-time-reached", "seconds"),
    "tier_rules_apply": ("tier-rules-apply", "bool"),
    "tier_rule_wait_second": ("tier-rule-wait-second", "seconds"),
    "tier_rule_wait_multiply_level": ("tier-rule-wait-multiply-level", "bool"),
    "tier_rule_no_agent_no_wait": ("tier-rule-no-agent-no-wait", "bool"),
    "discard_abandoned_after": ("discard-abandoned-after", "seconds"),
    "abandoned_resume_allowed": ("abandoned-resume-allowed", "bool"),
}
BUILT_IN_DEFAULTS: dict[str, Any] = {
    "strategy": "longest-idle-agent", "moh_sound": "local_stream://moh",
    "max_wait_time": "0s", "max_wait_time_with_no_agent": "0s",
    "max_wait_time_with_no_agent_time_reached": "5s", "tier_rules_apply": False,
    "tier_rule_wait_second": "5m", "tier_rule_wait_multiply_level": True,
    "tier_rule_no_agent_no_wait": False, "discard_abandoned_after": "1m",
    "abandoned_resume_allowed": False,
}
AGENT_KEYS = ("name", "contact", "status", "max_no_answer", "wrap_up_time",
              "reject_delay_time", "busy_delay_time", "no_answer_delay_time")
TIER_KEYS = ("agent", "queue", "level", "position")

_CC_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}@[A-Za-z0-9_.-]{1,128}")
_SOUND = re.compile(r"(local_stream://[A-Za-z0-9_.-]+|silence_stream://-?\d{1,7}"
                    r"|tone_stream://[0-9%(),;=a-z.-]+|/?[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*)")
_CONTACT = re.compile(r"[A-Za-z0-9_./@:+=,\[\]{}-]{1,256}")


@dataclass(frozen=True)
class Param:
    name: str   # mod_callcenter's param name
    value: str  # as written into the XML


@dataclass(frozen=True)
class Agent:
    name: str
    contact: str
    status: str
    max_no_answer: int
    wrap_up_time: int       # seconds
    reject_delay_time: int
    busy_delay_time: int
    no_answer_delay_time: int


@dataclass(frozen=True)
class Tier:
    agent: str
    queue: str  # as written in the file: a flow's queue or a mod_callcenter queue
    level: int
    position: int


@dataclass(frozen=True)
class CallcenterFile:
    defaults: Mapping[str, Any]                 # option -> value (TOML-typed)
    per_queue: Mapping[str, Mapping[str, Any]]  # "NAME@DOMAIN" or flow queue -> options
    agents: tuple[Agent, ...]
    tiers: tuple[Tier, ...]
    path: str

    def params(self, queue: str, flow_keys: tuple[str, ...] = ()) -> tuple[Param, ...]:
        """The queue's params: defaults, then [queue."NAME@DOMAIN"] (or a flow's queue key)."""
        options = dict(self.defaults)
        for key in (*flow_keys, queue):
            options.update(self.per_queue.get(key, {}))
        out = []
        for option, (param, kind) in QUEUE_OPTIONS.items():
            out.append(Param(param, _param_value(f"{self.path}: {option}", kind,
                                                 options[option])))
        return tuple(out)


def _param_value(where: str, kind: str, value: Any) -> str:
    if kind == "bool":
        if not isinstance(value, bool):
            raise RenderError(f"{where} = {value!r}: expected true or false")
        return "true" if value else "false"
    if kind == "seconds":
        ms = parse_duration(value) if isinstance(value, str) else None
        if ms is None or ms % 1000 or not 0 <= ms <= 86_400_000:
            raise RenderError(f"{where} = {value!r}: expected whole seconds such as \"30s\" "
                              "or \"5m\" (0s..24h)")
        return str(ms // 1000)
    if kind == "strategy":
        if value not in STRATEGIES:
            hint = did_you_mean(str(value), STRATEGIES, '"{}"')
            raise RenderError(f"{where} = {value!r}: not a mod_callcenter strategy"
                              + (f"; {hint}" if hint else "; one of " + ", ".join(STRATEGIES)))
        return value
    if not isinstance(value, str) or not _SOUND.fullmatch(value):
        raise RenderError(f"{where} = {value!r}: expected a sound such as "
                          "\"local_stream://moh\", \"silence_stream://-1\" or a file path")
    return literal(where, value)


def _seconds(where: str, value: Any) -> int:
    return int(_param_value(where, "seconds", value))


def _whole(where: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise RenderError(f"{where} = {value!r}: expected a whole number {lo}..{hi}")
    return value


def _unknown(where: str, table: Mapping[str, Any], known: tuple[str, ...]) -> None:
    for key in table:
        if key not in known:
            hint = did_you_mean(key, known)
            raise RenderError(f"{where}: unknown key `{key}`"
                              + (f"; {hint}" if hint else "; keys are " + ", ".join(known)))


def load_callcenter(path: Path) -> CallcenterFile:
    """Read and check the file; RenderError names the file and the entry at fault."""
    label = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RenderError(f"{label}: no such file (the agents and tiers file, "
                          "`[paths] callcenter` in the settings)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RenderError(f"{label}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RenderError(f"{label}: not valid TOML: {exc}") from None
    _unknown(label, data, ("defaults", "queue", "agent", "tier"))
    defaults = dict(BUILT_IN_DEFAULTS)
    given = data.get("defaults", {})
    _unknown(f"{label}: [defaults]", given, tuple(QUEUE_OPTIONS))
    defaults.update(given)
    for option, (_, kind) in QUEUE_OPTIONS.items():
        _param_value(f"{label}: defaults.{option}", kind, defaults[option])
    per_queue: dict[str, dict[str, Any]] = {}
    for name, options in data.get("queue", {}).items():
        where = f"{label}: [queue.\"{name}\"]"
        if not isinstance(options, dict):
            raise RenderError(f"{where}: must be a table of options")
        _unknown(where, options, tuple(QUEUE_OPTIONS))
        for option, value in options.items():
            _param_value(f"{where} {option}", QUEUE_OPTIONS[option][1], value)
        per_queue[name] = dict(options)
    agents = tuple(_agent(label, i, a) for i, a in enumerate(_list(label, data, "agent")))
    seen: set[str] = set()
    for agent in agents:
        if agent.name in seen:
            raise RenderError(f"{label}: agent {agent.name} is listed twice")
        seen.add(agent.name)
    tiers = tuple(_tier(label, i, t, seen) for i, t in enumerate(_list(label, data, "tier")))
    return CallcenterFile(defaults, per_queue, agents, tiers, label)


def _list(label: str, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise RenderError(f"{label}: `{key}` must be written as [[{key}]] tables")
    return items


def _agent(label: str, i: int, a: Mapping[str, Any]) -> Agent:
    where = f"{label}: agent #{i + 1}"
    _unknown(where, a, AGENT_KEYS)
    name = a.get("name")
    if not isinstance(name, str) or not _CC_NAME.fullmatch(name):
        raise RenderError(f"{where}: name = {name!r}: expected NAME@DOMAIN such as "
                          "\"1001@default\"")
    where = f"{label}: agent {name}"
    contact = a.get("contact")
    if not isinstance(contact, str) or not _CONTACT.fullmatch(contact):
        raise RenderError(f"{where}: contact = {contact!r}: expected a dial string such as "
                          "\"user/1001\" (no spaces, quotes or `$`)")
    status = a.get("status", "Logged Out")
    if status not in STATUSES:
        raise RenderError(f"{where}: status = {status!r}: one of "
                          + ", ".join(f'"{s}"' for s in STATUSES))
    return Agent(name, contact, status,
                 _whole(f"{where}: max_no_answer", a.get("max_no_answer", 3), 0, 100),
                 _seconds(f"{where}: wrap_up_time", a.get("wrap_up_time", "10s")),
                 _seconds(f"{where}: reject_delay_time", a.get("reject_delay_time", "10s")),
                 _seconds(f"{where}: busy_delay_time", a.get("busy_delay_time", "1m")),
                 _seconds(f"{where}: no_answer_delay_time",
                          a.get("no_answer_delay_time", "10s")))


def _tier(label: str, i: int, t: Mapping[str, Any], agents: set[str]) -> Tier:
    where = f"{label}: tier #{i + 1}"
    _unknown(where, t, TIER_KEYS)
    agent, queue = t.get("agent"), t.get("queue")
    if agent not in agents:
        hint = did_you_mean(str(agent), agents)
        raise RenderError(f"{where}: agent {agent!r} is not one of the [[agent]] entries"
                          + (f"; {hint}" if hint else ""))
    if not isinstance(queue, str) or not re.fullmatch(r"[A-Za-z0-9_./@-]{1,128}", queue):
        raise RenderError(f"{where}: queue = {queue!r}: expected a flow's queue such as "
                          "\"general\" or a mod_callcenter queue \"NAME@DOMAIN\"")
    return Tier(agent, queue, _whole(f"{where}: level", t.get("level", 1), 0, 100),
                _whole(f"{where}: position", t.get("position", 1), 0, 1000))
