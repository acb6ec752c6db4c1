"""One campaign, put together: the flow's `campaign` block, conf/campaigns.toml, settings.

The flow says what to call and how politely (targets, window, rate,
concurrency, retry, caller ID, the node an answered call starts at); the
operator's conf/campaigns.toml says how it is worked (mode, abandon cap,
connect threshold, whether consent is needed, which trunk); settings
[campaigns] hold the rules no campaign can override (quiet hours, overall
caps, retry defaults).

conf/campaigns.toml:

    [campaign.dunning_large]
    mode = "preview"            # automatic | preview | progressive | predictive
    abandon_cap = "3%"          # predictive: abandoned / answered calls
    connect_threshold = "2s"    # answer to agent, else abandoned
    abandon_message = "campaign_abandon"   # prompt key played then
    consent_needed = false      # true: only customers who consented to consent_type calls
    consent_type = "market_research"
    trunk = "pstn"
    queue = "large_accounts"    # progressive/predictive: whose free agents to dial for

    [trunk.pstn]
    rate = 30                   # calls per second on this trunk
    concurrency = 300
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.campaigns.policy import CallingWindow, QuietHours, RetryPolicy
from engine.campaigns.ports import Mode, Outcome
from engine.campaigns.predictive import DEFAULT_CAP, DEFAULT_CONNECT_S
from ivrlang.timespec import parse_duration

_OPTION_KEYS = {"mode", "abandon_cap", "connect_threshold", "abandon_message",
                "consent_needed", "consent_type", "trunk", "ring_timeout", "queue"}
_TRUNK_KEYS = {"rate", "concurrency"}
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class CampaignConfigError(ValueError):
    """A campaign cannot be set up; the message names the file, key and fix."""


@dataclass(frozen=True)
class CampaignOptions:
    """How a campaign is worked (conf/campaigns.toml [campaign.NAME])."""

    mode: Mode = Mode.AUTOMATIC
    abandon_cap: float = DEFAULT_CAP
    connect_threshold_s: float = DEFAULT_CONNECT_S
    abandon_message: str = "campaign_abandon"
    consent_needed: bool = False
    trunk: str = ""
    ring_timeout_s: float | None = None
    queue: str = ""              # progressive/predictive: the flow's queue its agents are in
    consent_type: str = ""       # the kind of call consent is given for (store: consent)


@dataclass(frozen=True)
class TrunkCaps:
    rate: float | None = None
    concurrency: int | None = None


@dataclass(frozen=True)
class CampaignsFile:
    campaigns: Mapping[str, CampaignOptions] = field(default_factory=dict)
    trunks: Mapping[str, TrunkCaps] = field(default_factory=dict)

    def options(self, name: str) -> CampaignOptions:
        return self.campaigns.get(name, CampaignOptions())


def load_campaigns_file(path: Path | str) -> CampaignsFile:
    """Read conf/campaigns.toml; a missing file means every campaign's defaults."""
    path = Path(path)
    if not path.is_file():
        return CampaignsFile()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CampaignConfigError(f"{path}: {exc}") from None
    unknown = set(data) - {"campaign", "trunk"}
    if unknown:
        raise CampaignConfigError(f"{path}: unknown table [{sorted(unknown)[0]}]; the tables "
                                  "are [campaign.NAME] and [trunk.NAME]")
    campaigns = {name: _options(path, name, table)
                 for name, table in (data.get("campaign") or {}).items()}
    trunks = {}
    for name, table in (data.get("trunk") or {}).items():
        bad = set(table) - _TRUNK_KEYS
        if bad:
            raise CampaignConfigError(f"{path}: [trunk.{name}] {sorted(bad)[0]}: not a key "
                                      "(rate, concurrency)")
        trunks[name] = TrunkCaps(_number(path, f"trunk.{name}.rate", table.get("rate")),
                                 _count(path, f"trunk.{name}.concurrency",
                                        table.get("concurrency")))
    return CampaignsFile(campaigns, trunks)


def _options(path: Path, name: str, table: Mapping[str, Any]) -> CampaignOptions:
    where = f"{path}: [campaign.{name}]"
    bad = set(table) - _OPTION_KEYS
    if bad:
        raise CampaignConfigError(f"{where} {sorted(bad)[0]}: not a key ("
                                  + ", ".join(sorted(_OPTION_KEYS)) + ")")
    try:
        mode = Mode(table.get("mode", "automatic"))
    except ValueError:
        raise CampaignConfigError(f"{where} mode = {table.get('mode')!r}: expected one of "
                                  + ", ".join(m.value for m in Mode)) from None
    cap = table.get("abandon_cap", "3%")
    if not (isinstance(cap, str) and re.fullmatch(r"\d{1,2}(\.\d+)?%", cap)) \
            or not 0 < float(cap[:-1]) <= 20:
        raise CampaignConfigError(f"{where} abandon_cap = {cap!r}: expected a percentage "
                                  'such as "3%" (above 0, at most 20%)')
    trunk = table.get("trunk", "")
    if not isinstance(trunk, str) or (trunk and not _NAME.fullmatch(trunk)):
        raise CampaignConfigError(f"{where} trunk = {trunk!r}: expected a trunk name")
    consent = table.get("consent_needed", False)
    if not isinstance(consent, bool):
        raise CampaignConfigError(f"{where} consent_needed: expected true or false")
    message = table.get("abandon_message", "campaign_abandon")
    if not isinstance(message, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", message):
        raise CampaignConfigError(f"{where} abandon_message = {message!r}: expected a prompt key")
    queue = table.get("queue", "")
    if not isinstance(queue, str) or (queue and not re.fullmatch(
            r"[a-z_][a-z0-9_]*(/[a-z_][a-z0-9_]*)?", queue)):
        raise CampaignConfigError(f"{where} queue = {queue!r}: expected a flow's queue name "
                                  "(settings [queues])")
    if mode in (Mode.PROGRESSIVE, Mode.PREDICTIVE) and not queue:
        raise CampaignConfigError(f"{where}: mode {mode} needs `queue`, the queue (settings "
                                  "[queues]) whose free agents the calls are placed for")
    kind = table.get("consent_type", "market_research" if consent else "")
    if not isinstance(kind, str) or (kind and not re.fullmatch(r"[a-z_][a-z0-9_]{0,39}", kind)):
        raise CampaignConfigError(f"{where} consent_type = {kind!r}: expected a word such as "
                                  '"market_research"')
    return CampaignOptions(mode, float(cap[:-1]) / 100,
                           _seconds(where, "connect_threshold",
                                    table.get("connect_threshold", "2s")) or DEFAULT_CONNECT_S,
                           message, consent, trunk,
                           _seconds(where, "ring_timeout", table.get("ring_timeout")), queue,
                           kind if consent else "")


def _seconds(where: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    ms = parse_duration(value) if isinstance(value, str) else None
    if ms is None or ms <= 0:
        raise CampaignConfigError(f"{where} {key} = {value!r}: expected a duration such as \"2s\"")
    return ms / 1000


def _number(path: Path, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise CampaignConfigError(f"{path}: {key} = {value!r}: expected calls per second (>= 0)")
    return float(value)


def _count(path: Path, key: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CampaignConfigError(f"{path}: {key} = {value!r}: expected a whole number >= 0")
    return value


@dataclass(frozen=True)
class CampaignConfig:
    """Everything the dialler needs to know about one campaign."""

    name: str
    flow: str
    mode: Mode
    caller_id: str
    rate: float                  # calls per second
    concurrency: int
    window: CallingWindow
    retry: RetryPolicy
    on_answer: str
    on_machine: str = ""
    trunk: str = ""
    abandon_cap: float = DEFAULT_CAP
    connect_threshold_s: float = DEFAULT_CONNECT_S
    abandon_message: str = "campaign_abandon"
    consent_needed: bool = False
    ring_timeout_s: float = 30.0
    lease_s: float = 120.0
    consent_type: str = ""
    timezone: str = "Asia/Shanghai"   # the flow's: targets without one of their own

    @classmethod
    def from_ir(cls, ir: Mapping[str, Any], name: str, options: CampaignOptions | None = None,
                settings: Any = None) -> CampaignConfig:
        """From a compiled flow's `campaigns[name]`; `settings` is engine.settings'
        CampaignSettings (None: the shipped defaults)."""
        campaigns = ir.get("campaigns") or {}
        if name not in campaigns:
            raise CampaignConfigError(
                f"flow `{ir.get('flow')}` ({ir.get('source', '?')}) has no campaign `{name}`"
                + (f"; it has {', '.join(sorted(campaigns))}" if campaigns else ""))
        c = campaigns[name]
        o = options or CampaignOptions()
        s = settings
        quiet = QuietHours.parse(s.quiet_hours if s is not None else "21:00-08:00")
        defaults = {} if s is None else {
            Outcome.BUSY: s.retry_busy / 1000, Outcome.NO_ANSWER: s.retry_no_answer / 1000,
            Outcome.REJECTED: s.retry_rejected / 1000, Outcome.NETWORK: s.retry_network / 1000,
            Outcome.MACHINE: s.retry_machine / 1000}
        retry = RetryPolicy.from_ir(
            c.get("retry"), defaults=defaults,
            max_per_number=s.max_per_number if s is not None else 3,
            abandon_lockout=s.abandon_lockout / 1000 if s is not None else 86400.0)
        try:
            window = CallingWindow(c.get("window"), ir.get("calendars") or {}, quiet,
                                   name=f"campaign `{name}` window")
        except ValueError as exc:
            raise CampaignConfigError(f"{ir.get('source', '?')}:{c.get('line', '?')}: {exc}") \
                from None
        rate = c.get("rate")
        per_s = rate["count"] * 1000 / rate["per_ms"] if rate else 1.0
        on = c.get("on") or {}
        if "answer" not in on:
            raise CampaignConfigError(f"{ir.get('source', '?')}:{c.get('line', '?')}: campaign "
                                      f"`{name}` has no `on answer -> NODE`")
        ring = o.ring_timeout_s or (s.ring_timeout / 1000 if s is not None else 30.0)
        lease = max(s.lease / 1000 if s is not None else 120.0, ring + 60)
        return cls(name, ir["flow"], o.mode, c.get("caller_id") or "", per_s,
                   int(c.get("concurrency") or 1), window, retry, on["answer"],
                   on.get("machine", ""), o.trunk, o.abandon_cap, o.connect_threshold_s,
                   o.abandon_message, o.consent_needed, ring, lease,
                   consent_type=o.consent_type,
                   timezone=ir.get("timezone") or "Asia/Shanghai")


def find_campaign(flows: Mapping[str, Mapping[str, Any]], name: str) -> Mapping[str, Any]:
    """The compiled flow that declares campaign `name`; CampaignConfigError names the known ones."""
    for ir in flows.values():
        if name in (ir.get("campaigns") or {}):
            return ir
    known = sorted(c for ir in flows.values() for c in (ir.get("campaigns") or {}))
    from ivrlang.suggest import did_you_mean

    hint = did_you_mean(name, known)
    raise CampaignConfigError(f"no flow declares campaign `{name}`"
                              + (f"; {hint}" if hint else "")
                              + (f" (campaigns: {', '.join(known)})" if known else ""))
