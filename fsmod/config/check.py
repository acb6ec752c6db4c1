"""`switchflow conf check DIR`: read a rendered folder back and say what is wrong.

It checks what would stop a call reaching switchflow or the service reaching
FreeSWITCH: files missing, XML that FreeSWITCH would refuse, an event-socket
password that is empty, FreeSWITCH's stock one, or not the one the control
connection will send, a flow number the dialplan does not route, a socket
address other than the one `switchflow serve` listens on, a queue a flow
uses that mod_callcenter will not have, modules the service needs, and, with
several nodes, a Kamailio configuration `kamailio -c` refuses. Each finding
says the file, the problem and what to do.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.settings import DEMO_ESL_PASSWORD, Settings, SettingsError
from fsmod.config.render import (
    CALLCENTER,
    DISPATCHER_LIST,
    EVENT_SOCKET,
    KAMAILIO_CFG,
    MODULES,
    REQUIRED_MODULES,
    FlowRoute,
    dialplan_file,
    gateway_file,
    nodes,
    planned,
)

RENDER_AGAIN = "run `switchflow conf render --out DIR` again"


@dataclass(frozen=True)
class Finding:
    file: str     # relative to the checked folder
    message: str  # the problem
    help: str     # what to do about it

    def __str__(self) -> str:
        return f"{self.file}: {self.message}\n  help: {self.help}"


def check(folder: Path, settings: Settings, flows: Iterable[FlowRoute]) -> list[Finding]:
    """Every problem found in `folder` against these settings and flows."""
    flows = list(flows)
    found: list[Finding] = []
    trees: dict[str, ET.Element] = {}
    for rel in planned(settings):
        path = folder / rel
        if not path.is_file():
            found.append(Finding(rel, "missing", RENDER_AGAIN))
            continue
        if rel.endswith(".xml"):
            try:
                trees[rel] = ET.parse(path).getroot()
            except ET.ParseError as exc:
                found.append(Finding(rel, f"not well-formed XML ({exc}); FreeSWITCH would not "
                                     "load it", RENDER_AGAIN + ", and do not edit it by hand"))
    if EVENT_SOCKET in trees:
        found += _event_socket(trees[EVENT_SOCKET], settings)
    if dialplan_file(settings) in trees:
        found += _dialplan(dialplan_file(settings), trees[dialplan_file(settings)], settings,
                           flows)
    if CALLCENTER in trees:
        found += _callcenter(trees[CALLCENTER], flows)
    if MODULES in trees:
        loaded = {m.get("module") for m in trees[MODULES].iter("load")}
        for module in REQUIRED_MODULES:
            if module not in loaded:
                found.append(Finding(MODULES, f"{module} is not loaded; switchflow needs it",
                                     f"add <load module=\"{module}\"/> or {RENDER_AGAIN}"))
    gateway = gateway_file(settings)
    if gateway in trees:
        names = [g.get("name") for g in trees[gateway].iter("gateway")]
        if settings.trunk.name not in names:
            found.append(Finding(gateway, f"no gateway named {settings.trunk.name!r} "
                                 "([trunk] name), which [dial] number dials through",
                                 RENDER_AGAIN))
    if (folder / KAMAILIO_CFG).is_file():
        found += _kamailio(folder, settings)
    return found


def _params(root: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in root.iter("param")}


def _event_socket(root: ET.Element, settings: Settings) -> list[Finding]:
    out = []
    params = _params(root)
    password = params.get("password", "")
    try:
        expected = settings.esl_password()
    except SettingsError:
        expected = ""
    if not password:
        out.append(Finding(EVENT_SOCKET, "the event-socket password is empty",
                           "set esl.password (SWITCHFLOW_ESL_PASSWORD) and " + RENDER_AGAIN))
    elif password == DEMO_ESL_PASSWORD and not settings.engine.demo:
        out.append(Finding(EVENT_SOCKET, f"the event-socket password is FreeSWITCH's stock "
                           f"\"{DEMO_ESL_PASSWORD}\"", "set another esl.password "
                           "(SWITCHFLOW_ESL_PASSWORD) and " + RENDER_AGAIN))
    elif password != expected:
        out.append(Finding(EVENT_SOCKET, "the event-socket password is not esl.password: "
                           "FreeSWITCH would refuse the control connection",
                           RENDER_AGAIN + " with the settings `switchflow serve` uses"))
    if params.get("listen-port") != str(settings.esl.port):
        out.append(Finding(EVENT_SOCKET, f"listen-port is {params.get('listen-port')!r} but "
                           f"esl.port is {settings.esl.port}", RENDER_AGAIN))
    if params.get("listen-ip") != settings.freeswitch.esl_listen:
        out.append(Finding(EVENT_SOCKET, f"listen-ip is {params.get('listen-ip')!r} but "
                           f"freeswitch.esl_listen is {settings.freeswitch.esl_listen!r}",
                           RENDER_AGAIN))
    if not params.get("apply-inbound-acl"):
        out.append(Finding(EVENT_SOCKET, "no apply-inbound-acl: anyone who can reach the port "
                           "may try passwords", "set freeswitch.esl_allow and " + RENDER_AGAIN))
    return out


def _dialplan(rel: str, root: ET.Element, settings: Settings,
              flows: list[FlowRoute]) -> list[Finding]:
    out = []
    socket = f"{settings.outbound.host}:{settings.outbound.port} async full"
    routes = []  # (expression, socket data or None)
    for ext in root.iter("extension"):
        for cond in ext.iter("condition"):
            if cond.get("field") != "destination_number":
                continue
            sockets = [a.get("data") for a in cond.iter("action")
                       if a.get("application") == "socket"]
            routes.append((ext.get("name", "?"), cond.get("expression", ""),
                           sockets[0] if sockets else None))
    for name, _, data in routes:
        if data is None:
            out.append(Finding(rel, f"extension {name} has no socket action: its calls never "
                               "reach switchflow", RENDER_AGAIN))
        elif data != socket:
            out.append(Finding(rel, f"extension {name} sends calls to `socket {data}`, but "
                               f"`switchflow serve` listens on {settings.outbound.host}:"
                               f"{settings.outbound.port} ([outbound])",
                               RENDER_AGAIN + ", or correct [outbound] host/port"))
    for flow in flows:
        for number in flow.numbers:
            if not any(_matches(expr, number) for _, expr, _ in routes):
                out.append(Finding(rel, f"number {number} of flow `{flow.flow}` "
                                   f"({flow.source}) is not routed: its calls would not reach "
                                   "switchflow", RENDER_AGAIN + " after changing the flows"))
    return out


def _matches(expression: str, number: str) -> bool:
    try:
        return re.search(expression, number) is not None
    except re.error:
        return False


def _callcenter(root: ET.Element, flows: list[FlowRoute]) -> list[Finding]:
    out = []
    queues = {q.get("name") for q in root.iter("queue")}
    agents = {a.get("name") for a in root.iter("agent")}
    for flow in flows:
        for named, queue in flow.queues:
            if queue is None:
                out.append(Finding(CALLCENTER, f"flow `{flow.flow}` ({flow.source}) queues to "
                                   f"`{named}`, which the settings' [queues] map to no "
                                   "mod_callcenter queue",
                                   f"add `{named} = \"NAME@DOMAIN\"` under [queues] and "
                                   + RENDER_AGAIN))
            elif queue not in queues:
                out.append(Finding(CALLCENTER, f"flow `{flow.flow}` ({flow.source}) queues to "
                                   f"{queue}, which is not defined here: mod_callcenter would "
                                   "refuse the call", RENDER_AGAIN))
    for tier in root.iter("tier"):
        if tier.get("queue") not in queues:
            out.append(Finding(CALLCENTER, f"tier of agent {tier.get('agent')} names queue "
                               f"{tier.get('queue')}, which is not defined here",
                               "fix the tier in the agents file and " + RENDER_AGAIN))
        if tier.get("agent") not in agents:
            out.append(Finding(CALLCENTER, f"tier names agent {tier.get('agent')}, which is "
                               "not defined here",
                               "fix the tier in the agents file and " + RENDER_AGAIN))
    return out


def _kamailio(folder: Path, settings: Settings) -> list[Finding]:
    out = []
    listed = folder / DISPATCHER_LIST
    if listed.is_file():
        hosts = set()
        for n, line in enumerate(listed.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = re.fullmatch(r"(\d+) sip:([A-Za-z0-9.-]+):(\d+) (\d+) (\d+)( \S+)?", line)
            if not m:
                out.append(Finding(DISPATCHER_LIST, f"line {n} is not `SETID sip:HOST:PORT "
                                   f"FLAGS PRIORITY [ATTRS]`: {line!r}", RENDER_AGAIN))
                continue
            hosts.add(m.group(2))
        expected = {host for _, host in nodes(settings)}
        if hosts != expected:
            out.append(Finding(DISPATCHER_LIST, f"lists {sorted(hosts)}, but [nodes] are "
                               f"{sorted(expected)}", RENDER_AGAIN))
    kamailio = shutil.which("kamailio") or next(
        (p for p in ("/usr/sbin/kamailio", "/usr/local/sbin/kamailio") if Path(p).exists()), None)
    if kamailio is None:
        return out
    try:
        done = subprocess.run([kamailio, "-c", "-f", str(folder / KAMAILIO_CFG)],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        out.append(Finding(KAMAILIO_CFG, f"`kamailio -c` could not run: {exc}",
                           "check the kamailio installation"))
        return out
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr + done.stdout).splitlines() if "ERROR" in ln]
        out.append(Finding(KAMAILIO_CFG, "`kamailio -c` refuses it: "
                           + ("; ".join(lines[:3]) or f"exit status {done.returncode}"),
                           RENDER_AGAIN + ", and do not edit it by hand"))
    return out


def kamailio_available() -> bool:
    """Whether `conf check` can run `kamailio -c` here."""
    return shutil.which("kamailio") is not None or Path("/usr/sbin/kamailio").exists()
