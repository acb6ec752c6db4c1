"""switchflow's settings: one TOML file, overridable by environment variables.

Layers, later ones winning: the defaults in the schema below (the same values
are shipped, commented, in conf/switchflow.toml, and a test keeps the two
equal), then conf/switchflow.toml itself if present, then the user's file
(the `path` given, else $SWITCHFLOW_CONFIG), then variables named
`SWITCHFLOW_<SECTION>_<KEY>` (`SWITCHFLOW_ENGINE_MAX_STEPS=500`). The database
URL has a short name as well, `SWITCHFLOW_DB` (the same as
`SWITCHFLOW_STORE_URL`; setting both is an error).

The schema is data: each key declares its kind, bounds and what a good
value looks like, so every bad value gives the same kind of one-line
`SettingsError` (`x.toml: engine.max_steps = "abc": expected a whole number
10..1000000`) instead of a traceback from deep inside the engine.
Relative paths in [paths] are relative to the current directory.

[nodes] is a table too: FreeSWITCH node name -> host, empty for one node
([esl] host). [outbound], [freeswitch], [trunk], [kamailio] and [nodes] are
what `switchflow conf render` writes into FreeSWITCH's and Kamailio's
configuration (fsmod.config); `[paths] callcenter` names mod_callcenter's
agents and tiers, `[paths] sounds` where `switchflow prompts build` writes.

[queues] is a table whose keys are the flows' own: each queue a flow names
(`queue general`, or `queue business: skill accounts` as "business/accounts")
maps to a mod_callcenter queue. A user's file adds or replaces entries one by
one; it is set in files only, since its keys are not environment names.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from engine.calendars.clock import get_zone
from ivrlang.catalogfile import toml_spelling
from ivrlang.suggest import did_you_mean
from ivrlang.timespec import format_duration, parse_duration, parse_local_datetime

DEFAULTS_PATH = Path(__file__).resolve().parent.parent / "conf" / "switchflow.toml"
ENV_PREFIX = "SWITCHFLOW_"
CONFIG_ENV = "SWITCHFLOW_CONFIG"
# short names for settings set often from the environment: name -> (section, key)
ENV_ALIASES = {"SWITCHFLOW_DB": ("store", "url")}
DEMO_ESL_PASSWORD = "ClueCon"  # FreeSWITCH's stock event-socket password


class SettingsError(Exception):
    """A settings problem, worded for the operator: where, which key, what was wrong."""


# ----------------------------------------------------------------- the sections


@dataclass(frozen=True)
class EngineSettings:
    timezone: str
    max_steps: int
    lookup_timeout: int  # milliseconds
    default_lang: str
    demo: bool
    cpu_budget: int  # milliseconds of processor time per call


@dataclass(frozen=True)
class SimSettings:
    caller: str
    called: str
    start: dt.datetime  # naive, local wall time in engine.timezone


@dataclass(frozen=True)
class PathSettings:
    flows: Path
    prompts: Path     # the prompt catalogues every CLI command loads; must exist
    catalog: Path     # the catalogue file flows are checked against (engine.catalog)
    outbox: Path      # call records the store did not take (engine.seams.records)
    sla: Path         # tickets' time-limit policies (engine.sla.policy.load_policies)
    callcenter: Path  # mod_callcenter agents, tiers and queue options (fsmod.config)
    sounds: Path      # where `switchflow prompts build` writes the prompt audio


@dataclass(frozen=True)
class StoreSettings:
    url: str
    pin_max_failures: int  # wrong PINs in pin_lockout before an account or number is locked
    pin_lockout: int       # milliseconds: the window wrong PINs are counted in
    late_fee_rate: Decimal  # a fraction of the overdue amount, charged per day (0.001 = 0.1%)
    late_fee_grace: int     # days after a bill's due date before late fees start


@dataclass(frozen=True)
class EslSettings:
    host: str
    port: int
    password: str = field(repr=False)  # "" means not set
    api_timeout: int = 10_000          # ms: an api reply later than this is an error
    heartbeat_interval: int = 20_000   # ms: FreeSWITCH's event-heartbeat-interval
    heartbeat_misses: int = 3          # silent intervals before the link is called dead
    reconnect_min: int = 1_000         # ms: first wait before reconnecting
    reconnect_max: int = 30_000        # ms: longest wait between attempts
    lost_grace: int = 60_000           # ms: a link down this long ends its calls' watches


@dataclass(frozen=True)
class OutboundSettings:
    """Where `switchflow serve` listens for FreeSWITCH's outbound socket
    connections: the rendered dialplan's `socket HOST:PORT async full`."""

    host: str
    port: int
    max_calls: int = 500            # calls at once; more are refused (NORMAL_CIRCUIT_CONGESTION)
    connect_timeout: int = 5_000    # ms: FreeSWITCH's reply to `connect` (the call's data)
    reply_timeout: int = 5_000      # ms: any command's reply on a call's socket
    execute_timeout: int = 10_000   # ms: a short application (answer, set ...) to complete
    execute_margin: int = 10_000    # ms: added to a recording's own maximum before giving up
    after_hangup: int = 10_000      # ms: results FreeSWITCH sends after the hangup


RECORDING_CHANNELS = ("mono", "stereo")


@dataclass(frozen=True)
class FreeswitchSettings:
    """What `switchflow conf render` writes into each FreeSWITCH node's config."""

    esl_listen: str      # the address mod_event_socket listens on
    esl_allow: str       # comma-separated networks (CIDR) allowed on the event socket
    context: str         # the dialplan context the flows' numbers are routed in
    sip_port: int        # each node's SIP port that Kamailio (or the trunk) sends calls to
    sounds_dir: str      # where the built prompts are found on the nodes (absolute)
    recordings_dir: str  # where record_session writes on the nodes (absolute)
    recording_channels: str = "mono"  # one of RECORDING_CHANNELS (RECORD_STEREO when stereo)
    tts_engine: str = ""   # speak's engine on the nodes ("flite"); "" means no TTS
    tts_voice: str = "kal"  # speak's voice when the flow names none


@dataclass(frozen=True)
class TrunkSettings:
    """The SIP gateway to the carrier; `[dial] number` dials through it."""

    name: str
    proxy: str            # "" means no trunk is rendered
    username: str
    password: str = field(repr=False)
    register: bool = False


@dataclass(frozen=True)
class KamailioSettings:
    """The SIP proxy rendered in front of several FreeSWITCH nodes ([nodes])."""

    listen: str          # address Kamailio takes the hotline's calls on
    port: int
    probe_interval: int  # milliseconds between OPTIONS probes of each node
    config_dir: str      # where kamailio.cfg and dispatcher.list go on the Kamailio host


@dataclass(frozen=True)
class DialSettings:
    """Dial-string templates for `transfer`, per target kind; `{target}` is the
    validated target. Flows never write dial strings."""

    number: str
    extension: str
    sip: str


# the service-level definitions a report may use ([reports] service_level_formula); the
# reports compute each one (store.reports.calls) and print the one used beside its number
SERVICE_LEVEL_FORMULAS = (
    "answered_within / (answered + abandoned)",
    "answered_within / (answered + abandoned_after_threshold)",
    "answered_within / offered",
)


@dataclass(frozen=True)
class ReportSettings:
    short_abandon: int            # milliseconds: callers who hang up sooner are not counted
    service_level_threshold: int  # milliseconds: "answered within" this wait
    service_level_formula: str    # one of SERVICE_LEVEL_FORMULAS


LOG_FORMATS = ("kv", "json")


@dataclass(frozen=True)
class ServeSettings:
    """`switchflow serve`: its HTTP endpoint, its shutdown, its logs, its ticket watcher."""

    metrics_host: str     # where /metrics (Prometheus) and /status (switchflow status) answer
    metrics_port: int
    drain: int            # milliseconds calls in progress may take to finish at shutdown
    log_format: str       # one of LOG_FORMATS
    watcher_interval: int  # milliseconds between two passes of the ticket watcher
    outbox_replay: int = 300_000  # ms between replays of [paths] outbox; 0: never


FAX_COMPRESSIONS = ("group4", "group3")


@dataclass(frozen=True)
class FaxSettings:
    """Fax-back: how documents are drawn, how jobs are retried, where received faxes go."""

    templates: Path        # the documents' jinja2 templates (engine.fax)
    font: str              # a CJK TrueType/TTC font; "" finds Debian's fonts-wqy-zenhei
    compression: str       # one of FAX_COMPRESSIONS: the TIFF class F coding txfax sends
    spool: Path            # where rendered documents wait to be sent (FreeSWITCH reads them)
    inbox_dir: str         # where rxfax writes received faxes on the nodes (absolute)
    number: str            # the fax number whose calls run rxfax ("" none)
    station_id: str        # fax_ident: the sending station's id the far machine prints
    caller_id: str         # the caller id fax calls show ("" the trunk's)
    max_dials: int         # calls placed per job, busy and no answer included (HylaFAX maxdials)
    max_tries: int         # calls where a fax answered per job (HylaFAX maxtries)
    busy_retry: int        # ms before redialling a busy number
    no_answer_retry: int   # ms before redialling a number nobody answered
    failed_retry: int      # ms before another try after a retryable fax failure
    lifetime: int          # ms a job may wait to be delivered before it is given up
    window: str            # local "HH:MM-HH:MM" in which faxes are sent ("" any time)
    ring_timeout: int      # ms a fax call may ring
    call_deadline: int     # ms one fax call may take before its result is given up on
    concurrency: int       # fax calls in progress at once per serve process
    poll: int              # ms between looks for due jobs
    lease: int             # ms a claimed job is held before another process may take it


@dataclass(frozen=True)
class DispatchSettings:
    """Voice dispatch (engine/dispatch/, fsmod/dispatch.py): who is called when a ticket is
    dispatched, how often, and when the next crew member on duty is tried."""

    enabled: bool         # `switchflow serve` runs the dispatcher (with the store)
    crew: Path            # the crew roster and on-duty hours (conf/crew.toml)
    types: tuple[str, ...]  # ticket types dispatched by voice
    ring_timeout: int     # milliseconds a crew member's phone rings
    retry_after: int      # milliseconds to wait for an accept before calling again
    attempts: int         # calls to one crew member before the next one is tried
    rounds: int           # times through the crew on duty before the dispatcher gives up
    caller_id: str        # the number crew members see
    interval: int         # milliseconds between two passes of the dispatcher


RECORDING_EXPIRY = ("archive", "delete")


@dataclass(frozen=True)
class PanelSettings:
    """The agent and supervisor web panel (panel/), served by `switchflow serve`."""

    host: str                # where the panel listens
    port: int
    secret_key: str          # signs sessions and CSRF tokens; required outside demo mode
    session_lifetime: int    # milliseconds a login lasts without activity
    login_max_failures: int  # wrong passwords within login_lockout that lock a user out
    login_lockout: int       # milliseconds
    heartbeat: int           # milliseconds between two keep-alive comments on a live stream
    wrap_up: int             # milliseconds of wrap-up after a queue call (mod_callcenter's)
    recordings_keep: int     # days a recording is kept before `recordings prune|archive`
    recordings_expiry: str   # what prune does to an expired recording: one of RECORDING_EXPIRY
    recordings_archive: Path  # where `recordings archive` moves expired recordings
    staffing_target: Decimal  # service-level target of the staffing view (0.8 = 80 %)


@dataclass(frozen=True)
class CampaignSettings:
    """The outbound dialler's rules that no campaign can override (engine.campaigns)."""

    file: Path               # per-campaign settings: mode, caps, trunk (conf/campaigns.toml)
    quiet_hours: str         # "HH:MM-HH:MM" in the callee's local time: nobody is called
    rate: int                # calls started per second by one serve process, all campaigns
    concurrency: int         # calls in progress at once, all campaigns (0: no cap)
    trunk_rate: int          # calls per second on one trunk
    trunk_concurrency: int   # calls at once on one trunk
    lease: int               # milliseconds a worker holds a target it dials
    pause_when_waiting: int  # inbound callers waiting for agents that pause dialling (0: never)
    ring_timeout: int        # milliseconds a campaign call may ring
    max_per_number: int      # failed calls to one number before it is dropped
    abandon_lockout: int     # milliseconds before an abandoned callee is called again
    retry_busy: int          # milliseconds; each default unless the flow's `retry` names it
    retry_no_answer: int
    retry_rejected: int
    retry_network: int
    retry_machine: int


@dataclass(frozen=True)
class Settings:
    engine: EngineSettings
    sim: SimSettings
    paths: PathSettings
    store: StoreSettings
    esl: EslSettings
    dial: DialSettings
    reports: ReportSettings
    serve: ServeSettings
    outbound: OutboundSettings
    freeswitch: FreeswitchSettings
    trunk: TrunkSettings
    kamailio: KamailioSettings
    fax: FaxSettings
    dispatch: DispatchSettings
    campaigns: CampaignSettings
    panel: PanelSettings
    queues: Mapping[str, str] = field(default_factory=dict)  # flow queue[/skill] -> queue@domain
    nodes: Mapping[str, str] = field(default_factory=dict)   # FreeSWITCH node name -> host
    sources: tuple[str, ...] = ()  # files and variables that contributed, in order

    def sim_start(self) -> dt.datetime:
        """The simulator's start as an aware instant (sim.start read in engine.timezone)."""
        return self.sim.start.replace(tzinfo=get_zone(self.engine.timezone))

    def esl_password(self) -> str:
        """The event-socket password; unset is an error except in demo mode."""
        if self.esl.password:
            return self.esl.password
        if self.engine.demo:
            return DEMO_ESL_PASSWORD
        raise SettingsError("esl.password is not set: set `password` under [esl] in your "
                            f"settings file or {ENV_PREFIX}ESL_PASSWORD "
                            "(only demo mode, engine.demo = true, may run without one)")


# ----------------------------------------------------------------- the schema


class _Bad(Exception):
    """Raised by a key's parser; the caller adds where and which key."""


@dataclass(frozen=True)
class _Key:
    default: Any
    parse: Callable[[Any], Any]  # TOML-typed value -> settings value, or _Bad
    expected: str
    kind: str = "text"  # how an environment variable's text becomes a TOML value
    secret: bool = False  # never echo the value in a message


def _whole(lo: int, hi: int) -> _Key:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise _Bad
        return value
    return _Key(None, parse, f"a whole number {lo}..{hi}", kind="int")


def _duration(lo_ms: int, hi_ms: int) -> _Key:
    def parse(value: Any) -> int:
        ms = parse_duration(value) if isinstance(value, str) else None
        if ms is None or not lo_ms <= ms <= hi_ms:
            raise _Bad
        return ms
    span = f"{format_duration(lo_ms)}..{format_duration(hi_ms)}"
    return _Key(None, parse, f'a duration such as "3s" ({span})')


def _text(pattern: str, expected: str, convert: Callable[[str], Any] = str) -> _Key:
    regex = re.compile(pattern)

    def parse(value: Any) -> Any:
        if not isinstance(value, str) or not regex.fullmatch(value):
            raise _Bad
        return convert(value)
    return _Key(None, parse, expected)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad
    return value


def _zone(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad
    try:
        get_zone(value)
    except ValueError:
        raise _Bad(did_you_mean(value, zoneinfo.available_timezones())) from None
    return value


def _local_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime) and value.tzinfo is None:  # TOML local date-time
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d", value):
        raise _Bad
    try:
        return parse_local_datetime(value)
    except ValueError:
        raise _Bad from None


def _one_of(choices: tuple[str, ...]) -> _Key:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise _Bad(did_you_mean(value, choices) if isinstance(value, str) else "")
        return value
    return _Key(None, parse, "one of " + ", ".join(f'"{c}"' for c in choices))


def _percent(lo: str, hi: str) -> _Key:
    """A percentage written as text ("0.1%"), read as a Decimal fraction (0.001)."""
    low, high = Decimal(lo), Decimal(hi)

    def parse(value: Any) -> Decimal:
        if not isinstance(value, str) or not re.fullmatch(r"\d{1,3}(\.\d{1,4})?%", value):
            raise _Bad
        percent = Decimal(value[:-1])
        if not low <= percent <= high:
            raise _Bad
        return percent / 100
    return _Key(None, parse, f'a percentage such as "0.1%" ({lo}%..{hi}%)')


def _with(key: _Key, default: Any, secret: bool = False) -> _Key:
    return _Key(default, key.parse, key.expected, key.kind, secret)


def _dial_template(value: Any) -> str:
    if not isinstance(value, str) or value.count("{target}") != 1 \
            or re.search(r"[\x00-\x1f\x7f ]", value):
        raise _Bad
    return value


DEFAULT_DIAL = {
    "number": "sofia/gateway/pstn/{target}",
    "extension": "user/{target}@${domain_name}",
    "sip": "sofia/internal/{target}",
}

# the queues the shipped catalogue declares (flows/catalog.toml), one mod_callcenter queue each
DEFAULT_QUEUES = {
    "general": "general@default",
    "billing": "billing@default",
    "emergency": "emergency@default",
    "repair": "repair@default",
    "complaints": "complaints@default",
    "business": "business@default",
    "business/accounts": "business_accounts@default",
    "business/appointments": "business_appointments@default",
    "large_accounts": "large_accounts@default",
}

_HOST = _text(r"[A-Za-z0-9.:_-]{1,253}", 'a host name or address such as "127.0.0.1"')
_ABSOLUTE = _text(r"/[A-Za-z0-9_.+/-]{0,1023}",
                  "an absolute path of letters, digits and _ . + - /")
MAX_NETWORKS = 32  # FreeSWITCH reads at most 32 networks from one inline ACL


def _networks(value: Any) -> str:
    """Comma-separated CIDR networks, checked one by one and written back normalised."""
    import ipaddress

    if not isinstance(value, str):
        raise _Bad
    parts = [p.strip() for p in value.split(",")]
    if not value.strip() or len(parts) > MAX_NETWORKS:
        raise _Bad
    out = []
    for part in parts:
        if "/" not in part:
            raise _Bad(f"{part!r} has no /PREFIX (a single host is ADDRESS/32)")
        try:
            out.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise _Bad(f"{part!r} is not a network") from None
    return ",".join(out)


_NODE_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NODE = _text(r"[A-Za-z0-9.-]{1,253}",
              'a FreeSWITCH node\'s host name or IPv4 address such as "10.0.0.11"')

_QUEUE_KEY = re.compile(r"[a-z_][a-z0-9_]*(/[a-z_][a-z0-9_]*)?")
_QUEUE = _text(r"[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+",
               'a mod_callcenter queue such as "support@default"')


SCHEMA: dict[str, dict[str, _Key]] = {
    "engine": {
        "timezone": _Key("Asia/Shanghai", _zone,
                         'a known IANA time zone such as "Asia/Shanghai" or "UTC"'),
        "max_steps": _with(_whole(10, 1_000_000), 1000),
        "lookup_timeout": _with(_duration(100, 60_000), "3s"),
        "default_lang": _with(_text(r"[a-z]{2,3}(-[A-Z][A-Za-z]{1,3})?",
                                    'a language tag such as "zh-CN" or "en-US"'), "zh-CN"),
        "demo": _Key(False, _boolean, "true or false", kind="bool"),
        "cpu_budget": _with(_duration(10, 60_000), "2s"),
    },
    "sim": {
        "caller": _with(_text(r"\+?\d{1,20}", 'a phone number such as "13800000000"'),
                        "13800000000"),
        "called": _with(_text(r"\+?\d{1,20}", 'a phone number such as "95158"'), "95158"),
        "start": _Key("2026-11-23 10:00", _local_datetime,
                      'a local date and time "YYYY-MM-DD HH:MM"'),
    },
    "paths": {
        "flows": _with(_text(r"(?s).+", "a directory path", Path), "flows"),
        "prompts": _with(_text(r"(?s).+", "a directory path", Path), "prompts"),
        "catalog": _with(_text(r"(?s).+", "a file path", Path), "flows/catalog.toml"),
        "outbox": _with(_text(r"(?s).+", "a directory path", Path), "var/outbox"),
        "sla": _with(_text(r"(?s).+", "a file path", Path), "conf/sla.toml"),
        "callcenter": _with(_text(r"(?s).+", "a file path", Path), "conf/callcenter.toml"),
        "sounds": _with(_text(r"(?s).+", "a directory path", Path), "var/sounds"),
    },
    "store": {
        "url": _with(_text(r"sqlite:///.*|postgres(ql)?://.+",
                           'a database URL ("sqlite:///FILE" or "postgresql://USER@HOST/DB")'),
                     "sqlite:///var/switchflow.db"),
        "pin_max_failures": _with(_whole(1, 100), 5),
        "pin_lockout": _with(_duration(60_000, 86_400_000), "30m"),
        "late_fee_rate": _with(_percent("0", "5"), "0.1%"),
        "late_fee_grace": _with(_whole(0, 365), 0),
    },
    "esl": {
        "host": _with(_text(r"[A-Za-z0-9.:_-]+", 'a host name or address such as "127.0.0.1"'),
                      "127.0.0.1"),
        "port": _with(_whole(1, 65535), 8021),
        "password": _with(_text(r"[^\x00-\x1f\x7f]*",
                                "a password without line breaks or control characters"),
                          "", secret=True),
        "api_timeout": _with(_duration(100, 300_000), "10s"),
        "heartbeat_interval": _with(_duration(1_000, 600_000), "20s"),
        "heartbeat_misses": _with(_whole(1, 100), 3),
        "reconnect_min": _with(_duration(10, 60_000), "1s"),
        "reconnect_max": _with(_duration(100, 600_000), "30s"),
        "lost_grace": _with(_duration(0, 3_600_000), "60s"),
    },
    "dial": {kind: _Key(template, _dial_template,
                        'a FreeSWITCH dial string with one {target} and no spaces, such as '
                        f'"{template}"') for kind, template in DEFAULT_DIAL.items()},
    "outbound": {
        "host": _with(_HOST, "127.0.0.1"),
        "port": _with(_whole(1, 65535), 8084),
        "max_calls": _with(_whole(1, 100_000), 500),
        "connect_timeout": _with(_duration(100, 60_000), "5s"),
        "reply_timeout": _with(_duration(100, 60_000), "5s"),
        "execute_timeout": _with(_duration(1_000, 600_000), "10s"),
        "execute_margin": _with(_duration(0, 600_000), "10s"),
        "after_hangup": _with(_duration(0, 600_000), "10s"),
    },
    "freeswitch": {
        "esl_listen": _with(_HOST, "127.0.0.1"),
        "esl_allow": _Key("127.0.0.1/32", _networks,
                          'networks in CIDR form, comma-separated, such as "127.0.0.1/32" '
                          f"(at most {MAX_NETWORKS})"),
        "context": _with(_text(r"[A-Za-z0-9_-]{1,64}", 'a dialplan context such as "public"'),
                         "public"),
        "sip_port": _with(_whole(1, 65535), 5080),
        "sounds_dir": _with(_ABSOLUTE, "/usr/share/freeswitch/sounds"),
        "recordings_dir": _with(_ABSOLUTE, "/var/lib/freeswitch/recordings/switchflow"),
        "recording_channels": _with(_one_of(RECORDING_CHANNELS), "mono"),
        "tts_engine": _with(_text(r"[a-z][a-z0-9_]{0,31}|",
                                  'a TTS module\'s engine name such as "flite", or "" for none'),
                            ""),
        "tts_voice": _with(_text(r"[A-Za-z0-9_.-]{1,64}",
                                 'a voice name such as "kal" (letters, digits, _ . -)'), "kal"),
    },
    "trunk": {
        "name": _with(_text(r"[A-Za-z0-9_-]{1,64}", 'a gateway name such as "pstn"'), "pstn"),
        "proxy": _with(_text(r"([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?|",
                             'a host or host:port such as "sip.carrier.example:5060", '
                             'or "" for no trunk'), ""),
        "username": _with(_text(r"[A-Za-z0-9_.+-]{0,128}",
                                "a SIP user name (letters, digits, _ . + -)"), ""),
        "password": _with(_text(r"[^\x00-\x1f\x7f]{0,128}",
                                "a password without line breaks or control characters"),
                          "", secret=True),
        "register": _Key(False, _boolean, "true or false", kind="bool"),
    },
    "kamailio": {
        "listen": _with(_HOST, "0.0.0.0"),
        "port": _with(_whole(1, 65535), 5060),
        "probe_interval": _with(_duration(1000, 600_000), "10s"),
        "config_dir": _with(_ABSOLUTE, "/etc/kamailio"),
    },
    "reports": {
        "short_abandon": _with(_duration(0, 300_000), "5s"),
        "service_level_threshold": _with(_duration(1000, 600_000), "20s"),
        "service_level_formula": _with(_one_of(SERVICE_LEVEL_FORMULAS),
                                       SERVICE_LEVEL_FORMULAS[0]),
    },
    "serve": {
        "metrics_host": _with(_text(r"[A-Za-z0-9.:_-]+",
                                    'a host name or address such as "127.0.0.1"'), "127.0.0.1"),
        "metrics_port": _with(_whole(1, 65535), 9464),
        "drain": _with(_duration(0, 3_600_000), "30s"),
        "log_format": _with(_one_of(LOG_FORMATS), "kv"),
        "watcher_interval": _with(_duration(1000, 3_600_000), "30s"),
        "outbox_replay": _with(_duration(0, 86_400_000), "5m"),
    },
    # ---- fax-back (engine.fax, store.faxjobs, fsmod.faxsend)
    "fax": {
        "templates": _with(_text(r"(?s).+", "a directory path", Path), "conf/documents"),
        "font": _with(_text(r"[^\x00-\x1f\x7f]{0,1024}", "a font file path, or \"\""), ""),
        "compression": _with(_one_of(FAX_COMPRESSIONS), "group4"),
        "spool": _with(_text(r"(?s).+", "a directory path", Path), "var/fax"),
        "inbox_dir": _with(_ABSOLUTE, "/var/lib/freeswitch/fax/inbox"),
        "number": _with(_text(r"(\+?\d{1,20})?", 'a phone number such as "95007", or ""'), ""),
        "station_id": _with(_text(r"\+?[0-9]{0,20}", "a fax number, digits with an optional +"),
                            "95007"),
        "caller_id": _with(_text(r"(\+?\d{1,20})?", 'a phone number, or ""'), ""),
        "max_dials": _with(_whole(1, 100), 12),
        "max_tries": _with(_whole(1, 20), 3),
        "busy_retry": _with(_duration(10_000, 86_400_000), "3m"),
        "no_answer_retry": _with(_duration(10_000, 86_400_000), "5m"),
        "failed_retry": _with(_duration(10_000, 86_400_000), "5m"),
        "lifetime": _with(_duration(60_000, 30 * 86_400_000), "24h"),
        "window": _with(_text(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d|",
                              'a local time range "HH:MM-HH:MM", or "" for any time'),
                        "08:00-21:00"),
        "ring_timeout": _with(_duration(5_000, 300_000), "60s"),
        "call_deadline": _with(_duration(60_000, 7_200_000), "15m"),
        "concurrency": _with(_whole(1, 100), 2),
        "poll": _with(_duration(100, 600_000), "5s"),
        "lease": _with(_duration(60_000, 86_400_000), "30m"),
    },
    # voice dispatch (语音派单): engine/dispatch/, docs/voice-dispatch.md
    "dispatch": {
        "enabled": _Key(True, _boolean, "true or false", kind="bool"),
        "crew": _with(_text(r"(?s).+", "a file path", Path), "conf/crew.toml"),
        "types": _with(_text(r"[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*",
                             'ticket types, comma-separated, such as "leak_report,repair"',
                             lambda v: tuple(v.split(","))), "leak_report,repair"),
        "ring_timeout": _with(_duration(5_000, 120_000), "30s"),
        "retry_after": _with(_duration(30_000, 3_600_000), "3m"),
        "attempts": _with(_whole(1, 10), 2),
        "rounds": _with(_whole(1, 10), 2),
        "caller_id": _with(_text(r"\+?\d{1,20}", 'a phone number such as "95158"'), "95158"),
        "interval": _with(_duration(1_000, 600_000), "10s"),
    },
    # ---- the web panel (panel/)
    "panel": {
        "host": _with(_HOST, "127.0.0.1"),
        "port": _with(_whole(1, 65535), 8080),
        "secret_key": _with(_text(r"(.{32,512})?", "at least 32 characters, or \"\""), "",
                            secret=True),
        "session_lifetime": _with(_duration(60_000, 7 * 86_400_000), "8h"),
        "login_max_failures": _with(_whole(1, 100), 5),
        "login_lockout": _with(_duration(60_000, 86_400_000), "15m"),
        "heartbeat": _with(_duration(1_000, 120_000), "15s"),
        "wrap_up": _with(_duration(0, 600_000), "10s"),
        "recordings_keep": _with(_whole(1, 3650), 180),
        "recordings_expiry": _with(_one_of(RECORDING_EXPIRY), "archive"),
        "recordings_archive": _with(_text(r"(?s).+", "a directory path", Path), "var/archive"),
        "staffing_target": _with(_percent("1", "99.9"), "80%"),
    },
    # ---- campaigns (the outbound dialler, engine/campaigns)
    "campaigns": {
        "file": _with(_text(r"(?s).+", "a file path", Path), "conf/campaigns.toml"),
        "quiet_hours": _with(_text(r"((?:[01]\d|2[0-4]):[0-5]\d-(?:[01]\d|2[0-4]):[0-5]\d)?",
                                   'local times "HH:MM-HH:MM" such as "21:00-08:00", or ""'),
                             "21:00-08:00"),
        "rate": _with(_whole(0, 10_000), 50),
        "concurrency": _with(_whole(0, 100_000), 500),
        "trunk_rate": _with(_whole(0, 10_000), 30),
        "trunk_concurrency": _with(_whole(0, 100_000), 300),
        "lease": _with(_duration(10_000, 3_600_000), "2m"),
        "pause_when_waiting": _with(_whole(0, 10_000), 3),
        "ring_timeout": _with(_duration(5_000, 120_000), "30s"),
        "max_per_number": _with(_whole(1, 100), 3),
        "abandon_lockout": _with(_duration(0, 30 * 86_400_000), "24h"),
        "retry_busy": _with(_duration(10_000, 7 * 86_400_000), "10m"),
        "retry_no_answer": _with(_duration(10_000, 7 * 86_400_000), "1h"),
        "retry_rejected": _with(_duration(10_000, 7 * 86_400_000), "4h"),
        "retry_network": _with(_duration(10_000, 7 * 86_400_000), "15m"),
        "retry_machine": _with(_duration(10_000, 7 * 86_400_000), "4h"),
    },
}

_SECTIONS = {"engine": EngineSettings, "sim": SimSettings, "paths": PathSettings,
             "store": StoreSettings, "esl": EslSettings, "dial": DialSettings,
             "reports": ReportSettings, "serve": ServeSettings,
             "outbound": OutboundSettings,
             "freeswitch": FreeswitchSettings, "trunk": TrunkSettings,
             "kamailio": KamailioSettings, "fax": FaxSettings,
             "dispatch": DispatchSettings, "campaigns": CampaignSettings,
             "panel": PanelSettings}

# sections whose keys are the user's own: (key pattern, what a key looks like, value, defaults)
MAP_SECTIONS: dict[str, tuple[re.Pattern[str], str, _Key, dict[str, str]]] = {
    "queues": (_QUEUE_KEY, 'a flow\'s queue name, or "QUEUE/SKILL"', _QUEUE, DEFAULT_QUEUES),
    "nodes": (_NODE_KEY, "a node name (letters, digits, _ -)", _NODE, {}),
}


# ----------------------------------------------------------------- loading


def load_settings(path: str | os.PathLike[str] | None = None,
                  env: Mapping[str, str] = os.environ) -> Settings:
    """Defaults, then the shipped file, the user's file, then SWITCHFLOW_* variables.

    `path` (or $SWITCHFLOW_CONFIG) names the user's file; it must exist.
    Raises SettingsError with a one-line message for any bad file, key or value.
    """
    raw = {section: {key: spec.default for key, spec in keys.items()}
           for section, keys in SCHEMA.items()}
    origin = {(s, k): "default" for s, keys in SCHEMA.items() for k in keys}
    for section, (_, _, _, defaults) in MAP_SECTIONS.items():
        raw[section] = dict(defaults)
        origin.update({(section, k): "default" for k in defaults})
    sources: list[str] = []
    files: list[tuple[Path, str]] = []
    if DEFAULTS_PATH.is_file():
        files.append((DEFAULTS_PATH, str(DEFAULTS_PATH)))
    if path is not None:
        files.append((Path(path), str(path)))
    elif env.get(CONFIG_ENV):
        files.append((Path(env[CONFIG_ENV]), env[CONFIG_ENV]))
    for file, label in files:
        for (section, key), value in _read_file(file, label).items():
            raw[section][key] = value
            origin[section, key] = label
        sources.append(label)
    for (section, key, name), value in _read_env(env).items():
        raw[section][key] = value
        origin[section, key] = name
        sources.append(name)

    values: dict[str, dict[str, Any]] = {}
    for section, keys in SCHEMA.items():
        values[section] = {}
        for key, spec in keys.items():
            value = raw[section][key]
            try:
                values[section][key] = spec.parse(value)
            except _Bad as e:
                shown = "(hidden)" if spec.secret else toml_spelling(value)
                hint = f"; {e}" if str(e) else ""
                raise SettingsError(f"{origin[section, key]}: {section}.{key} = {shown}: "
                                    f"expected {spec.expected}{hint}") from None
    maps = {}
    for section, (_, _, spec, _) in MAP_SECTIONS.items():
        parsed = {}
        for key, value in raw[section].items():
            try:
                parsed[key] = spec.parse(value)
            except _Bad:
                raise SettingsError(f"{origin[section, key]}: {section}.{_toml_key(key)} = "
                                    f"{toml_spelling(value)}: expected {spec.expected}") from None
        maps[section] = MappingProxyType(parsed)
    return Settings(**{s: cls(**values[s]) for s, cls in _SECTIONS.items()}, **maps,
                    sources=tuple(sources))


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _read_file(file: Path, label: str) -> dict[tuple[str, str], Any]:
    try:
        with file.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise SettingsError(f"{label}: no such settings file") from None
    except IsADirectoryError:
        raise SettingsError(f"{label}: is a directory, not a settings file") from None
    except OSError as e:
        raise SettingsError(f"{label}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{label}: not valid TOML: the file is not UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"{label}: not valid TOML: {e}") from None
    out: dict[tuple[str, str], Any] = {}
    sections = [*SCHEMA, *MAP_SECTIONS]
    for section, table in data.items():
        if section not in sections:
            hint = did_you_mean(section, sections, "[{}]")
            raise SettingsError(f"{label}: unknown section [{section}]"
                                + (f"; {hint}" if hint else
                                   "; sections are " + ", ".join(f"[{s}]" for s in sections)))
        if not isinstance(table, dict):
            raise SettingsError(f"{label}: `{section}` must be a section ([{section}]), "
                                f"not a value")
        if section in MAP_SECTIONS:
            pattern, looks, _, _ = MAP_SECTIONS[section]
            for key, value in table.items():
                if not pattern.fullmatch(key):
                    raise SettingsError(f"{label}: [{section}] key {_toml_key(key)} is not "
                                        f"{looks}")
                out[section, key] = value
            continue
        for key, value in table.items():
            if key not in SCHEMA[section]:
                hint = did_you_mean(key, SCHEMA[section])
                raise SettingsError(f"{label}: unknown key {section}.{key}"
                                    + (f"; {hint}" if hint else
                                       f"; [{section}] has " + ", ".join(SCHEMA[section])))
            out[section, key] = value
    return out


def _read_env(env: Mapping[str, str]) -> dict[tuple[str, str, str], Any]:
    """SWITCHFLOW_<SECTION>_<KEY> variables, their text turned into TOML-typed values.

    Variables for a known section must name a known key; a section name close
    to a real one is a typo and an error; other SWITCHFLOW_* names are left
    alone (SWITCHFLOW_CONFIG, or variables other parts of switchflow read).
    """
    names = {f"{ENV_PREFIX}{s.upper()}_{k.upper()}": (s, k) for s, keys in SCHEMA.items()
             for k in keys}
    out: dict[tuple[str, str, str], Any] = {}
    for alias, (section, key) in ENV_ALIASES.items():
        full = f"{ENV_PREFIX}{section.upper()}_{key.upper()}"
        if alias in env and full in env:
            raise SettingsError(f"{alias} and {full} are both set; they are the same setting "
                                f"({section}.{key}): set one")
    names.update(ENV_ALIASES)
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name == CONFIG_ENV:
            continue
        text = env[name]
        if name in names:
            section, key = names[name]
            out[section, key, name] = _env_value(SCHEMA[section][key].kind, text)
            continue
        section = name[len(ENV_PREFIX):].partition("_")[0].lower()
        if section in MAP_SECTIONS:
            raise SettingsError(f"{name}: [{section}] is set in a settings file only "
                                + ("(its keys are the flows' names)" if section == "queues"
                                   else "(its keys are names of your own)"))
        if section in SCHEMA or did_you_mean(section, SCHEMA):
            hint = did_you_mean(name, names)
            raise SettingsError(f"{name}: not a setting" + (f"; {hint}" if hint else
                                f"; settings variables are {ENV_PREFIX}<SECTION>_<KEY>"))
    return out


def _env_value(kind: str, text: str) -> Any:
    stripped = text.strip()
    if kind == "int" and re.fullmatch(r"[+-]?\d+", stripped):
        return int(stripped)
    if kind == "bool" and stripped.lower() in ("true", "false", "1", "0", "yes", "no", "on",
                                                "off"):
        return stripped.lower() in ("true", "1", "yes", "on")
    return text


