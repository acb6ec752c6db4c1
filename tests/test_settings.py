"""Settings: shipped defaults, the user's file, environment overrides, and every error."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from pathlib import Path

import pytest

from engine.calendars.clock import get_zone
from engine.settings import (
    CONFIG_ENV,
    DEFAULT_QUEUES,
    DEFAULTS_PATH,
    MAP_SECTIONS,
    SCHEMA,
    Settings,
    SettingsError,
    load_settings,
)


@pytest.fixture
def toml(tmp_path: Path):
    """Write a user settings file and return its path."""
    def write(text: str, name: str = "x.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write


def error_of(path=None, env=None) -> str:
    with pytest.raises(SettingsError) as info:
        load_settings(path, env=env or {})
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# ---------------------------------------------------------------- defaults and layers


def test_defaults():
    s = load_settings(env={})
    assert isinstance(s, Settings)
    assert s.engine.timezone == "Asia/Shanghai"
    assert s.engine.max_steps == 1000
    assert s.engine.lookup_timeout == 3000
    assert s.engine.default_lang == "zh-CN"
    assert s.engine.demo is False
    assert s.engine.cpu_budget == 2000
    assert (s.sim.caller, s.sim.called) == ("13800000000", "95158")
    assert s.sim.start == dt.datetime(2026, 11, 23, 10, 0)
    assert s.sim.start.weekday() == 0                       # a Monday
    assert s.paths.flows == Path("flows") and s.paths.prompts == Path("prompts")
    assert s.paths.outbox == Path("var/outbox")
    assert s.paths.sla == Path("conf/sla.toml")
    assert s.paths.catalog == Path("flows/catalog.toml")
    assert s.store.url == "sqlite:///var/switchflow.db"
    assert (s.store.pin_max_failures, s.store.pin_lockout) == (5, 30 * 60_000)
    assert (s.esl.host, s.esl.port, s.esl.password) == ("127.0.0.1", 8021, "")
    assert (s.serve.metrics_host, s.serve.metrics_port) == ("127.0.0.1", 9464)
    assert (s.serve.drain, s.serve.log_format, s.serve.watcher_interval) == (30_000, "kv", 30_000)
    assert s.sources == (str(DEFAULTS_PATH),)


def test_shipped_file_lists_every_key_with_the_schema_default():
    shipped = tomllib.loads(DEFAULTS_PATH.read_text(encoding="utf-8"))
    expected = {s: set(k) for s, k in SCHEMA.items()}
    expected.update({s: set(defaults) for s, (_, _, _, defaults) in MAP_SECTIONS.items()})
    assert {s: set(t) for s, t in shipped.items()} == expected
    for section, keys in SCHEMA.items():
        for key, spec in keys.items():
            assert shipped[section][key] == spec.default, f"{section}.{key}"
    for section, (_, _, _, defaults) in MAP_SECTIONS.items():
        assert shipped[section] == defaults, section


def test_sections_are_frozen():
    s = load_settings(env={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.engine.max_steps = 5  # type: ignore[misc]


def test_user_file_overrides_only_what_it_sets(toml):
    path = toml('[engine]\nmax_steps = 500\ntimezone = "Europe/London"\n'
                '[sim]\nstart = "2026-07-13 09:30"\n[store]\nurl = "postgresql://sf@db/sf"\n')
    s = load_settings(path, env={})
    assert s.engine.max_steps == 500
    assert s.engine.timezone == "Europe/London"
    assert s.engine.lookup_timeout == 3000                  # untouched
    assert s.store.url == "postgresql://sf@db/sf"
    assert s.sim_start() == dt.datetime(2026, 7, 13, 9, 30, tzinfo=get_zone("Europe/London"))
    assert s.sim_start().utcoffset() == dt.timedelta(hours=1)
    assert s.sources == (str(DEFAULTS_PATH), str(path))


def test_toml_native_local_datetime_is_accepted(toml):
    s = load_settings(toml("[sim]\nstart = 2026-11-24T08:00:00\n"), env={})
    assert s.sim.start == dt.datetime(2026, 11, 24, 8, 0)


def test_config_env_names_the_file_and_path_argument_wins(toml):
    from_env = toml("[engine]\nmax_steps = 700\n", "env.toml")
    given = toml("[engine]\nmax_steps = 800\n", "given.toml")
    assert load_settings(env={CONFIG_ENV: str(from_env)}).engine.max_steps == 700
    assert load_settings(given, env={CONFIG_ENV: str(from_env)}).engine.max_steps == 800


def test_environment_beats_file(toml):
    path = toml('[engine]\nmax_steps = 500\ntimezone = "Europe/London"\n')
    env = {"SWITCHFLOW_ENGINE_TIMEZONE": "UTC", "SWITCHFLOW_ENGINE_MAX_STEPS": "2000",
           "SWITCHFLOW_ENGINE_LOOKUP_TIMEOUT": "1500ms", "SWITCHFLOW_ENGINE_DEMO": "yes",
           "SWITCHFLOW_ESL_PORT": "8022", "SWITCHFLOW_PATHS_FLOWS": "/srv/flows",
           "SWITCHFLOW_PATHS_PROMPTS": "/srv/prompts", "SWITCHFLOW_ESL_PASSWORD": "s3cret"}
    s = load_settings(path, env=env)
    assert s.engine.timezone == "UTC"
    assert s.engine.max_steps == 2000
    assert s.engine.lookup_timeout == 1500
    assert s.engine.demo is True
    assert s.esl.port == 8022
    assert s.paths.flows == Path("/srv/flows")
    assert s.paths.prompts == Path("/srv/prompts")
    assert s.esl_password() == "s3cret"
    assert "SWITCHFLOW_ENGINE_MAX_STEPS" in s.sources


def test_unrelated_switchflow_variables_are_left_alone():
    s = load_settings(env={"SWITCHFLOW_LOG_LEVEL": "debug", "PATH": "/bin"})
    assert s.engine.max_steps == 1000


# ---------------------------------------------------------------- the ESL password


def test_password_must_be_set_except_in_demo_mode():
    s = load_settings(env={})
    with pytest.raises(SettingsError, match=r"esl.password is not set.*SWITCHFLOW_ESL_PASSWORD"):
        s.esl_password()
    demo = load_settings(env={"SWITCHFLOW_ENGINE_DEMO": "true"})
    assert demo.esl_password() == "ClueCon"


def test_password_never_shown(toml):
    s = load_settings(toml('[esl]\npassword = "hunter2"\n'), env={})
    assert s.esl_password() == "hunter2"
    assert "hunter2" not in repr(s)
    message = error_of(env={"SWITCHFLOW_ESL_PASSWORD": "hunter2\nexit"})
    assert message == ("SWITCHFLOW_ESL_PASSWORD: esl.password = (hidden): "
                       "expected a password without line breaks or control characters")


# ---------------------------------------------------------------- bad values


@pytest.mark.parametrize(("text", "message"), [
    ('[engine]\nmax_steps = "abc"',
     'engine.max_steps = "abc": expected a whole number 10..1000000'),
    ("[engine]\nmax_steps = 5",
     "engine.max_steps = 5: expected a whole number 10..1000000"),
    ("[engine]\nmax_steps = 2000000",
     "engine.max_steps = 2000000: expected a whole number 10..1000000"),
    ("[engine]\nmax_steps = true",
     "engine.max_steps = true: expected a whole number 10..1000000"),
    ("[engine]\nmax_steps = 10.5",
     "engine.max_steps = 10.5: expected a whole number 10..1000000"),
    ('[engine]\nlookup_timeout = "3 seconds"',
     'engine.lookup_timeout = "3 seconds": expected a duration such as "3s" (100ms..1m)'),
    ("[engine]\nlookup_timeout = 3",
     'engine.lookup_timeout = 3: expected a duration such as "3s" (100ms..1m)'),
    ('[engine]\nlookup_timeout = "2m"',
     'engine.lookup_timeout = "2m": expected a duration such as "3s" (100ms..1m)'),
    ('[engine]\ntimezone = "Asia/Shangai"',
     'engine.timezone = "Asia/Shangai": expected a known IANA time zone such as '
     '"Asia/Shanghai" or "UTC"; did you mean `Asia/Shanghai`?'),
    ('[engine]\ntimezone = "Nowhere"',
     'engine.timezone = "Nowhere": expected a known IANA time zone such as '
     '"Asia/Shanghai" or "UTC"'),
    ('[engine]\ndefault_lang = "chinese"',
     'engine.default_lang = "chinese": expected a language tag such as "zh-CN" or "en-US"'),
    ('[engine]\ndemo = "yes"', 'engine.demo = "yes": expected true or false'),
    ('[sim]\ncaller = 13800000000',
     'sim.caller = 13800000000: expected a phone number such as "13800000000"'),
    ('[sim]\ncalled = "95-158"', 'sim.called = "95-158": expected a phone number such as "95158"'),
    ('[sim]\nstart = "next monday"',
     'sim.start = "next monday": expected a local date and time "YYYY-MM-DD HH:MM"'),
    ('[sim]\nstart = "2026-02-30 10:00"',
     'sim.start = "2026-02-30 10:00": expected a local date and time "YYYY-MM-DD HH:MM"'),
    ("[sim]\nstart = 2026-11-23T10:00:00+08:00",
     'sim.start = 2026-11-23T10:00:00+08:00: expected a local date and time "YYYY-MM-DD HH:MM"'),
    ('[paths]\nflows = ""', 'paths.flows = "": expected a directory path'),
    ('[paths]\ncatalog = 3', 'paths.catalog = 3: expected a file path'),
    ('[store]\nurl = "mysql://x"',
     'store.url = "mysql://x": expected a database URL ("sqlite:///FILE" or '
     '"postgresql://USER@HOST/DB")'),
    ('[esl]\nhost = "fs 1"', 'esl.host = "fs 1": expected a host name or address such as '
     '"127.0.0.1"'),
    ("[esl]\nport = 70000", "esl.port = 70000: expected a whole number 1..65535"),
    ('[esl]\nport = "8021"', 'esl.port = "8021": expected a whole number 1..65535'),
])
def test_bad_value_in_file_names_file_key_value_and_expectation(toml, text, message):
    path = toml(text + "\n")
    assert error_of(path) == f"{path}: {message}"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SWITCHFLOW_ENGINE_MAX_STEPS", "abc",
     'engine.max_steps = "abc": expected a whole number 10..1000000'),
    ("SWITCHFLOW_ENGINE_MAX_STEPS", "5", "engine.max_steps = 5: expected a whole number "
     "10..1000000"),
    ("SWITCHFLOW_ENGINE_TIMEZONE", "Europe/Londn",
     'engine.timezone = "Europe/Londn": expected a known IANA time zone such as '
     '"Asia/Shanghai" or "UTC"; did you mean `Europe/London`?'),
    ("SWITCHFLOW_ENGINE_DEMO", "maybe", 'engine.demo = "maybe": expected true or false'),
    ("SWITCHFLOW_ENGINE_LOOKUP_TIMEOUT", "3", 'engine.lookup_timeout = "3": expected a '
     'duration such as "3s" (100ms..1m)'),
    ("SWITCHFLOW_ENGINE_CPU_BUDGET", "2h", 'engine.cpu_budget = "2h": expected a '
     'duration such as "3s" (10ms..1m)'),
])
def test_bad_value_in_environment_names_the_variable(name, value, message):
    assert error_of(env={name: value}) == f"{name}: {message}"


def test_environment_error_wins_over_a_good_file(toml):
    path = toml("[engine]\nmax_steps = 500\n")
    assert error_of(path, {"SWITCHFLOW_ENGINE_MAX_STEPS": "lots"}).startswith(
        "SWITCHFLOW_ENGINE_MAX_STEPS: engine.max_steps")


# ---------------------------------------------------------------- bad keys and files


def test_unknown_key_with_did_you_mean(toml):
    path = toml("[engine]\nmax_step = 10\n")
    assert error_of(path) == f"{path}: unknown key engine.max_step; did you mean `max_steps`?"


def test_unknown_key_without_a_close_name_lists_the_keys(toml):
    path = toml("[esl]\nusername = \"fs\"\n")
    assert error_of(path) == (
        f"{path}: unknown key esl.username; [esl] has host, port, password, "
        "api_timeout, heartbeat_interval, heartbeat_misses, reconnect_min, reconnect_max, "
        "lost_grace")


def test_unknown_section(toml):
    path = toml("[engin]\nmax_steps = 10\n")
    assert error_of(path) == f"{path}: unknown section [engin]; did you mean [engine]?"
    path = toml("[web]\nport = 80\n", "web.toml")
    assert error_of(path) == (f"{path}: unknown section [web]; sections are "
                              "[engine], [sim], [paths], [store], [esl], [dial], [outbound], "
                              "[freeswitch], [trunk], [kamailio], [reports], "
                              "[serve], [fax], [dispatch], [panel], [campaigns], [queues], [nodes]")


def test_section_written_as_a_value(toml):
    path = toml("engine = 5\n")
    assert error_of(path) == f"{path}: `engine` must be a section ([engine]), not a value"


def test_unknown_environment_setting_with_did_you_mean():
    assert error_of(env={"SWITCHFLOW_ENGINE_MAXSTEPS": "10"}) == (
        "SWITCHFLOW_ENGINE_MAXSTEPS: not a setting; did you mean `SWITCHFLOW_ENGINE_MAX_STEPS`?")
    assert error_of(env={"SWITCHFLOW_ENIGNE_TIMEZONE": "UTC"}) == (
        "SWITCHFLOW_ENIGNE_TIMEZONE: not a setting; did you mean `SWITCHFLOW_ENGINE_TIMEZONE`?")


def test_missing_unreadable_and_invalid_files(toml, tmp_path):
    missing = tmp_path / "nope.toml"
    assert error_of(missing) == f"{missing}: no such settings file"
    assert error_of(env={CONFIG_ENV: str(missing)}) == f"{missing}: no such settings file"
    assert error_of(tmp_path) == f"{tmp_path}: is a directory, not a settings file"
    broken = toml("[engine\nmax_steps = 10\n")
    assert error_of(broken).startswith(f"{broken}: not valid TOML: ")
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[sim]\ncaller = "é"\n'.encode("latin-1"))
    assert error_of(latin).startswith(f"{latin}: not valid TOML")


# ---------------------------------------------------------------- dial strings and queues


def test_dial_templates_and_queues_have_defaults_every_shipped_queue_resolves():
    from engine.actions.queue import callcenter_queue
    from engine.catalog import load_catalog

    s = load_settings(env={})
    assert s.dial.number == "sofia/gateway/pstn/{target}"
    assert s.dial.sip == "sofia/internal/{target}"
    assert dict(s.queues) == DEFAULT_QUEUES
    for name in load_catalog().queues:
        assert callcenter_queue(s.queues, name, None), name
    assert callcenter_queue(s.queues, "business", "accounts") == "business_accounts@default"
    assert callcenter_queue(s.queues, "business", "unknown_skill") == "business@default"


def test_a_users_queues_add_to_the_shipped_ones_and_dial_comes_from_the_environment(toml):
    path = toml('[queues]\ngeneral = "support@hotline"\n"complaints/confidential" = '
                '"confidential@hotline"\n')
    s = load_settings(path, env={"SWITCHFLOW_DIAL_NUMBER": "sofia/gateway/carrier2/{target}"})
    assert s.queues["general"] == "support@hotline"
    assert s.queues["complaints/confidential"] == "confidential@hotline"
    assert s.queues["emergency"] == "emergency@default"          # kept from the defaults
    assert s.dial.number == "sofia/gateway/carrier2/{target}"


@pytest.mark.parametrize(("text", "message"), [
    ('[queues]\ngeneral = "general"',
     'queues.general = "general": expected a mod_callcenter queue such as "support@default"'),
    ('[queues]\n"General Enquiries" = "general@default"',
     '[queues] key "General Enquiries" is not a flow\'s queue name, or "QUEUE/SKILL"'),
    ('[dial]\nnumber = "sofia/gateway/pstn/"',
     'dial.number = "sofia/gateway/pstn/": expected a FreeSWITCH dial string with one {target} '
     'and no spaces, such as "sofia/gateway/pstn/{target}"'),
    ('[dial]\nsip = "sofia/internal/{target} &park()"',
     'dial.sip = "sofia/internal/{target} &park()": expected a FreeSWITCH dial string with one '
     '{target} and no spaces, such as "sofia/internal/{target}"'),
])
def test_bad_queues_and_dial_strings(toml, text, message):
    path = toml(text + "\n")
    assert error_of(path) == f"{path}: {message}"


def test_queues_cannot_come_from_the_environment():
    assert error_of(env={"SWITCHFLOW_QUEUES_GENERAL": "x@default"}) == (
        "SWITCHFLOW_QUEUES_GENERAL: [queues] is set in a settings file only "
        "(its keys are the flows' names)")


def test_switchflow_db_sets_the_store_url():
    s = load_settings(env={"SWITCHFLOW_DB": "postgresql://sf@127.0.0.1/sf"})
    assert s.store.url == "postgresql://sf@127.0.0.1/sf"
    assert "SWITCHFLOW_DB" in s.sources
    assert "SWITCHFLOW_DB" in error_of(env={"SWITCHFLOW_DB": "mysql://x"})


def test_switchflow_db_and_store_url_together_are_refused():
    message = error_of(env={"SWITCHFLOW_DB": "sqlite:///a.db",
                            "SWITCHFLOW_STORE_URL": "sqlite:///b.db"})
    assert "SWITCHFLOW_DB" in message and "SWITCHFLOW_STORE_URL" in message
