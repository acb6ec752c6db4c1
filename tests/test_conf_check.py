"""`switchflow conf check`: each problem seeded into a rendered folder is found and explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_conf_render import (
    AGENTS,
    CC,
    DIALPLAN,
    ESL,
    FLOWS,
    KAMAILIO,
    agents_file,
    settings_from,
    several_nodes,
)

from cli.main import cli
from fsmod.config.check import check
from fsmod.config.render import FlowRoute, render

ROOT = Path(__file__).resolve().parents[1]
MODULES = "freeswitch/autoload_configs/modules.conf.xml"


@pytest.fixture
def rendered(tmp_path):
    settings = settings_from(tmp_path)
    out = tmp_path / "out"
    render(settings, FLOWS, agents_file(tmp_path, AGENTS), out)
    return settings, out


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def messages(found) -> list[str]:
    return [f"{f.file}: {f.message} | {f.help}" for f in found]


def test_a_fresh_render_checks_clean(rendered):
    settings, out = rendered
    assert check(out, settings, FLOWS) == []


def test_missing_file(rendered):
    settings, out = rendered
    (out / CC).unlink()
    assert messages(check(out, settings, FLOWS)) == [
        f"{CC}: missing | run `switchflow conf render --out DIR` again"]


def test_malformed_xml(rendered):
    settings, out = rendered
    edit(out / DIALPLAN, "</include>", "")
    [finding] = check(out, settings, FLOWS)
    assert finding.file == DIALPLAN and "not well-formed XML" in finding.message


def test_stock_password(rendered):
    settings, out = rendered
    edit(out / ESL, 'value="Gas-Hotline-7"', 'value="ClueCon"')
    [finding] = check(out, settings, FLOWS)
    assert "stock \"ClueCon\"" in finding.message and "esl.password" in finding.help


def test_empty_password(rendered):
    settings, out = rendered
    edit(out / ESL, 'value="Gas-Hotline-7"', 'value=""')
    [finding] = check(out, settings, FLOWS)
    assert finding.message == "the event-socket password is empty"


def test_password_other_than_the_services(rendered, tmp_path):
    _, out = rendered
    other = settings_from(tmp_path, env={"SWITCHFLOW_ESL_PASSWORD": "Another-Pass-1"})
    [finding] = check(out, other, FLOWS)
    assert "not esl.password" in finding.message and "refuse the control" in finding.message


def test_event_socket_port_and_acl(rendered):
    settings, out = rendered
    edit(out / ESL, 'value="8021"', 'value="8099"')
    edit(out / ESL, '<param name="apply-inbound-acl" value="127.0.0.1/32"/>', "")
    found = messages(check(out, settings, FLOWS))
    assert any("listen-port is '8099' but esl.port is 8021" in m for m in found)
    assert any("no apply-inbound-acl" in m for m in found)


def test_a_flow_number_not_routed(rendered):
    settings, out = rendered
    flows = [*FLOWS, FlowRoute("faxback", "flows/faxback.flow", ("8002",))]
    [finding] = check(out, settings, flows)
    assert finding.file == DIALPLAN
    assert "number 8002 of flow `faxback`" in finding.message and "not routed" in finding.message


def test_socket_address_not_the_services(rendered, tmp_path):
    _, out = rendered
    moved = settings_from(tmp_path, '[outbound]\nport = 9999\n')
    found = check(out, moved, FLOWS)
    assert len(found) == 2   # both extensions
    assert all("listens on 127.0.0.1:9999 ([outbound])" in f.message for f in found)
    assert "`socket 127.0.0.1:8084 async full`" in found[0].message


def test_queue_a_flow_uses_is_missing_or_unmapped(rendered):
    settings, out = rendered
    flows = [FlowRoute("x", "x.flow", ("95158",), (("vip", "vip@default"),)),
             FlowRoute("y", "y.flow", ("8001",), (("nowhere", None),))]
    found = messages(check(out, settings, flows))
    assert any("flow `x` (x.flow) queues to vip@default, which is not defined here" in m
               for m in found)
    assert any("queues to `nowhere`, which the settings' [queues] map to no" in m
               and 'add `nowhere = "NAME@DOMAIN"` under [queues]' in m for m in found)


def test_tier_naming_a_queue_not_defined(rendered):
    settings, out = rendered
    edit(out / CC, '<queue name="general@default">', '<queue name="generic@default">')
    found = messages(check(out, settings, FLOWS))
    assert any("queues to general@default, which is not defined here" in m for m in found)
    assert any("tier of agent 1001@default names queue general@default" in m for m in found)


def test_a_needed_module_removed(rendered):
    settings, out = rendered
    edit(out / MODULES, '<load module="mod_callcenter"/>', "")
    [finding] = check(out, settings, FLOWS)
    assert finding.message == "mod_callcenter is not loaded; switchflow needs it"


def test_kamailio_files_missing_or_wrong(tmp_path):
    settings = several_nodes(tmp_path)
    out = tmp_path / "out"
    render(settings, FLOWS, agents_file(tmp_path), out)
    assert check(out, settings, FLOWS) == []
    edit(out / "kamailio/dispatcher.list", "sip:10.0.0.12:5080", "sip:10.0.0.99:5080")
    found = messages(check(out, settings, FLOWS))
    assert any("lists ['10.0.0.11', '10.0.0.99', 'fs3.example.net'], but [nodes] are" in m
               for m in found)
    (out / "kamailio/dispatcher.list").unlink()
    assert "kamailio/dispatcher.list: missing" in messages(check(out, settings, FLOWS))[0]


@pytest.mark.skipif(KAMAILIO is None, reason="kamailio is not installed (Debian: kamailio)")
def test_kamailio_refusing_the_configuration(tmp_path):
    settings = several_nodes(tmp_path)
    out = tmp_path / "out"
    render(settings, FLOWS, agents_file(tmp_path), out)
    edit(out / "kamailio/kamailio.cfg", 'if (!ds_select_dst("1", "4")) {',
         'if (!ds_select_dst("1", "4") {')
    [finding] = check(out, settings, FLOWS)
    assert finding.file == "kamailio/kamailio.cfg"
    assert "`kamailio -c` refuses it" in finding.message


def test_cli_check_exit_status_and_output(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    env = {"SWITCHFLOW_ESL_PASSWORD": "Gas-Hotline-7", "SWITCHFLOW_CONFIG": None}
    runner = CliRunner()
    out = tmp_path / "conf"
    assert runner.invoke(cli, ["conf", "render", "--out", str(out)], env=env).exit_code == 0
    ok = runner.invoke(cli, ["conf", "check", str(out)], env=env)
    assert ok.exit_code == 0, ok.output
    assert "the configuration matches the settings and flows" in ok.output
    edit(out / ESL, 'value="Gas-Hotline-7"', 'value="ClueCon"')
    bad = runner.invoke(cli, ["conf", "check", str(out)], env=env)
    assert bad.exit_code == 1
    assert f"{ESL}: the event-socket password is FreeSWITCH's stock \"ClueCon\"" in bad.output
    assert "  help: set another esl.password" in bad.output
    assert "1 problem in" in bad.output
    missing = runner.invoke(cli, ["conf", "check", str(tmp_path / "nope")], env=env)
    assert missing.exit_code == 2 and "no such folder" in missing.output
