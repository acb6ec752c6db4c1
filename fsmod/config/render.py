"""`switchflow conf render`: the FreeSWITCH (and Kamailio) files the service needs.

Inputs are the settings, the flows' numbers and queues, and the agents and
tiers file; outputs are files under one folder, laid out as they go into a
FreeSWITCH configuration folder (`freeswitch/…`) and a Kamailio one
(`kamailio/…`, only with two or more [nodes]). Templates are jinja2 files
in conf/freeswitch and conf/kamailio. Every value is checked before it is
written (fsmod.config.values); the XML templates escape what remains.

Rendering is idempotent: a file whose content would not change is not
touched, and the result says for each file whether it was written.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from engine.settings import DEMO_ESL_PASSWORD, Settings, SettingsError
from fsmod.config.callcenter import CallcenterFile
from fsmod.config.values import RenderError, dialled_number, literal, number_pattern, secret
from fsmod.nodes import nodes

TEMPLATES = Path(__file__).resolve().parents[2] / "conf"
BANNER = "written by `switchflow conf render` from the settings; change those, not this file"

EVENT_SOCKET = "freeswitch/autoload_configs/event_socket.conf.xml"
CALLCENTER = "freeswitch/autoload_configs/callcenter.conf.xml"
MODULES = "freeswitch/autoload_configs/modules.conf.xml"
KAMAILIO_CFG = "kamailio/kamailio.cfg"
DISPATCHER_LIST = "kamailio/dispatcher.list"

MODULES_LOADED = (
    "mod_console", "mod_logfile", "mod_syslog", "mod_event_socket", "mod_sofia",
    "mod_loopback", "mod_commands", "mod_dptools", "mod_dialplan_xml", "mod_db",
    "mod_hash", "mod_expr", "mod_callcenter", "mod_spandsp", "mod_sndfile",
    "mod_native_file", "mod_tone_stream", "mod_local_stream", "mod_flite",
    "mod_g723_1", "mod_g729", "mod_say_en",
    "mod_avmd",   # answering-machine beeps on campaign calls with `on machine`
)
"""What a switchflow node loads (modules.conf.xml); `conf check` requires the
ones the service cannot run without (REQUIRED_MODULES)."""

REQUIRED_MODULES = ("mod_event_socket", "mod_sofia", "mod_dptools", "mod_dialplan_xml",
                    "mod_commands", "mod_callcenter", "mod_sndfile", "mod_spandsp",
                    "mod_tone_stream", "mod_local_stream")


def dialplan_file(settings: Settings) -> str:
    """The dialplan fragment, in the folder the stock CONTEXT.xml includes."""
    return f"freeswitch/dialplan/{settings.freeswitch.context}/switchflow.xml"


def gateway_file(settings: Settings) -> str:
    """The trunk, in the folder the stock external profile includes."""
    return f"freeswitch/sip_profiles/external/{settings.trunk.name}.xml"


@dataclass(frozen=True)
class FlowRoute:
    """What the configuration needs to know of one flow."""

    flow: str
    source: str
    numbers: tuple[str, ...]
    # each queue the flow hands callers to: (as the flow names it, the mod_callcenter
    # queue settings [queues] maps it to, or None when they map it to none)
    queues: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class Written:
    path: str     # relative to the output folder
    changed: bool


@dataclass
class Rendered:
    files: list[Written] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things the operator should know


def esl_password(settings: Settings) -> str:
    """The event-socket password to write: set, not FreeSWITCH's stock one (demo mode aside)."""
    try:
        password = settings.esl_password()
    except SettingsError as exc:
        raise RenderError(str(exc)) from None
    if password == DEMO_ESL_PASSWORD and not settings.engine.demo:
        raise RenderError(
            f"esl.password is FreeSWITCH's stock \"{DEMO_ESL_PASSWORD}\", which anyone may "
            "guess: set another under [esl] or in SWITCHFLOW_ESL_PASSWORD (only demo mode, "
            "engine.demo = true, may use it)")
    return secret("esl.password", password)


def _loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def _context(settings: Settings, flows: Iterable[FlowRoute], cc: CallcenterFile,
              notes: list[str]) -> dict:
    fs = settings.freeswitch
    several = len(settings.nodes) >= 2
    if several and _loopback(fs.esl_listen):
        raise RenderError(f"freeswitch.esl_listen = {fs.esl_listen!r} with {len(settings.nodes)} "
                          "[nodes]: the control connection could not reach the other nodes; "
                          "set it to \"0.0.0.0\" (and esl_allow to the serve hosts' networks)")
    if several and _loopback(settings.outbound.host):
        raise RenderError(f"outbound.host = {settings.outbound.host!r} with "
                          f"{len(settings.nodes)} [nodes]: FreeSWITCH on other machines could "
                          "not reach `switchflow serve`; set it to the serve host's address")
    routes, seen = [], {}
    for route in sorted(flows, key=lambda r: r.flow):
        numbers = [dialled_number(route.flow, n) for n in route.numbers]
        for n in numbers:
            if n in seen and seen[n] != route.flow:
                raise RenderError(f"number {n} is in two flows: `{seen[n]}` and `{route.flow}` "
                                  f"({route.source}); remove it from one of them")
            seen[n] = route.flow
        if numbers:
            routes.append({"flow": literal("flow name", route.flow),
                           "pattern": number_pattern(numbers)})
    if not routes:
        notes.append("no flow has a `number` header: the dialplan routes no call to switchflow")
    # every mod_callcenter queue the settings name, with the flow keys that map to it
    by_queue: dict[str, list[str]] = {}
    for key, queue in sorted(settings.queues.items()):
        by_queue.setdefault(queue, []).append(key)
    queues = [{"name": q, "params": cc.params(q, tuple(keys))}
              for q, keys in sorted(by_queue.items())]
    for name in cc.per_queue:
        if name not in by_queue and name not in settings.queues:
            notes.append(f"{cc.path}: [queue.\"{name}\"] is not a queue of the settings' "
                         "[queues]; its options are not used")
    tiers = []
    for tier in cc.tiers:
        queue = tier.queue if "@" in tier.queue else settings.queues.get(tier.queue)
        if queue is None or queue not in by_queue:
            raise RenderError(f"{cc.path}: tier {tier.agent} -> {tier.queue!r}: no such queue "
                              "in the settings' [queues]; name a flow's queue (such as "
                              "\"general\") or a mod_callcenter queue listed there")
        tiers.append({"agent": tier.agent, "queue": queue, "level": tier.level,
                      "position": tier.position})
    if not cc.agents:
        notes.append(f"{cc.path} lists no agents: queued calls wait until agents are added "
                     "(the panel, or callcenter_config agent add)")
    trunk = settings.trunk
    trunk_ctx = None
    if trunk.proxy:
        if trunk.register and not (trunk.username and trunk.password):
            raise RenderError("trunk.register = true needs trunk.username and trunk.password "
                              "(SWITCHFLOW_TRUNK_PASSWORD)")
        trunk_ctx = {"name": trunk.name, "proxy": literal("trunk.proxy", trunk.proxy),
                     "register": "true" if trunk.register else "false",
                     "username": literal("trunk.username", trunk.username or trunk.name),
                     "password": secret("trunk.password", trunk.password)}
    fax_inbox = None
    if settings.fax.number:            # fax-back's receiving number: rxfax, kept by serve
        if settings.fax.number in seen:
            raise RenderError(f"fax.number {settings.fax.number} is also flow "
                              f"`{seen[settings.fax.number]}`'s number: give faxes their own")
        fax_inbox = {"pattern": number_pattern([settings.fax.number]),
                     "dir": literal("fax.inbox_dir", settings.fax.inbox_dir.rstrip("/")),
                     "ident": settings.fax.station_id}
    node_list = [{"name": name, "host": host} for name, host in nodes(settings)]
    return {
        "banner": BANNER,
        "esl": {"listen": literal("freeswitch.esl_listen", fs.esl_listen),
                "port": settings.esl.port, "password": esl_password(settings),
                "acl": literal("freeswitch.esl_allow", fs.esl_allow)},
        "context": fs.context,
        "routes": routes,
        "numbers": sorted(seen),
        "socket": f"{literal('outbound.host', settings.outbound.host)}:"
                  f"{settings.outbound.port} async full",
        "recordings_dir": literal("freeswitch.recordings_dir", fs.recordings_dir),
        "sounds_dir": literal("freeswitch.sounds_dir", fs.sounds_dir),
        "callcenter_file": cc.path,
        "queues": queues,
        "agents": cc.agents,
        "tiers": tiers,
        "modules": MODULES_LOADED,
        "trunk": trunk_ctx,
        "nodes": node_list,
        "sip_port": fs.sip_port,
        "listen": settings.kamailio.listen,
        "port": settings.kamailio.port,
        "probe_seconds": max(1, math.ceil(settings.kamailio.probe_interval / 1000)),
        "list_file": f"{settings.kamailio.config_dir.rstrip('/')}/dispatcher.list",
        "number_pattern": number_pattern(sorted({*seen, *([settings.fax.number]
                                                          if fax_inbox else [])}))
        if seen or fax_inbox else "^$",
        "fax_inbox": fax_inbox,
    }


def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=autoescape, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True)


def planned(settings: Settings) -> dict[str, str]:
    """Output file -> template, for these settings."""
    files = {
        EVENT_SOCKET: "freeswitch/autoload_configs/event_socket.conf.xml.j2",
        CALLCENTER: "freeswitch/autoload_configs/callcenter.conf.xml.j2",
        MODULES: "freeswitch/autoload_configs/modules.conf.xml.j2",
        dialplan_file(settings): "freeswitch/dialplan/switchflow.xml.j2",
    }
    if settings.trunk.proxy:
        files[gateway_file(settings)] = "freeswitch/sip_profiles/gateway.xml.j2"
    if len(settings.nodes) >= 2:
        files[KAMAILIO_CFG] = "kamailio/kamailio.cfg.j2"
        files[DISPATCHER_LIST] = "kamailio/dispatcher.list.j2"
    return files


def render_texts(settings: Settings, flows: Iterable[FlowRoute], cc: CallcenterFile
                 ) -> tuple[dict[str, str], list[str]]:
    """Every output file's text, and the notes for the operator; RenderError on a bad value."""
    notes: list[str] = []
    context = _context(settings, list(flows), cc, notes)
    xml, plain = _environment(True), _environment(False)
    texts = {}
    for out, template in planned(settings).items():
        env = xml if out.endswith(".xml") else plain
        texts[out] = env.get_template(template).render(context)
    return texts, notes


def write_files(texts: Mapping[str, str], out: Path) -> list[Written]:
    """Write each text under `out` unless the file already holds it."""
    written = []
    for rel, text in texts.items():
        path = out / rel
        data = text.encode("utf-8")
        try:
            same = path.read_bytes() == data
        except OSError:
            same = False
        if not same:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            # the event socket's file holds the password
            os.chmod(tmp, 0o640 if rel == EVENT_SOCKET else 0o644)
            os.replace(tmp, path)
        written.append(Written(rel, not same))
    return written


def render(settings: Settings, flows: Iterable[FlowRoute], cc: CallcenterFile,
           out: Path) -> Rendered:
    """Render everything into `out`; nothing is written when any value is refused."""
    texts, notes = render_texts(settings, flows, cc)
    rendered = Rendered(write_files(texts, out), notes)
    for left in leftovers(out, texts):
        rendered.notes.append(f"{out / left} is left from an earlier render and is no longer "
                              "part of the configuration (the settings changed): remove it, "
                              "here and where it was installed")
    return rendered


def leftovers(out: Path, texts: Mapping[str, str]) -> list[str]:
    """Files an earlier render wrote that these settings no longer produce (a trunk
    taken away, fewer nodes, another dialplan context)."""
    found = []
    for pattern in ("kamailio/*", "freeswitch/sip_profiles/external/*.xml",
                    "freeswitch/dialplan/*/switchflow.xml"):
        for path in sorted(out.glob(pattern)):
            rel = path.relative_to(out).as_posix()
            if path.is_file() and rel not in texts:
                found.append(rel)
    return found
