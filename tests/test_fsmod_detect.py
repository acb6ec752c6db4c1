"""Answering-machine and fax-tone detection over the wire against the fake
FreeSWITCH: a campaign line asking for it (sf_detect=machine) subscribes to
CUSTOM avmd::beep and DETECTED_TONE and starts mod_avmd and mod_spandsp's
fax detector; a beep or a fax tone stops the prompt and sends the session to
its machine node, whether it was playing or busy in a lookup."""

from __future__ import annotations

import gevent
from test_fsmod_channel import path, prompt, rig  # noqa: F401 - the fixture

from engine.control import MachineDetected
from engine.interrupt import LineGuard
from fsmod.channel import ESLChannel
from fsmod.fake.script import CallScript

DETECT = {"sf_flow": "interruption_notice", "sf_campaign": "interruption_notice",
          "sf_target": "7", "sf_detect": "machine"}


def _machine_handler(during_lookup: bool = False):
    def handler(ch: ESLChannel):
        guard = LineGuard(ch, machine_node="machine_message")
        guard.arm()
        try:
            guard.machine_ready()                      # the flow's steps begin
            guard.answer()
            if during_lookup:
                gevent.sleep(10)                       # a slow lookup
            else:
                guard.play(prompt("long"))
                guard.play(prompt("after"))
            return "no machine"
        except MachineDetected as machine:
            guard.play(prompt("message"))              # the machine node's prompt
            return (machine.node, machine.tone)
        finally:
            guard.disarm()
    return handler


def _commands(call) -> list[str]:
    return [f.command for f in call.commands]


def test_a_beep_during_a_prompt_stops_it_and_the_session_goes_to_the_machine_node(rig):  # noqa: F811
    r = rig(_machine_handler())
    call = r.call(CallScript(variables=dict(DETECT), machine_at=1.0, hangup_at=30,
                             durations={path("long"): 20.0}), timeout=10)
    assert r.results[call.uuid] == ("machine_message", "beep")
    assert "event plain DETECTED_TONE CUSTOM avmd::beep" in _commands(call)
    sent = r.sent(call)
    assert ("avmd_start", "") in sent
    assert ("spandsp_start_fax_detect", "set sf_fax_tone=true 30 ced") in sent
    plays = [arg for app, arg in sent if app == "playback"]
    assert plays == [path("long"), path("message")]    # "after" never played
    assert any(c.startswith(f"api uuid_break {call.uuid}") for c in _commands(call))
    assert ("machine", "beep") in r.heard[call.uuid]


def test_a_beep_during_a_lookup_interrupts_the_session(rig):  # noqa: F811
    r = rig(_machine_handler(during_lookup=True))
    call = r.call(CallScript(variables=dict(DETECT), machine_at=0.5, hangup_at=30), timeout=10)
    assert r.results[call.uuid] == ("machine_message", "beep")


def test_a_line_not_asking_for_detection_starts_none(rig):  # noqa: F811
    r = rig(_machine_handler())
    variables = {k: v for k, v in DETECT.items() if k != "sf_detect"}
    call = r.call(CallScript(variables=variables, machine_at=0.5, hangup_at=30,
                             durations={path("long"): 2.0}), timeout=10)
    assert r.results[call.uuid] == "no machine"
    assert not [c for c in _commands(call) if "avmd" in c or "fax_detect" in c]
    assert [arg for app, arg in r.sent(call) if app == "playback"] == [path("long"),
                                                                      path("after")]


def test_a_fax_tone_answering_a_campaign_call_sends_the_session_to_its_machine_node(rig):  # noqa: F811
    r = rig(_machine_handler())
    call = r.call(CallScript(variables={**DETECT, "sf_detect": "fax"}, fax_at=1.0,
                             hangup_at=30, durations={path("long"): 20.0}), timeout=10)
    assert r.results[call.uuid] == ("machine_message", "fax")
    assert "event plain DETECTED_TONE" in _commands(call)
    sent = r.sent(call)
    assert ("spandsp_start_fax_detect", "set sf_fax_tone=true 30 ced") in sent
    assert ("avmd_start", "") not in sent              # a fax-only line starts no mod_avmd
    assert [arg for app, arg in sent if app == "playback"] == [path("long"), path("message")]
    assert call.variables["sf_fax_tone"] == "true"     # mod_spandsp's own action ran
    assert ("machine", "fax") in r.heard[call.uuid]

