"""`switchflow conf render`: the files FreeSWITCH (and Kamailio) get, as an operator reads them."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.settings import load_settings
from fsmod.config.callcenter import load_callcenter
from fsmod.config.render import FlowRoute, render
from fsmod.config.values import RenderError

ROOT = Path(__file__).resolve().parents[1]
ESL = "freeswitch/autoload_configs/event_socket.conf.xml"
CC = "freeswitch/autoload_configs/callcenter.conf.xml"
DIALPLAN = "freeswitch/dialplan/public/switchflow.xml"

FLOWS = [
    FlowRoute("hotline", "flows/hotline.flow", ("95158", "+8610095158"),
              (("general", "general@default"), ("emergency", "emergency@default"))),
    FlowRoute("emergency", "flows/emergency.flow", ("8001",),
              (("emergency", "emergency@default"),)),
]

AGENTS = """\
[defaults]
strategy = "round-robin"

[queue."emergency@default"]
strategy = "ring-all"
max_wait_time = "2m"

[[agent]]
name = "1001@default"
contact = "[leg_timeout=10]user/1001"
status = "Available"
wrap_up_time = "15s"

[[agent]]
name = "1002@default"
contact = "user/1002"

[[tier]]
agent = "1001@default"
queue = "general"
level = 1
position = 1

[[tier]]
agent = "1002@default"
queue = "emergency@default"
level = 2
position = 3
"""


def settings_from(tmp_path: Path, text: str = "", env: dict | None = None):
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, env={"SWITCHFLOW_ESL_PASSWORD": "Gas-Hotline-7", **(env or {})})


def agents_file(tmp_path: Path, text: str = AGENTS):
    path = tmp_path / "callcenter.toml"
    path.write_text(text, encoding="utf-8")
    return load_callcenter(path)


def params(root: ET.Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in root.iter("param")}


def test_rendered_files_parse_and_say_what_the_settings_say(tmp_path):
    settings = settings_from(tmp_path, """\
[esl]
port = 8022
[outbound]
host = "127.0.0.1"
port = 9090
[freeswitch]
esl_allow = "127.0.0.1/32, 10.1.0.0/16"
recordings_dir = "/srv/rec"
""")
    out = tmp_path / "out"
    result = render(settings, FLOWS, agents_file(tmp_path), out)
    assert {w.path for w in result.files} == {
        ESL, CC, DIALPLAN, "freeswitch/autoload_configs/modules.conf.xml"}
    assert all(w.changed for w in result.files)

    esl = params(ET.parse(out / ESL).getroot())
    assert esl["listen-ip"] == "127.0.0.1" and esl["listen-port"] == "8022"
    assert esl["password"] == "Gas-Hotline-7"
    assert esl["apply-inbound-acl"] == "127.0.0.1/32,10.1.0.0/16"
    assert oct((out / ESL).stat().st_mode & 0o777) == "0o640"   # it holds the password

    plan = ET.parse(out / DIALPLAN).getroot()
    routes = {}
    for ext in plan.iter("extension"):
        cond = ext.find("condition")
        actions = [(a.get("application"), a.get("data")) for a in cond.iter("action")]
        routes[ext.get("name")] = (cond.get("expression"), actions)
    assert routes["switchflow_hotline"][0] == "^(95158|[+]8610095158)$"
    assert routes["switchflow_emergency"][0] == "^(8001)$"
    assert ("socket", "127.0.0.1:9090 async full") in routes["switchflow_hotline"][1]
    assert ("set", "sf_recordings_dir=/srv/rec") in routes["switchflow_hotline"][1]

    cc = ET.parse(out / CC).getroot()
    queues = {q.get("name"): params(q) for q in cc.iter("queue")}
    assert set(queues) == set(settings.queues.values())   # every queue of [queues]
    assert queues["general@default"]["strategy"] == "round-robin"
    assert queues["emergency@default"]["strategy"] == "ring-all"
    assert queues["emergency@default"]["max-wait-time"] == "120"
    agents = {a.get("name"): a.attrib for a in cc.iter("agent")}
    assert agents["1001@default"]["contact"] == "[leg_timeout=10]user/1001"
    assert agents["1001@default"]["status"] == "Available"
    assert agents["1001@default"]["wrap-up-time"] == "15"
    assert agents["1002@default"]["status"] == "Logged Out"
    tiers = sorted((t.get("agent"), t.get("queue"), t.get("level"), t.get("position"))
                   for t in cc.iter("tier"))
    assert tiers == [("1001@default", "general@default", "1", "1"),
                     ("1002@default", "emergency@default", "2", "3")]
    modules = {m.get("module") for m in
               ET.parse(out / "freeswitch/autoload_configs/modules.conf.xml").iter("load")}
    assert {"mod_event_socket", "mod_callcenter", "mod_sofia", "mod_spandsp"} <= modules


def test_render_twice_writes_nothing_the_second_time(tmp_path):
    settings = settings_from(tmp_path)
    cc = agents_file(tmp_path)
    out = tmp_path / "out"
    render(settings, FLOWS, cc, out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = render(settings, FLOWS, cc, out)
    assert not any(w.changed for w in again.files)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before


def test_trunk_gateway_escapes_its_password(tmp_path):
    settings = settings_from(tmp_path, """\
[trunk]
name = "carrier"
proxy = "sip.carrier.example:5060"
username = "hotline"
register = true
""", env={"SWITCHFLOW_TRUNK_PASSWORD": 'pa"ss<&>\'word'})
    out = tmp_path / "out"
    render(settings, FLOWS, agents_file(tmp_path), out)
    gw = ET.parse(out / "freeswitch/sip_profiles/external/carrier.xml").getroot()
    assert gw.find("gateway").get("name") == "carrier"
    assert params(gw) == {"proxy": "sip.carrier.example:5060", "register": "true",
                          "username": "hotline", "password": 'pa"ss<&>\'word',
                          "caller-id-in-from": "true"}


def test_a_registering_trunk_needs_a_password(tmp_path):
    settings = settings_from(tmp_path, '[trunk]\nproxy = "sip.example"\nusername = "u"\n'
                                       "register = true\n")
    with pytest.raises(RenderError, match=r"trunk\.register = true needs"):
        render(settings, FLOWS, agents_file(tmp_path), tmp_path / "out")


@pytest.mark.parametrize("password", [
    'a"b', "a<b>c", "a&b", "it's", "</param><param name='x' value='y'/>"])
def test_xml_special_characters_in_the_password_are_escaped(tmp_path, password):
    settings = settings_from(tmp_path, env={"SWITCHFLOW_ESL_PASSWORD": password})
    out = tmp_path / "out"
    render(settings, FLOWS, agents_file(tmp_path), out)
    esl = params(ET.parse(out / ESL).getroot())
    assert esl["password"] == password
    assert set(esl) == {"nat-map", "listen-ip", "listen-port", "password", "apply-inbound-acl"}


@pytest.mark.parametrize("password, why", [
    ("pa$${hostname}ss", "would expand `$`"),
    ("${system(id)}", "would expand `$`"),
])
def test_values_freeswitch_would_expand_are_refused(tmp_path, password, why):
    settings = settings_from(tmp_path, env={"SWITCHFLOW_ESL_PASSWORD": password})
    with pytest.raises(RenderError) as err:
        render(settings, FLOWS, agents_file(tmp_path), tmp_path / "out")
    assert why in str(err.value) and password not in str(err.value)   # never shown
    assert not (tmp_path / "out").exists()                            # nothing written


def test_line_breaks_in_settings_never_reach_a_file(tmp_path):
    # the settings refuse them for the password; a flow number is checked here
    flows = [FlowRoute("hotline", "h.flow", ("95158\n<extension>",))]
    with pytest.raises(RenderError, match="cannot be routed"):
        render(settings_from(tmp_path), flows, agents_file(tmp_path), tmp_path / "out")
    with pytest.raises(Exception, match="control characters"):
        settings_from(tmp_path, env={"SWITCHFLOW_ESL_PASSWORD": "a\nb"})


@pytest.mark.parametrize("text, message", [
    ('[[agent]]\nname = "1001@default"\ncontact = "user/1001 ${x}"\n', "contact ="),
    ('[[agent]]\nname = "1001"\ncontact = "user/1001"\n', "expected NAME@DOMAIN"),
    ('[defaults]\nstrategy = "ring_all"\n', 'did you mean "ring-all"'),
    ('[defaults]\nmoh_sound = "$${hold_music}"\n', "expected a sound"),
    ('[defaults]\nmax_wait = "1m"\n', "did you mean `max_wait_time`"),
    ('[[tier]]\nagent = "9@x"\nqueue = "general"\n', "not one of the [[agent]] entries"),
    ('[[agent]]\nname = "1@d"\ncontact = "user/1"\nstatus = "Busy"\n', '"Logged Out"'),
])
def test_bad_agents_file_names_the_entry(tmp_path, text, message):
    with pytest.raises(RenderError) as err:
        agents_file(tmp_path, text)
    assert message in str(err.value) and "callcenter.toml" in str(err.value)


def test_tier_to_an_unknown_queue_is_refused(tmp_path):
    cc = agents_file(tmp_path, '[[agent]]\nname = "1@d"\ncontact = "user/1"\n'
                               '[[tier]]\nagent = "1@d"\nqueue = "gneral"\n')
    with pytest.raises(RenderError, match="no such queue"):
        render(settings_from(tmp_path), FLOWS, cc, tmp_path / "out")


def test_same_number_in_two_flows_is_refused(tmp_path):
    flows = [FlowRoute("a", "a.flow", ("8001",)), FlowRoute("b", "b.flow", ("8001",))]
    with pytest.raises(RenderError, match="number 8001 is in two flows"):
        render(settings_from(tmp_path), flows, agents_file(tmp_path), tmp_path / "out")


def test_several_nodes_need_addresses_others_can_reach(tmp_path):
    nodes = '[nodes]\nfs1 = "10.0.0.11"\nfs2 = "10.0.0.12"\n'
    with pytest.raises(RenderError, match="esl_listen"):
        render(settings_from(tmp_path, nodes), FLOWS, agents_file(tmp_path), tmp_path / "o")
    with pytest.raises(RenderError, match=r"outbound\.host"):
        render(settings_from(tmp_path, nodes + '[freeswitch]\nesl_listen = "0.0.0.0"\n'),
               FLOWS, agents_file(tmp_path), tmp_path / "o")


# ---------------------------------------------------------------- the command


def run(args, env):
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


def test_cli_render_says_what_it_wrote_and_refuses_the_stock_password(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "conf"
    env = {"SWITCHFLOW_ESL_PASSWORD": "Gas-Hotline-7", "SWITCHFLOW_CONFIG": None}
    first = run(["conf", "render", "--out", str(out)], env)
    assert first.exit_code == 0, first.output
    assert f"wrote     {out / ESL}" in first.output
    assert "4 written, 0 unchanged" in first.output
    plan = (out / DIALPLAN).read_text()
    for number in ("95158", "8001", "8002", "8003"):   # the shipped flows' numbers
        assert f"^({number})$" in plan
    second = run(["conf", "render", "--out", str(out)], env)
    assert "0 written, 4 unchanged" in second.output

    stock = run(["conf", "render", "--out", str(tmp_path / "x")],
                {**env, "SWITCHFLOW_ESL_PASSWORD": "ClueCon"})
    assert stock.exit_code == 1
    assert 'stock "ClueCon"' in stock.output and "nothing written" in stock.output
    assert not (tmp_path / "x").exists()
    unset = run(["conf", "render", "--out", str(tmp_path / "x")],
                {**env, "SWITCHFLOW_ESL_PASSWORD": ""})
    assert unset.exit_code == 1 and "esl.password is not set" in unset.output
    demo = run(["conf", "render", "--out", str(tmp_path / "demo")],
               {**env, "SWITCHFLOW_ESL_PASSWORD": "", "SWITCHFLOW_ENGINE_DEMO": "true"})
    assert demo.exit_code == 0, demo.output
    assert params(ET.parse(tmp_path / "demo" / ESL).getroot())["password"] == "ClueCon"


# ---------------------------------------------------------------- Kamailio

KAMAILIO = shutil.which("kamailio") or ("/usr/sbin/kamailio"
                                        if os.path.exists("/usr/sbin/kamailio") else None)


def several_nodes(tmp_path: Path, probe: str = "5s"):
    return settings_from(tmp_path, f"""\
[outbound]
host = "10.0.0.5"
[freeswitch]
esl_listen = "0.0.0.0"
esl_allow = "10.0.0.0/24"
sip_port = 5080
[kamailio]
port = 5070
probe_interval = "{probe}"
config_dir = "/etc/kamailio/switchflow"
[nodes]
fs1 = "10.0.0.11"
fs2 = "10.0.0.12"
fs3 = "fs3.example.net"
""")


def test_one_node_writes_no_kamailio(tmp_path):
    render(settings_from(tmp_path), FLOWS, agents_file(tmp_path), tmp_path / "out")
    assert not (tmp_path / "out" / "kamailio").exists()


def test_files_an_earlier_render_left_are_pointed_out(tmp_path):
    out = tmp_path / "out"
    render(several_nodes(tmp_path), FLOWS, agents_file(tmp_path), out)
    back_to_one = settings_from(tmp_path)
    result = render(back_to_one, FLOWS, agents_file(tmp_path), out)
    left = [n for n in result.notes if "left from an earlier render" in n]
    assert [n.split(" is left")[0] for n in left] == [
        str(out / "kamailio/dispatcher.list"), str(out / "kamailio/kamailio.cfg")]


def test_several_nodes_write_a_dispatcher_list_of_every_node(tmp_path):
    out = tmp_path / "out"
    render(several_nodes(tmp_path), FLOWS, agents_file(tmp_path), out)
    rows = [line.split() for line in (out / "kamailio/dispatcher.list").read_text().splitlines()
            if line and not line.startswith("#")]
    assert rows == [["1", "sip:10.0.0.11:5080", "0", "0", "name=fs1"],
                    ["1", "sip:10.0.0.12:5080", "0", "0", "name=fs2"],
                    ["1", "sip:fs3.example.net:5080", "0", "0", "name=fs3"]]
    cfg = (out / "kamailio/kamailio.cfg").read_text()
    assert "listen=udp:0.0.0.0:5070" in cfg
    assert 'modparam("dispatcher", "list_file", "/etc/kamailio/switchflow/dispatcher.list")' in cfg
    assert 'modparam("dispatcher", "ds_ping_interval", 5)' in cfg
    assert 'modparam("dispatcher", "ds_probing_mode", 1)' in cfg
    assert '$rU =~ "^([+]8610095158|8001|95158)$"' in cfg
    esl = params(ET.parse(out / ESL).getroot())
    assert esl["listen-ip"] == "0.0.0.0" and esl["apply-inbound-acl"] == "10.0.0.0/24"


@pytest.mark.skipif(KAMAILIO is None, reason="kamailio is not installed (Debian: kamailio)")
def test_kamailio_accepts_the_rendered_configuration(tmp_path):
    out = tmp_path / "out"
    render(several_nodes(tmp_path), FLOWS, agents_file(tmp_path), out)
    done = subprocess.run([KAMAILIO, "-c", "-f", str(out / "kamailio/kamailio.cfg")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "config file ok" in done.stderr + done.stdout
