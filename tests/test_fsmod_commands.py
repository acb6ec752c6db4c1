"""Command builders: the captured forms exactly, and every hostile value refused.

A builder either returns a command FreeSWITCH reads as intended or raises
CommandValueError naming the field. The injection payloads are what a
caller, a database row or a web form could carry: line breaks (a second
command), `${…}` (an API call on expansion), `!` (another file), `|`, `&`,
quotes, commas and braces (more channel variables), very long text.
"""

from __future__ import annotations

import eslcaptures
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmod.commands import CommandValueError, Sound, apps, control, execute, hangup
from fsmod.commands import api as fsapi
from fsmod.esl import FrameParser, encode_frame
from fsmod.vocab import EventName, HangupCause

U1 = "1e9f3b3a-d758-4a65-a61c-86a5b08fde2f"
U2 = "b478f2a3-001c-44f2-bb5f-73f3c8d567df"


def _sent(name: str) -> list[bytes]:
    return eslcaptures.sent(name)


# ---- the captured forms ------------------------------------------------------------------

def test_execute_writes_the_captured_sendmsg_layout():
    raw = next(r for r in _sent("outbound-dtmf-bargein") if b"play_and_get_digits" in r)
    event_uuid = raw.decode().split("Event-UUID: ")[1].strip()
    call = apps.play_and_get_digits(
        min_digits=1, max_digits=6, tries=1, timeout_ms=4000, terminators_keys="#",
        prompt=Sound.tone(8000, 0, 440), invalid=Sound.silence(250), variable="sf_pin",
        digit_timeout_ms=3000)
    built = execute(call, event_uuid=event_uuid)
    assert encode_frame(built.frame) == raw
    assert built.event_uuid == event_uuid


def test_an_application_without_argument_has_no_arg_line():
    raw = _sent("outbound-dtmf-bargein")[3]
    event_uuid = raw.decode().split("Event-UUID: ")[1].strip()
    assert encode_frame(execute(apps.answer(), event_uuid=event_uuid).frame) == raw


def test_each_execute_gets_its_own_event_uuid():
    first, second = execute(apps.answer()), execute(apps.answer())
    assert first.event_uuid != second.event_uuid
    assert first.frame.get("Event-UUID") == first.event_uuid


@pytest.mark.parametrize("built, captured", [
    (apps.playback_terminators("#"), "playback_terminators=#"),
    (apps.set_var("sf_account", "12345678"), "sf_account=12345678"),
    (apps.cc_export_vars(["sf_account"]), "cc_export_vars=sf_account"),
    (apps.set_var("continue_on_fail", "true"), "continue_on_fail=true"),
])
def test_set_arguments_are_the_captured_ones(built, captured):
    assert (built.app, built.arg) == ("set", captured)


def test_other_application_arguments_are_the_captured_ones():
    assert apps.hangup().arg == "NORMAL_CLEARING"
    assert apps.sleep(2000).arg == "2000"
    assert apps.callcenter("support@default").arg == "support@default"
    assert apps.record("/srv/rec/sf-until-silence.wav", 20, 200, 2).arg == \
        "/srv/rec/sf-until-silence.wav 20 200 2"
    assert apps.record_session("/srv/rec/sf-session.wav").arg == "/srv/rec/sf-session.wav"
    assert apps.txfax("/srv/fax1.tif").arg == "/srv/fax1.tif"
    assert apps.bridge("loopback/7019", {"leg_timeout": "3"}).arg == "[leg_timeout=3]loopback/7019"
    assert apps.speak("flite", "kal", "Your balance is ninety six yuan").arg == \
        "flite|kal|Your balance is ninety six yuan"
    assert apps.sched_hangup(600).arg == "+600 ALLOTTED_TIMEOUT"


def test_an_empty_terminator_is_sent_as_none_never_empty():
    """mod_dptools turns an empty terminator into `#`: "no terminator" must be a word."""
    call = apps.play_and_get_digits(
        min_digits=1, max_digits=1, timeout_ms=5000, terminators_keys="",
        prompt=Sound.file("/p/zh-CN/main_menu.wav"), variable="sf_key", digit_timeout_ms=3000)
    assert call.arg.split(" ")[4] == "none"
    assert apps.playback_terminators("").arg == "playback_terminators=none"
    assert "None" not in call.arg.split(" ")


def test_play_and_get_digits_never_sends_a_transfer_argument():
    call = apps.play_and_get_digits(
        min_digits=1, max_digits=4, timeout_ms=3000, terminators_keys="#",
        prompt=Sound.tone(100, 0, 600), invalid=Sound.tone(100, 0, 300), variable="acct",
        digit_timeout_ms=2000, tries=2)
    assert call.arg == ("1 4 2 3000 # tone_stream://%(100,0,600) tone_stream://%(100,0,300) "
                        "acct \\d+ 2000")


def test_prompt_lists_are_one_file_string():
    sound = Sound.files(["/p/zh-CN/say/3.wav", "/p/zh-CN/say/10.wav", "/p/zh-CN/say/2.wav"])
    assert sound.uri == "file_string:///p/zh-CN/say/3.wav!/p/zh-CN/say/10.wav!/p/zh-CN/say/2.wav"
    assert apps.playback(sound).arg == sound.uri
    assert Sound.files(["/p/a.wav"]).uri == "/p/a.wav"


@pytest.mark.parametrize("capture", ["inbound-originate-outcomes", "inbound-control"])
def test_originate_lines_are_the_captured_ones(capture):
    lines = {r.decode().split("\n")[0] for r in _sent(capture) if r.startswith(b"bgapi originate")}
    built = fsapi.originate(
        "loopback/7017", apps.AppCall("park"),
        variables={"origination_caller_id_number": "13800000011", "sf_campaign": "7",
                   "sf_target": "42"})
    other = fsapi.originate(
        "loopback/7000", apps.AppCall("park"),
        variables={"origination_caller_id_number": "13800000001"})
    frame, job = built.bgapi()
    assert frame.get("Job-UUID") == job
    assert ("bgapi " + built.text in lines) or ("bgapi " + other.text in lines)


def test_originate_into_the_outbound_socket_keeps_its_spaces_in_one_token():
    cmd = fsapi.originate("loopback/7000", fsapi.socket_app("127.0.0.1", 8084),
                          variables={"sf_flow": "dunning"})
    assert cmd.text == (
        "originate {sf_flow=dunning}loopback/7000 '&socket(127.0.0.1:8084 async full)'")


def test_call_control_lines_are_the_captured_ones():
    lines = {r.decode().split("\n")[0] for r in _sent("inbound-call-control")}
    for built in [
        fsapi.uuid_getvar(U1, "sf_note"), fsapi.uuid_hold(U1),
        fsapi.uuid_hold(U1, fsapi.Hold.OFF), fsapi.uuid_hold(U1, fsapi.Hold.TOGGLE),
        fsapi.uuid_bridge(U1, U2), fsapi.uuid_transfer(U2, "7600"),
        fsapi.uuid_kill(U1), fsapi.uuid_kill(U2, HangupCause.USER_BUSY),
        fsapi.uuid_broadcast(U1, Sound.tone(500, 0, 800)),
        fsapi.uuid_setvar(U1, "sf_note", "hello world"),
    ]:
        assert "api " + built.text in lines, built.text
    spy = fsapi.eavesdrop("loopback/7402", U1, variables={
        "origination_caller_id_number": "13800000049", "sf_call": "spy"})
    assert "bgapi " + spy.text in lines


def test_callcenter_config_lines_are_the_captured_ones():
    lines = {r.decode().split("\n")[0] for r in _sent("inbound-callcenter-control")}
    lines |= {r.decode().split("\n")[0] for r in _sent("inbound-callcenter-agent-answers")}
    for built in [
        fsapi.cc_agent_add("1001@default"),
        fsapi.cc_agent_contact("1001@default", "loopback/9664"),
        fsapi.cc_agent_contact("1002@default", "loopback/7100", {"leg_timeout": "10"}),
        fsapi.cc_agent_status("1001@default", fsapi.AgentStatus.AVAILABLE),
        fsapi.cc_agent_status("1001@default", fsapi.AgentStatus.ON_BREAK),
        fsapi.cc_agent_state("1001@default", fsapi.AgentState.WAITING),
        fsapi.cc_tier_add("support@default", "1001@default"),
        fsapi.cc_queue_list("support@default", "agents"),
        fsapi.cc_queue_list("sales@default"),
        fsapi.cc_agent_get("1002@default", "status"),
        fsapi.cc_agent_del("1001@default"),
    ]:
        assert "api " + built.text in lines, built.text


def test_socket_commands_are_the_captured_ones():
    lines = {r.decode().split("\n")[0] for r in _sent("inbound-control")}
    assert control.event(
        [EventName.BACKGROUND_JOB, EventName.CHANNEL_CREATE, EventName.CHANNEL_ANSWER,
         EventName.CHANNEL_HANGUP_COMPLETE, EventName.HEARTBEAT],
        ["callcenter::info", "spandsp::txfaxresult"]).command in lines
    assert control.filter_add("Event-Name", "BACKGROUND_JOB").command in lines
    assert control.filter_delete("Event-Name", "BACKGROUND_JOB").command in lines
    assert control.auth("ClueCon").command in lines
    assert control.linger(5).command == "linger 5"
    assert hangup(HangupCause.USER_BUSY).get("hangup-cause") == "USER_BUSY"


# ---- injection -----------------------------------------------------------------------------

PAYLOADS = [
    "1\n\napi system rm -rf /",
    "x\ncall-command: hangup",
    "x\r\nEvent-UUID: 00000000-0000-0000-0000-000000000000",
    "${system(id)}",
    "$${hold_music}",
    "a!/etc/passwd",
    "flite|kal|evil",
    "a&park()",
    "it's",
    'say "hi"',
    "a,origination_caller_id_number=110",
    "{sf_flow=evil}",
    "[leg_timeout=1]",
    "x" * 100_000,
    "back\\slash",
    "tab\there",
    "nul\x00",
]

BUILDERS = {
    "set value": lambda v: apps.set_var("sf_name", v),
    "set name": lambda v: apps.set_var(v, "1"),
    "export value": lambda v: apps.export_var("sf_name", v),
    "playback file": lambda v: apps.playback(Sound.file(v)),
    "file_string part": lambda v: Sound.files(["/p/a.wav", v]),
    "sound uri": lambda v: Sound(v),
    "speak text": lambda v: apps.speak("flite", "kal", v),
    "digits variable": lambda v: apps.play_and_get_digits(
        min_digits=1, max_digits=4, timeout_ms=3000, terminators_keys="#",
        prompt=Sound.file("/p/a.wav"), variable=v, digit_timeout_ms=2000),
    "digits regex": lambda v: apps.play_and_get_digits(
        min_digits=1, max_digits=4, timeout_ms=3000, terminators_keys="#",
        prompt=Sound.file("/p/a.wav"), variable="x", digit_timeout_ms=2000, regex=v),
    "terminators": lambda v: apps.terminators(v),
    "originate variable": lambda v: fsapi.originate(
        "loopback/7000", apps.AppCall("park"), variables={"sf_target": v}),
    "originate caller id": lambda v: fsapi.originate(
        "loopback/7000", apps.AppCall("park"), variables={"origination_caller_id_number": v}),
    "originate endpoint": lambda v: fsapi.originate(v, apps.AppCall("park")),
    "originate extension": lambda v: fsapi.originate("loopback/7000", v),
    "bridge endpoint": lambda v: apps.bridge(v),
    "transfer destination": lambda v: fsapi.uuid_transfer(U1, v),
    "kill uuid": lambda v: fsapi.uuid_kill(v),
    "send dtmf keys": lambda v: fsapi.uuid_send_dtmf(U1, v),
    "setvar value": lambda v: fsapi.uuid_setvar(U1, "sf_note", v),
    "agent name": lambda v: fsapi.cc_agent_add(v),
    "queue": lambda v: apps.callcenter(v),
    "record path": lambda v: apps.record_session(v),
    "fax path": lambda v: apps.txfax(v),
    "filter value": lambda v: control.filter_add("Event-Name", v),
    "event subclass": lambda v: control.event([EventName.CUSTOM], [v]),
}


INERT = {
    # `set`/`export` arguments are expanded but never split: only `$` and braces act
    "set value": {5, 6, 7, 8, 9, 10, 12, 14},
    "export value": {5, 6, 7, 8, 9, 10, 12, 14},
    # uuid_setvar's arguments are split FreeSWITCH's way: quotes and \\ would be stripped
    "setvar value": {5, 6, 7, 10, 12},
    # speak splits on | only; TTS reads the rest as words
    "speak text": {5, 7, 8, 9, 10, 12, 14},
}


@pytest.mark.parametrize("field", sorted(BUILDERS))
@pytest.mark.parametrize("index", range(len(PAYLOADS)))
def test_every_injection_payload_is_refused_or_inert(field, index):
    payload = PAYLOADS[index]
    if index in INERT.get(field, ()):
        built = BUILDERS[field](payload)
        text = built.arg if isinstance(built, apps.AppCall) else built.text
        assert text.endswith(payload)          # carried as one literal value, at the end
        return
    with pytest.raises(CommandValueError) as caught:
        BUILDERS[field](payload)
    assert caught.value.field       # the error names the field an operator must fix


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_a_password_is_never_expanded_so_only_line_breaks_spaces_and_length_are_refused(payload):
    if any(ch.isspace() or ord(ch) < 32 for ch in payload) or len(payload) > 128:
        with pytest.raises(CommandValueError):
            control.auth(payload)
    else:
        assert control.auth(payload).command == f"auth {payload}"


def test_the_error_message_names_the_field_and_the_problem():
    with pytest.raises(CommandValueError, match=r"^sf_name: control characters"):
        apps.set_var("sf_name", "a\nb")
    with pytest.raises(CommandValueError, match=r"'\$' would be expanded"):
        apps.set_var("sf_name", "${x}")


@pytest.mark.parametrize("bad", [
    dict(timeout_ms=500), dict(min_digits=5, max_digits=4), dict(tries=0),
    dict(digit_timeout_ms=0), dict(terminators_keys="##"), dict(terminators_keys="x"),
])
def test_digit_requests_freeswitch_would_change_are_refused(bad):
    args = dict(min_digits=1, max_digits=4, timeout_ms=3000, terminators_keys="#",
                prompt=Sound.file("/p/a.wav"), variable="x", digit_timeout_ms=2000) | bad
    with pytest.raises(CommandValueError):
        apps.play_and_get_digits(**args)


def test_paths_cannot_climb_out_of_their_folder():
    with pytest.raises(CommandValueError):
        Sound.file("/srv/prompts/../../etc/shadow")


_BUILT = st.sampled_from(sorted(BUILDERS))


@settings(max_examples=400, deadline=None)
@given(field=_BUILT, text=st.text(max_size=60))
def test_any_text_is_refused_or_becomes_one_inert_command(field, text):
    """Whatever the text, the result is a CommandValueError or one command that
    reads back as itself, with no line break, no `${` and no extra `!`/`|`."""
    try:
        built = BUILDERS[field](text)
    except CommandValueError:
        return
    if isinstance(built, apps.AppCall):
        frame, arg = execute(built).frame, built.arg
    elif isinstance(built, Sound):
        frame, arg = execute(apps.playback(built)).frame, built.uri
    elif isinstance(built, str):
        return      # a terminator set: only phone keys get here
    elif isinstance(built, fsapi.ApiCommand):
        frame, arg = built.api(), built.text
    else:
        frame, arg = built, built.command
    raw = encode_frame(frame)
    parsed = FrameParser(from_client=True).feed(raw)
    assert len(parsed) == 1 and encode_frame(parsed[0]) == raw
    assert "\n" not in arg and "\r" not in arg and "${" not in arg
    if text:
        assert text in arg
    if field in ("file_string part", "sound uri", "playback file"):
        assert "!" not in text
    if field == "speak text":
        assert "|" not in text
