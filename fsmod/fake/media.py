"""The applications the fake switch runs, keeping FreeSWITCH's key rules.

Recorded in outbound-dtmf-bargein and outbound-call, and kept here:
- play_and_get_digits listens from the first moment of its prompt; the
  first key stops the prompt; keys queued are taken at once; the entry ends
  at the terminator (not kept), at the maximum (later keys stay queued), or
  when the inter-key time runs out (`timeout`, digits kept); too few digits
  is `failure`; the variable is set only when digits were collected.
- playback takes keys one per frame: a key in `playback_terminators`
  (default `*`, `none` for none) stops it (`playback_terminator_used`), any
  other is lost; the response is FILE PLAYED either way, FILE NOT FOUND for
  a missing file, PLAYBACK ERROR when the call hangs up during it.
- sleep ends early when a key arrives but does not take it.
An application FreeSWITCH does not know hangs the call up with
DESTINATION_OUT_OF_ORDER and sends no CHANNEL_EXECUTE
(switch_core_session_execute_application).
"""

from __future__ import annotations

import re
import time
import uuid as uuidlib
from collections.abc import Callable

import gevent
import gevent.event

from fsmod.fake.agents import bow_out, finish_leg, reach_agent
from fsmod.fake.agents import end as end_call
from fsmod.fake.call import FRAME, FakeCall, PendingApp
from fsmod.fake.conference import conference_app
from fsmod.fake.detect import avmd_start, fax_detect
from fsmod.fake.legs import RINGING_CAUSES
from fsmod.fake.script import Outcome
from fsmod.vocab import EventName, HangupCause, PlaybackResponse, ReadResult

_TONE = re.compile(r"tone_stream://%\((\d+),(\d+)")
_SILENCE = re.compile(r"silence_stream://(\d+)")


def sound_seconds(call: FakeCall, uri: str) -> float | None:
    """How long `uri` plays, or None when a file of it is missing."""
    if uri.startswith("file_string://"):
        parts = [sound_seconds(call, p) for p in uri[len("file_string://"):].split("!")]
        return None if any(p is None for p in parts) else sum(p or 0.0 for p in parts)
    if match := _TONE.match(uri):
        return (int(match.group(1)) + int(match.group(2))) / 1000
    if match := _SILENCE.match(uri):
        return int(match.group(1)) / 1000
    if uri in call.script.missing:
        return None
    return call.script.durations.get(uri, call.script.default_duration)


def run_app(call: FakeCall, pending: PendingApp) -> None:
    handler = APPS.get(pending.app)
    if handler is None:
        call.hangup(HangupCause.DESTINATION_OUT_OF_ORDER.value)
        return
    data = [("Application-Data", pending.arg)] if pending.arg else []
    # uuid_bridge is no application a client sent: its events name none (Application-UUID)
    own = [] if pending.app == "uuid_bridge" else [("Application-UUID", pending.event_uuid)]
    call.variables["current_application"] = pending.app
    if pending.arg:
        call.variables["current_application_data"] = pending.arg
    call.fire(EventName.CHANNEL_EXECUTE, [("Application", pending.app), *data, *own])
    call.apps_started += 1
    started, call.app_started = call.app_started, gevent.event.Event()
    started.set()                       # wakes whoever waits for this leg's next app
    for hook in list(call.on_execute):
        hook(pending)
    response = handler(call, pending.arg) or "_none_"
    call.last_response = response
    if response != "_none_":
        call.variables["current_application_response"] = response
    call.fire(EventName.CHANNEL_EXECUTE_COMPLETE, [
        ("Application", pending.app), *data, ("Application-Response", response), *own])


def _answer(call: FakeCall, arg: str) -> str:
    call.pause(FRAME)
    call.answer()
    return "_none_"


def _set(call: FakeCall, arg: str) -> str:
    name, _, value = arg.partition("=")
    if value:
        call.variables[name] = value
    else:
        call.variables.pop(name, None)
    return "_none_"


def _terminators(call: FakeCall) -> str:
    keys = call.variables.get("playback_terminators", "*")
    return "" if keys.lower() == "none" else keys


def _play(call: FakeCall, seconds: float, terminators: str) -> str | None:
    """Play for `seconds`, taking keys one per frame; returns the terminator that
    stopped it, `hangup`, or None when it played to the end."""
    end = gevent.get_hub().loop.now() + seconds * call.switch.scale
    while True:
        left = (end - gevent.get_hub().loop.now()) / call.switch.scale
        if left <= 0:
            return None
        why = call.wait(left)
        if why == "hangup":
            return "hangup"
        if why == "break":
            return None
        if why == "key":
            key = call.take_key()
            if key in terminators:
                return key
            call.sleep(FRAME)


def _playback(call: FakeCall, arg: str) -> str:
    call.variables.pop("playback_terminator_used", None)
    seconds = sound_seconds(call, arg)
    if seconds is None:
        return PlaybackResponse.NOT_FOUND.value
    stopped = _play(call, seconds, _terminators(call))
    call.variables["playback_ms"] = str(int(seconds * 1000))
    if stopped == "hangup":
        return PlaybackResponse.ERROR.value
    if stopped:
        call.variables["playback_terminator_used"] = stopped
    return PlaybackResponse.PLAYED.value


def _speak(call: FakeCall, arg: str) -> str:
    text = arg.split("|", 2)[-1]
    _play(call, 0.08 * len(text), _terminators(call))
    return "_none_"


def _sleep(call: FakeCall, arg: str) -> str:
    call.wait(int(arg or "0") / 1000)
    return "_none_"


def _hangup(call: FakeCall, arg: str) -> str:
    call.hangup(arg or "NORMAL_CLEARING")
    return "_none_"


def _pagd(call: FakeCall, arg: str) -> str:
    argv = arg.split(" ", 10)
    argv += [""] * (11 - len(argv))
    min_digits, max_digits = int(argv[0] or 0), int(argv[1] or 0)
    tries = max(1, int(argv[2] or 1))
    timeout = max(1000, int(argv[3] or 1000)) / 1000
    terminators = argv[4] or "#"
    prompt, invalid, var, regex = argv[5], argv[6], argv[7], argv[8]
    digit_timeout = (int(argv[9]) / 1000) if argv[9] else timeout
    max_digits = max(max_digits, min_digits)
    for attempt in range(tries):
        result, digits, terminator = _read(
            call, prompt, min_digits, max_digits, timeout, digit_timeout, terminators)
        if result == "hangup":
            return "_none_"
        if terminator:
            call.variables["read_terminator_used"] = terminator
        if result != ReadResult.FAILURE and regex and not re.fullmatch(regex, digits):
            call.variables[f"{var}_invalid"] = digits
            result = ReadResult.FAILURE
        call.variables["read_result"] = result.value
        if result != ReadResult.FAILURE:
            if var:
                call.variables[var] = digits
            return "_none_"
        if attempt + 1 < tries and invalid:
            seconds = sound_seconds(call, invalid) or 0.0
            if _play(call, seconds, "") == "hangup":
                return "_none_"
    return "_none_"


def _read(call: FakeCall, prompt: str, min_digits: int, max_digits: int, timeout: float,
          digit_timeout: float, terminators: str) -> tuple[ReadResult | str, str, str]:
    digits, terminator = "", ""
    seconds = sound_seconds(call, prompt) or 0.0
    why = call.wait(seconds)                       # the prompt, until the first key
    if why == "hangup":
        return "hangup", "", ""
    call.variables["playback_ms"] = str(int(seconds * 1000))
    while True:
        while call.dtmf:
            key = call.take_key()
            if key in terminators:
                terminator = key
                break
            digits += key
            if len(digits) >= max_digits:
                break
        if terminator or len(digits) >= max_digits:
            ok = len(digits) >= min_digits and digits
            return (ReadResult.SUCCESS if ok else ReadResult.FAILURE), digits, terminator
        why = call.wait(digit_timeout if digits else timeout)
        if why == "hangup":
            return "hangup", digits, ""
        if why == "timeout":
            if digits and len(digits) >= min_digits:
                return ReadResult.TIMEOUT, digits, ""
            return ReadResult.FAILURE, digits, ""


def _record_session(call: FakeCall, arg: str) -> str:
    call.recording = arg
    call.fire(EventName.RECORD_START, [("Record-File-Path", arg)])
    return "_none_"


def _now() -> str:
    return str(int(time.time()))


def _callcenter(call: FakeCall, arg: str) -> str:
    """mod_callcenter's member side (captures outbound-queue-call and
    outbound-callcenter-agent-answers): joined at once; a caller who leaves is
    noticed a moment later (`cc_cause=cancel`, BREAK_OUT); an agent who answers
    ends the app with `cc_cause=answered` and the call is bridged to them."""
    call.variables.update({"cc_side": "member", "cc_member_uuid": str(uuidlib.uuid4()),
                           "cc_queue_joined_epoch": _now(), "cc_queue": arg})
    switch = call.switch
    switch.cc_member(call, "member-queue-start")
    outcome = call.script.outcomes.get("callcenter")
    agent_of_queue = switch.available_agent(arg) if outcome is None else None
    if agent_of_queue is not None:
        why = _offer(call, agent_of_queue)
    else:
        why = call.wait(None if outcome is None else outcome.after, keys=False)
    if why == "break":                              # uuid_break: the member breaks out
        call.variables.update({"cc_queue_canceled_epoch": _now(), "cc_cause": "cancel",
                               "cc_cancel_reason": "BREAK_OUT"})
        return "_none_"
    if why == "hangup" or outcome is None:
        call.sleep(2 * FRAME)                       # the member thread notices
        call.variables.update({"cc_queue_canceled_epoch": _now(), "cc_cause": "cancel",
                               "cc_cancel_reason": "BREAK_OUT"})
        switch.cc_member(call, "member-queue-end", _left(call, "BREAK_OUT"))
        return "_none_"
    if outcome.cause != "answered":
        call.variables.update({"cc_queue_canceled_epoch": _now(), "cc_cause": "cancel",
                               "cc_cancel_reason": outcome.cause})
        switch.cc_member(call, "member-queue-end", _left(call, outcome.cause))
        return "_none_"
    agent = outcome.variables.get("cc_agent", "1001@default")
    known = switch.agents.get(agent)
    contact = known.contact if known is not None and known.contact else "loopback/agent"
    answered = _now()
    switch.cc_agent_state(agent, "Receiving", now=True)
    switch.cc_member(call, "agent-offering", [("CC-Agent", agent), ("CC-Agent-Type", "callback"),
                                              ("CC-Agent-System", "single_box")], now=True)
    legs = reach_agent(switch, call, contact)
    agent_uuid = legs.leg.uuid
    agent_rows = [("CC-Agent", agent), ("CC-Agent-System", "single_box"),
                  ("CC-Agent-UUID", agent_uuid), ("CC-Agent-Called-Time", answered),
                  ("CC-Agent-Answered-Time", answered),
                  ("CC-Member-Joined-Time", call.variables["cc_queue_joined_epoch"])]
    call.sleep(FRAME)
    switch.cc_member(call, "bridge-agent-start", agent_rows, leg=legs.leg, now=True)
    switch.cc_agent_state(agent, "In a queue call", now=True)
    call.variables["cc_cause"] = "answered"
    call.sleep(FRAME)
    switch.cc_count(call, now=True)
    bow_out(legs)
    legs.leg.other = call.as_other_leg()

    def _bridge_over() -> None:
        gevent.spawn(_after_the_bridge)

    def _after_the_bridge() -> None:
        # the agent's leg ends once the member's has; then mod_callcenter reports
        finish_leg(legs)
        ended = _now()
        switch.cc_member(call, "bridge-agent-end", [
            ("CC-Hangup-Cause", "SUCCESS"), *agent_rows[:3], ("CC-Agent-Bridged", "true"),
            *agent_rows[3:], ("CC-Bridge-Terminated-Time", ended)], leg=legs.leg, now=True)
        switch.cc_member(call, "member-queue-end", [
            ("CC-Hangup-Cause", "SUCCESS"), ("CC-Cause", "Terminated"), *agent_rows[:5],
            ("CC-Member-Leaving-Time", ended), agent_rows[5]], now=True)
        switch.cc_agent_state(agent, "Waiting", now=True)

    call.on_hangup(_bridge_over)
    call.far_end_hangs_up = lambda: end_call(legs)
    call.variables.update({
        "cc_agent_uuid": agent_uuid, "uuid_bridge": agent_uuid,
        "bridge_channel": legs.leg.name, "bridge_uuid": agent_uuid,
        "cc_agent_bridged": "true", "cc_agent": agent, "cc_queue_answered_epoch": _now(),
        "cc_cause": "answered", **outcome.variables,
    })
    call.other = _other_leg(call, agent_uuid)
    call.transfer_source = f"{_now()}:{uuidlib.uuid4()}:uuid_br:{agent_uuid}"
    legs.leg.transfer_source = f"{_now()}:{uuidlib.uuid4()}:uuid_br:{call.uuid}"
    call.handed_over = outcome.talk
    return "_none_"


AGENT_BRIDGE_LIMIT = 5.3
"""Seconds mod_callcenter gives a loopback agent leg to be bridged onward
before it fails the offer (capture inbound-callcenter-control: 5.28 s)."""


def _left(call: FakeCall, reason: str) -> list[tuple[str, str]]:
    """member-queue-end's rows for a member who left without an agent."""
    return [("CC-Member-Leaving-Time", _now()),
            ("CC-Member-Joined-Time", call.variables.get("cc_queue_joined_epoch", "")),
            ("CC-Cause", "Cancel"), ("CC-Cancel-Reason", reason)]


def _offer(call: FakeCall, agent) -> str:
    """The queue's agent (no scripted outcome) is offered the member, as capture
    inbound-callcenter-control shows: Receiving, agent-offering, the contact's
    legs; a contact that is not bridged on within AGENT_BRIDGE_LIMIT fails
    (bridge-agent-fail, the agent back to Waiting, its legs dropped) and is
    offered again a moment later; a member who hangs up during an offer fails
    it too. Returns why the member's wait ended (`hangup`, `break`)."""
    switch = call.switch
    while True:
        call.sleep(3 * FRAME)                       # the agent thread picks the member
        if call.gone:
            return "hangup"
        switch.cc_agent_state(agent.name, "Receiving", now=True)
        switch.cc_member(call, "agent-offering", [
            ("CC-Agent", agent.name), ("CC-Agent-Type", agent.kind),
            ("CC-Agent-System", "single_box")], now=True)
        called = _now()
        legs = reach_agent(switch, call, agent.contact)
        why = call.wait(AGENT_BRIDGE_LIMIT, keys=False)
        if why != "timeout":
            call.sleep(10 * FRAME)                  # the agent thread notices
        bow_out(legs)
        finish_leg(legs)
        switch.cc_member(call, "bridge-agent-fail", [
            ("CC-Hangup-Cause", "SUCCESS"), ("CC-Agent", agent.name),
            ("CC-Agent-System", "single_box"), ("CC-Agent-Called-Time", called),
            ("CC-Agent-Aborted-Time", _now()),
            ("CC-Member-Joined-Time", call.variables.get("cc_queue_joined_epoch", ""))],
            now=True)
        switch.cc_agent_state(agent.name, "Waiting", now=True)
        if why != "timeout":
            return why
        call.sleep(2 * FRAME)


def _other_leg(call: FakeCall, uuid: str) -> list[tuple[str, str]]:
    s = call.script
    rows = [("Direction", "outbound"), ("Logical-Direction", "inbound"), ("Dialplan", "xml")]
    if s.caller_name:
        rows += [("Caller-ID-Name", s.caller_name)]
    rows += [("Caller-ID-Number", s.caller)]
    if s.caller_name:
        rows += [("Orig-Caller-ID-Name", s.caller_name)]
    rows += [("Orig-Caller-ID-Number", s.caller), ("Callee-ID-Name", "Outbound Call"),
             ("Callee-ID-Number", "agent"), ("ANI", s.caller), ("Destination-Number", "agent"),
             ("Unique-ID", uuid), ("Source", "mod_loopback"), ("Context", "default"),
             ("Channel-Name", "loopback/agent-a")]
    now = str(int(time.time() * 1_000_000))
    rows += [("Profile-Created-Time", now), ("Channel-Created-Time", now),
             ("Channel-Answered-Time", now)]
    rows += [(k, "0") for k in ("Channel-Progress-Time", "Channel-Progress-Media-Time",
                                "Channel-Hangup-Time", "Channel-Transfer-Time",
                                "Channel-Resurrect-Time", "Channel-Bridged-Time",
                                "Channel-Last-Hold", "Channel-Hold-Accum")]
    rows += [("Screen-Bit", "true"), ("Privacy-Hide-Name", "false"),
             ("Privacy-Hide-Number", "false")]
    return [("Other-Leg-" + k, v) for k, v in rows]


FAX_OK = {"fax_success": "1", "fax_result_code": "0", "fax_result_text": "OK",
          "fax_document_transferred_pages": "1", "fax_document_total_pages": "1",
          "fax_ecm_used": "on", "fax_transfer_rate": "14400"}


def _txfax(call: FakeCall, arg: str) -> str:
    """mod_spandsp's txfax: the result variables are set, then (a fax machine
    hangs up at the end) the call is hung up, and only then does the app
    complete (captures outbound-txfax, -hangup, -silence)."""
    outcome = call.script.outcomes.get("txfax") or Outcome(after=5.0, variables=FAX_OK,
                                                          hangup=True)
    call.variables.update({"fax_filename": arg, "fax_ecm_requested": "1"})
    negotiate = [e for e in outcome.events if e != "spandsp::txfaxresult"]
    if negotiate and call.wait(outcome.after * 0.8, keys=False) != "hangup":
        for subclass in negotiate:
            _fax_event(call, subclass, ("mod_spandsp_fax.c", "phase_b_handler", 386))
    if call.wait(outcome.after * (0.2 if negotiate else 1.0), keys=False) != "hangup":
        call.variables.update(outcome.variables)
        if outcome.hangup:
            call.hangup()
    else:
        call.variables.update(outcome.variables)
    if "spandsp::txfaxresult" in outcome.events:
        _fax_event(call, "spandsp::txfaxresult", ("mod_spandsp_fax.c", "phase_e_handler", 676))
    return "_none_"


_NEGOTIATED = ("transfer_rate", "ecm_used", "t38_status", "local_station_id",
               "remote_station_id", "document_total_pages")
_RESULT = ("success", "result_code", "result_text", "document_transferred_pages",
           "document_total_pages", "image_resolution", "image_size", "bad_rows", "transfer_rate",
           "ecm_used", "t38_status", "local_station_id", "remote_station_id")
_FAX_DEFAULTS = {"transfer_rate": "14400", "ecm_used": "on", "t38_status": "off",
                 "local_station_id": "", "remote_station_id": "SpanDSP Fax Ident",
                 "document_total_pages": "1", "document_transferred_pages": "0",
                 "image_resolution": "8040x7700", "image_size": "0", "bad_rows": "0",
                 "success": "0", "result_code": "0", "result_text": ""}


def _fax_event(call: FakeCall, subclass: str, origin: tuple[str, str, int]) -> None:
    """A CUSTOM spandsp event: the call's channel data and the `fax-*` headers."""
    negotiated = subclass != "spandsp::txfaxresult"
    keys = _NEGOTIATED if negotiated else _RESULT
    values = {k: call.variables.get("fax_" + k, _FAX_DEFAULTS[k]) for k in keys}
    values["local_station_id"] = call.variables.get("fax_ident", values["local_station_id"])
    if not negotiated and "fax_remote_station_id" not in call.variables:
        del values["remote_station_id"]     # never negotiated: no far station (silence)
    for k, v in values.items():
        call.variables.setdefault("fax_" + k, v)
    tail = [("uuid", call.uuid)] if negotiated else []
    tail += [("fax-" + k.replace("_", "-"), v) for k, v in values.items()]
    headers = call.switch.identity.channel_event(EventName.CUSTOM, call, tail, subclass, origin)
    call.switch.fire(EventName.CUSTOM.value, headers, unique_id=call.uuid)


_DIALSTATUS = {"USER_BUSY": "BUSY", "NO_ANSWER": "NOANSWER", "CALL_REJECTED": "DONTCALL"}
_VAR_BLOCK = re.compile(r"^(\{[^}]*\}|\[[^\]]*\])+")


def _bridge(call: FakeCall, arg: str) -> str:
    """`bridge DIAL` with the outcome the script gives for the endpoint
    (capture outbound-originate-answered): a failure sets
    originate_disposition, DIALSTATUS, originate_failed_cause … and hangs the
    call up unless `continue_on_fail` allows the cause; an answer bridges,
    talks, and (hangup_after_bridge) ends the call."""
    endpoint = _VAR_BLOCK.sub("", arg)
    outcome = call.script.outcomes.get(endpoint, Outcome(after=0.5, cause="answered"))
    leg = str(uuidlib.uuid4())
    if outcome.cause in RINGING_CAUSES:
        # the dialled legs ring until the timeout (the control connection sees them)
        leg = call.switch.failed_legs(endpoint, {}, outcome.cause, originator=call,
                                      ring=outcome.after).uuid
        if call.gone:
            return "_none_"
    elif call.wait(outcome.after, keys=False) == "hangup":
        return "_none_"
    elif outcome.cause != "answered":
        # refused at once: the dialled pair is created and hung up with the cause
        leg = call.switch.failed_legs(endpoint, {}, outcome.cause, originator=call).uuid
    dest = endpoint.rsplit("/", 1)[-1]
    call.variables.update({"originate_signal_bond": leg,
                           "originated_legs": f"{leg};Outbound Call;{dest}"})
    if outcome.cause == "answered":
        call.other = _other_leg(call, leg)
        bridge = [("Bridge-A-Unique-ID", call.uuid), ("Bridge-B-Unique-ID", leg)]
        call.fire_bridge(EventName.CHANNEL_BRIDGE, bridge)
        call.wait(outcome.talk, keys=False)
        call.variables.update({"last_bridge_to": leg, "bridge_hangup_cause": "NORMAL_CLEARING",
                               "last_bridge_hangup_cause": "NORMAL_CLEARING", **outcome.variables})
        if not call.gone:
            call.fire_bridge(EventName.CHANNEL_UNBRIDGE, bridge)
            if call.variables.get("hangup_after_bridge", "").lower() == "true":
                call.hangup("NORMAL_CLEARING")
        return "_none_"
    cause = outcome.cause
    call.variables.update({
        "last_bridge_hangup_cause": cause, "originate_disposition": cause,
        "DIALSTATUS": _DIALSTATUS.get(cause, cause), "originate_causes": f"{leg};{cause}",
        "originate_failed_cause": cause, **outcome.variables})
    allowed = call.variables.get("continue_on_fail", "false").lower()
    if allowed != "true" and cause not in allowed.upper().split(","):
        call.hangup(cause)
    return "_none_"


def _record(call: FakeCall, arg: str) -> str:
    """`record PATH [MAX_S [THRESHOLD [SILENCE_S]]]` (capture outbound-recording):
    ends by silence (the caller spoke `CallScript.speech[PATH]` seconds, then
    SILENCE_S of silence), by MAX_S, by a key in playback_terminators (other
    keys are lost), or by the hangup."""
    argv = arg.split(" ")
    path = argv[0]
    limit = float(argv[1].lstrip("+")) if len(argv) > 1 and argv[1] else 3600.0
    hits = float(argv[3]) if len(argv) > 3 and argv[3] else 0.0
    speech = call.script.speech.get(path)
    silence_end = speech + hits if (speech is not None and hits) else None
    length = min(limit, silence_end) if silence_end is not None else limit
    call.variables.pop("playback_terminator_used", None)
    if hits or len(argv) > 2:
        call.variables["silence_hits_exhausted"] = "false"
    call.fire(EventName.RECORD_START, [("Record-File-Path", path)])
    started = time.monotonic()
    stopped = _play(call, length, _terminators(call))
    # played to its end: the scripted length exactly (a loaded machine's late wake-ups
    # must not lengthen a silent recording); cut short: the time it ran, at most that
    ran = (time.monotonic() - started) / call.switch.scale
    seconds = length if stopped is None and ran >= length else min(ran, length)
    if stopped and stopped != "hangup":
        call.variables["playback_terminator_used"] = stopped
    elif stopped is None and silence_end is not None and silence_end <= limit:
        call.variables["silence_hits_exhausted"] = "true"
    ms = int(seconds * 1000)
    size = str(ms * 16)
    call.variables.update({"record_record_file_size": size, "record_file_size": size,
                           "record_seconds": str(ms // 1000), "record_ms": str(ms),
                           "record_samples": str(ms * 8)})
    call.fire(EventName.RECORD_STOP, [("Record-File-Path", path)])
    return "_none_"


def _sched_hangup(call: FakeCall, arg: str) -> str:
    """`sched_hangup +SECONDS [CAUSE]`: the switch hangs the call up then, whatever
    runs (bridged to an agent too); a later schedule replaces this one."""
    when, _, cause = arg.partition(" ")
    if call.scheduled is not None:
        call.scheduled.kill(block=False)
    seconds = float(when.lstrip("+") or 0)
    call.scheduled = gevent.spawn_later(seconds * call.switch.scale, call.hangup,
                                        cause or HangupCause.ALLOTTED_TIMEOUT.value)
    return "_none_"


def _park(call: FakeCall, arg: str) -> str:
    """park: until the call ends or is moved (transfer, uuid_bridge); a key is
    taken one per frame and lost; a broadcast or an application sent to the
    leg runs inside it, without a new CHANNEL_EXECUTE of park."""
    call.fire(EventName.CHANNEL_PARK)
    call.parking = True
    try:
        while not call.moving:
            why = call.wait(None)
            if why == "key":
                call._idle_frame()
                if call.dtmf and not call.gone:
                    call.take_key()
            elif why == "inject":
                inner = call.injected.popleft() if call.injected else call.pending.popleft()
                call.parking = False
                run_app(call, inner)
                call.parking = True
            else:
                break
    finally:
        call.parking = False
    call.fire(EventName.CHANNEL_UNPARK)
    return "_none_"


def until_started(leg: FakeCall, test: Callable[[], bool], frames: int = 50) -> None:
    """Wait until `test()` holds, checked as each of `leg`'s applications starts
    (at most `frames` frames): an order that follows from what the other leg
    does, not from a scaled clock a loaded machine does not keep."""
    deadline = time.monotonic() + frames * FRAME * leg.switch.scale
    while not test() and not leg.gone:
        started = leg.app_started
        left = deadline - time.monotonic()
        if left <= 0:
            return
        started.wait(left)


def _stay(call: FakeCall) -> None:
    """Until the call ends or is moved; a broadcast meanwhile plays to the leg."""
    while call.wait(None, keys=False) == "inject" and not call.moving:
        if call.injected:
            run_app(call, call.injected.popleft())
        if call.moving:
            break


def _hold_on(call: FakeCall, arg: str) -> str:
    """An application that runs until the call ends or is moved (eavesdrop on
    a loopback leg: nothing to hear, nothing to report)."""
    _stay(call)
    return "_none_"


def _uuid_bridge(call: FakeCall, arg: str) -> str:
    """The leg's part of `uuid_bridge A B` (the api has set both legs up): A
    fires CHANNEL_BRIDGE; when either leg is moved or hangs up the bridge
    ends, and A, noticing a moment later, fires CHANNEL_UNBRIDGE."""
    partner = call.bridge_partner
    first = call.bridge_first
    bridge = [("Bridge-A-Unique-ID", call.uuid), ("Bridge-B-Unique-ID", arg)]
    if first and partner is not None:
        # once both legs run uuid_bridge
        until_started(partner, lambda: partner.running is not None
                      and partner.running.app == "uuid_bridge")
        call.fire_bridge(EventName.CHANNEL_BRIDGE, bridge)
    _stay(call)
    call.bridge_partner = None
    if partner is not None and partner.bridge_partner is call:
        partner.move()
    if first:
        if partner is not None and partner.dialplan_leg and partner.pending:
            # B was transferred: A notices once B is under way in its new extension
            # (capture inbound-call-control: B's answer and playback, then A's unbridge)
            count = partner.apps_started
            until_started(partner, lambda: partner.apps_started >= count + 2)
        call.fire_bridge(EventName.CHANNEL_UNBRIDGE, bridge)
    call.bridge_first = False
    return "_none_"


APPS: dict[str, Callable[[FakeCall, str], str]] = {
    "park": _park,
    "eavesdrop": _hold_on,
    "uuid_bridge": _uuid_bridge,
    "conference": conference_app,
    "sched_hangup": _sched_hangup,
    "answer": _answer,
    "playback": _playback,
    "play_and_get_digits": _pagd,
    "set": _set,
    "export": _set,
    "speak": _speak,
    "sleep": _sleep,
    "hangup": _hangup,
    "record_session": _record_session,
    "callcenter": _callcenter,
    "bridge": _bridge,
    "record": _record,
    "txfax": _txfax,
    "avmd_start": avmd_start,
    "spandsp_start_fax_detect": fax_detect,
}
