"""The settings `switchflow conf render` reads: defaults, and bad values named clearly."""

from __future__ import annotations

import pytest

from engine.settings import SettingsError, load_settings


def load(tmp_path, text="", env=None):
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, env=env or {})


def test_defaults(tmp_path):
    s = load(tmp_path)
    assert (s.outbound.host, s.outbound.port) == ("127.0.0.1", 8084)
    assert s.freeswitch.esl_listen == "127.0.0.1" and s.freeswitch.esl_allow == "127.0.0.1/32"
    assert s.freeswitch.context == "public" and s.freeswitch.sip_port == 5080
    assert s.freeswitch.sounds_dir == "/usr/share/freeswitch/sounds"
    assert s.trunk.name == "pstn" and s.trunk.proxy == "" and s.trunk.register is False
    assert (s.kamailio.port, s.kamailio.probe_interval) == (5060, 10_000)
    assert dict(s.nodes) == {}
    assert str(s.paths.callcenter) == "conf/callcenter.toml"
    assert str(s.paths.sounds) == "var/sounds"


def test_networks_are_normalised(tmp_path):
    s = load(tmp_path, '[freeswitch]\nesl_allow = " 10.0.0.7/24 ,127.0.0.1/32"\n')
    assert s.freeswitch.esl_allow == "10.0.0.0/24,127.0.0.1/32"


@pytest.mark.parametrize("text, message", [
    ('[freeswitch]\nesl_allow = "10.0.0.1"\n', "'10.0.0.1' has no /PREFIX"),
    ('[freeswitch]\nesl_allow = "10.0.0.0/24,lan"\n', "'lan' has no /PREFIX"),
    ('[freeswitch]\nesl_allow = "300.0.0.0/8"\n', "'300.0.0.0/8' is not a network"),
    ('[freeswitch]\nsounds_dir = "sounds"\n', "freeswitch.sounds_dir = \"sounds\": expected an "
                                              "absolute path"),
    ('[freeswitch]\nrecordings_dir = "/var/rec ${x}"\n', "expected an absolute path"),
    ('[freeswitch]\ncontext = "pub lic"\n', "expected a dialplan context"),
    ('[trunk]\nproxy = "sip.example\\"/><x a=\\""\n', "expected a host or host:port"),
    ('[trunk]\nusername = "a b"\n', "expected a SIP user name"),
    ('[kamailio]\nprobe_interval = "100ms"\n', "kamailio.probe_interval"),
    ('[nodes]\n"fs 1" = "10.0.0.1"\n', 'key "fs 1" is not a node name'),
    ('[nodes]\nfs1 = "10.0.0.1:5080"\n', "nodes.fs1 = \"10.0.0.1:5080\": expected a FreeSWITCH"),
    ('[outbound]\nhost = "1.2.3.4 async"\n', "outbound.host"),
])
def test_bad_values_are_named(tmp_path, text, message):
    with pytest.raises(SettingsError) as err:
        load(tmp_path, text)
    assert message in str(err.value)


def test_trunk_password_from_the_environment_and_never_shown(tmp_path):
    s = load(tmp_path, env={"SWITCHFLOW_TRUNK_PASSWORD": "sekrit"})
    assert s.trunk.password == "sekrit" and "sekrit" not in repr(s.trunk)
    with pytest.raises(SettingsError) as err:
        load(tmp_path, env={"SWITCHFLOW_TRUNK_PASSWORD": "se\nkrit"})
    assert "(hidden)" in str(err.value) and "se\nkrit" not in str(err.value)


def test_nodes_only_in_files(tmp_path):
    with pytest.raises(SettingsError, match=r"\[nodes\] is set in a settings file only"):
        load(tmp_path, env={"SWITCHFLOW_NODES_FS1": "10.0.0.1"})
