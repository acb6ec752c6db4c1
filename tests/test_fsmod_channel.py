"""ESLChannel and the outbound server over real TCP against the fake FreeSWITCH.

Each test places a scripted call into the fake, which connects to our
outbound server as the dialplan's `socket` application does; a handler plays
the engine's part on the ESLChannel. What is checked is what the caller
hears and does (the commands the switch was sent, keys kept or lost), what
the engine is told (results, CallGone and its cause) and that every call
ends cleanly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent
import pytest

from engine.channel.contract import CallGone, RecordRequest
from engine.channel.media import Media, PromptPart, SayPart, TextPart
from engine.channel.requests import PHONE_KEYS, DigitRequest, QueueRequest
from engine.interrupt import LineGuard
from fsmod.channel import ESLChannel, Limits, Timeouts, Voice
from fsmod.fake.script import CallScript, Outcome, Press
from fsmod.fake.switch import FakeFreeSWITCH
from fsmod.server import OutboundServer

SCALE = 0.05
ROOT = "/srv/prompts"


def prompt(key: str, lang: str = "zh-CN") -> Media:
    return Media((PromptPart(key, lang, key),))


def path(key: str, lang: str = "zh-CN") -> str:
    return f"{ROOT}/{lang}/{key}.wav"


class Rig:
    """The fake switch, our server, and what each call's handler saw."""

    def __init__(self, handler: Callable[[ESLChannel], Any], **server: Any) -> None:
        self.fake = FakeFreeSWITCH(scale=SCALE, heartbeat=None).start()
        self.heard: dict[str, list[tuple[str, Any]]] = {}
        self.results: dict[str, Any] = {}
        self.errors: dict[str, BaseException] = {}

        def run(channel: ESLChannel) -> None:
            try:
                self.results[channel.uuid] = handler(channel)
            except BaseException as error:       # CallGone is a BaseException
                self.errors[channel.uuid] = error
                raise

        server.setdefault("voice", Voice(prompts=ROOT))
        self.server = OutboundServer(run, port=0, listener_for=self._listener,
                                     **server).start()

    def _listener(self, uuid: str):
        events = self.heard.setdefault(uuid, [])
        return lambda kind, value: events.append((kind, value))

    def call(self, script: CallScript, timeout: float = 5.0):
        call = self.fake.place_call(script, "127.0.0.1", self.server.port)
        assert call.ended.wait(timeout), "the call did not end"
        self.settle(timeout)
        return call

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until every call's handler has returned."""
        deadline = time.monotonic() + timeout
        while self.server.stats.active:
            assert time.monotonic() < deadline, "a call's handler never returned"
            gevent.sleep(0.01)

    def sent(self, call) -> list[tuple[str, str]]:
        """The applications the call's session ran, with their arguments."""
        return [(f.get("execute-app-name") or "", f.get("execute-app-arg") or "")
                for f in call.commands
                if f.get("call-command") == "execute"]

    def close(self) -> None:
        self.server.stop(timeout=1)
        self.fake.stop()


@pytest.fixture
def rig():
    made: list[Rig] = []

    def make(handler, **server):
        made.append(Rig(handler, **server))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_prompts_heard_as_files_per_language_and_say_lists(rig):
    def handler(ch: ESLChannel):
        ch.answer()
        ch.play(prompt("welcome"))
        ch.play(prompt("welcome", "en-US"))
        ch.play(Media((PromptPart("balance", "zh-CN", "余额"),
                       SayPart("money", "96.50元", "九十六元五角", ("say/90", "say/6"), "zh-CN"))))
        ch.hangup()
        return ch.caller, ch.called, ch.variables.get("sf_flow")

    r = rig(handler)
    call = r.call(CallScript(caller="13800000021", destination="95158",
                             variables={"sf_flow": "hotline"}))
    assert r.results[call.uuid] == ("13800000021", "95158", "hotline")
    sent = r.sent(call)
    assert sent[0] == ("answer", "")
    assert ("set", "playback_terminators=none") in sent
    plays = [arg for app, arg in sent if app == "playback"]
    assert plays == [path("welcome"), path("welcome", "en-US"),
                     "file_string://" + "!".join([path("balance"), path("say/90"),
                                                  path("say/6")])]
    assert call.hangup_cause == "NORMAL_CLEARING"


def test_text_without_tts_is_not_sent_and_with_tts_is_spoken_neutralised(rig):
    media = Media((TextPart("张三 ${jndi}!x|y", "zh-CN", untrusted=True),), voice="xiaoyan")

    def handler(ch: ESLChannel):
        ch.play(media)
        ch.hangup()

    plain = rig(handler)
    call = plain.call(CallScript())
    assert not [a for a, _ in plain.sent(call) if a in ("speak", "playback")]
    spoken = rig(handler, voice=Voice(prompts=ROOT, tts_engine="flite"))
    call = spoken.call(CallScript())
    speak = [arg for app, arg in spoken.sent(call) if app == "speak"]
    assert len(speak) == 1 and speak[0].startswith("flite|xiaoyan|")
    assert not set("${}!") & set(speak[0]) and speak[0].count("|") == 2


def test_collect_first_key_stops_prompt_and_counts_terminator_not_kept(rig):
    def handler(ch: ESLChannel):
        return ch.collect(DigitRequest(prompt("menu"), 1, 6, 3000, 2000, "#"))

    r = rig(handler)
    call = r.call(CallScript(keys=[Press(0.3, "12"), Press(0.9, "3#")]))
    result = r.results[call.uuid]
    assert (result.digits, result.status, result.terminator) == ("123", "success", "#")
    arg = next(g for a, g in r.sent(call) if a == "play_and_get_digits")
    assert arg.split(" ")[4] == "#" and path("menu") in arg


def test_collect_without_terminator_sends_none_and_keeps_digits_on_timeout(rig):
    def handler(ch: ESLChannel):
        return ch.collect(DigitRequest(prompt("menu"), 4, 4, 3000, 1000, ""))

    r = rig(handler)
    call = r.call(CallScript(keys=[Press(0.3, "12")]))
    assert r.results[call.uuid].digits == "12"
    assert r.results[call.uuid].status == "failure"          # fewer than the minimum
    arg = next(g for a, g in r.sent(call) if a == "play_and_get_digits")
    assert arg.split(" ")[4] == "none"


def test_keys_during_a_plain_prompt_are_lost_and_bargein_keeps_the_terminator(rig):
    def handler(ch: ESLChannel):
        first = ch.play(prompt("notice"))                 # not interruptible
        second = ch.play(prompt("welcome"), PHONE_KEYS)   # barge-in
        return first, second

    r = rig(handler)
    call = r.call(CallScript(keys=[Press(0.4, "2"), Press(1.5, "1")],
                             durations={path("notice"): 1.0, path("welcome"): 1.0}))
    first, second = r.results[call.uuid]
    assert first.terminator is None and second.terminator == "1"
    assert ("lost", "2") in r.heard[call.uuid]
    assert ("set", "playback_terminators=0123456789*#") in r.sent(call)


def test_keys_pressed_while_nothing_listens_are_lost(rig):
    def handler(ch: ESLChannel):
        ch.answer()
        gevent.sleep(0.3)                                  # the engine busy elsewhere
        return ch.collect(DigitRequest(None, 1, 1, 1000, 1000, "#"))

    r = rig(handler)
    call = r.call(CallScript(keys=[Press(0.5, "7")]))
    assert r.results[call.uuid].status == "failure"
    assert ("lost", "7") in r.heard[call.uuid]


@pytest.mark.parametrize("at, during", [(0.5, "play"), (1.5, "collect")])
def test_hangup_during_a_prompt_or_collection_raises_callgone(rig, at, during):
    def handler(ch: ESLChannel):
        ch.play(prompt("welcome"))
        ch.collect(DigitRequest(prompt("menu"), 1, 4, 5000, 2000, "#"))

    r = rig(handler)
    started = time.monotonic()
    call = r.call(CallScript(hangup_at=at, hangup_cause="NORMAL_CLEARING"))
    error = r.errors[call.uuid]
    assert isinstance(error, CallGone) and error.cause == "NORMAL_CLEARING"
    assert ("caller_hangup", "NORMAL_CLEARING") in r.heard[call.uuid]
    assert time.monotonic() - started < 2.0                   # at once, not at a deadline


def test_hangup_during_a_lookup_interrupts_the_session(rig):
    def handler(ch: ESLChannel):
        guard = LineGuard(ch)
        guard.answer()
        guard.arm()
        try:
            gevent.sleep(10)                               # a slow lookup
            return "lookup finished"
        finally:
            guard.disarm()

    r = rig(handler)
    started = time.monotonic()
    call = r.call(CallScript(hangup_at=0.5, hangup_cause="ORIGINATOR_CANCEL"))
    assert isinstance(r.errors[call.uuid], CallGone)
    assert r.errors[call.uuid].cause == "ORIGINATOR_CANCEL"
    assert time.monotonic() - started < 2.0


def test_fax_result_after_the_far_end_hangs_up_then_callgone(rig):
    def handler(ch: ESLChannel):
        result = ch.send_fax("/var/fax/doc.tiff")
        try:
            ch.play(prompt("bye"))
        except CallGone as gone:
            return result, gone.cause
        return result, None

    r = rig(handler)
    call = r.call(CallScript())                            # the default: sent, then hung up
    result, cause = r.results[call.uuid]
    assert (result.success, result.code, result.text, result.pages) == (True, 0, "OK", 1)
    assert cause == "NORMAL_CLEARING"


def test_fax_cut_by_a_hangup_still_returns_code_49(rig):
    def handler(ch: ESLChannel):
        return ch.send_fax("/var/fax/doc.tiff")

    dropped = Outcome(after=6.0, variables={
        "fax_success": "0", "fax_result_code": "49",
        "fax_result_text": "The call dropped prematurely"})
    r = rig(handler)
    call = r.call(CallScript(outcomes={"txfax": dropped}, hangup_at=3.0))
    result = r.results[call.uuid]
    assert (result.success, result.code, result.text) == (False, 49,
                                                          "The call dropped prematurely")


def test_recording_cut_by_a_hangup_is_returned(rig):
    def handler(ch: ESLChannel):
        return ch.record(RecordRequest("msg-1", max_ms=60_000, silence_ms=3000))

    r = rig(handler, recordings="/var/rec")
    call = r.call(CallScript(hangup_at=4.0))
    result = r.results[call.uuid]
    assert result.path == "/var/rec/msg-1.wav" and 3000 <= result.duration_ms <= 5000


def test_silence_gives_no_recording(rig):
    def handler(ch: ESLChannel):
        return ch.record(RecordRequest("msg-2", max_ms=60_000, silence_ms=2000))

    r = rig(handler)
    call = r.call(CallScript(speech={"msg-2.wav": 0.0}))
    assert r.results[call.uuid].path is None


def test_queue_answered_by_an_agent_ends_the_session_and_the_call_goes_on(rig):
    def handler(ch: ESLChannel):
        result = ch.queue(QueueRequest("support@default", "general",
                                       export={"sf_call_id": "c-1", "sf_flow": "hotline"}))
        return result, ch.gone

    r = rig(handler)
    script = CallScript(outcomes={"callcenter": Outcome(
        after=2.0, talk=2.0, variables={"cc_agent": "1002@default"})})
    call = r.fake.place_call(script, "127.0.0.1", r.server.port)
    gevent.sleep(1.0)   # the agent answered at 0.1 s; talking until 0.2 s of wall time
    assert not call.gone or call.hangup_cause == "NORMAL_CLEARING"
    assert call.ended.wait(5)
    result, gone = r.results[call.uuid]
    assert result.outcome == "answered" and result.agent == "1002@default"
    assert result.wait_ms >= 50 and gone
    sent = r.sent(call)
    assert ("set", "cc_export_vars=sf_call_id,sf_flow") in sent
    assert ("set", "sf_call_id=c-1") in sent and ("callcenter", "support@default") in sent


def test_queue_wait_limit_is_ours(rig):
    def handler(ch: ESLChannel):
        return ch.queue(QueueRequest("support@default", "general", timeout_ms=100))

    r = rig(handler)
    call = r.call(CallScript(outcomes={"callcenter": Outcome(after=100.0)}))
    result = r.results[call.uuid]
    assert result.outcome == "timeout" and 100 <= result.wait_ms < 1000


def test_queue_caller_leaves_is_abandoned(rig):
    def handler(ch: ESLChannel):
        return ch.queue(QueueRequest("support@default", "general"))

    r = rig(handler)
    call = r.call(CallScript(hangup_at=2.0))
    assert r.results[call.uuid].outcome == "abandoned"


def test_failed_bridge_gives_the_cause_and_the_call_goes_on(rig):
    def handler(ch: ESLChannel):
        result = ch.bridge("loopback/7017", 10_000)
        ch.play(prompt("sorry"))
        return result

    r = rig(handler)
    call = r.call(CallScript(outcomes={"loopback/7017": Outcome(after=0.5, cause="USER_BUSY")}))
    result = r.results[call.uuid]
    assert not result.answered and result.cause == "USER_BUSY"
    assert ("bridge", "[leg_timeout=10]loopback/7017") in r.sent(call)


def test_a_malformed_frame_ends_the_call_cleanly(rig):
    def handler(ch: ESLChannel):
        ch.play(prompt("long"))

    r = rig(handler)
    script = CallScript(durations={path("long"): 40.0})
    call = r.fake.place_call(script, "127.0.0.1", r.server.port)
    gevent.sleep(0.3)
    r.fake.inject(b"Content-Length: banana\n\n")
    assert call.ended.wait(3)
    assert isinstance(r.errors[call.uuid], CallGone)
    assert r.errors[call.uuid].cause == "NORMAL_TEMPORARY_FAILURE"


def test_an_oversized_frame_ends_the_call_cleanly(rig):
    def handler(ch: ESLChannel):
        ch.play(prompt("long"))

    r = rig(handler)
    call = r.fake.place_call(CallScript(durations={path("long"): 40.0}), "127.0.0.1",
                             r.server.port)
    gevent.sleep(0.3)
    r.fake.inject(b"Content-Type: text/event-plain\nContent-Length: 999999999\n\n")
    assert call.ended.wait(3)
    assert isinstance(r.errors[call.uuid], CallGone)


def test_a_reply_that_never_comes_meets_its_deadline(rig):
    def handler(ch: ESLChannel):
        ch.answer()
        r.fake.stalled = True
        ch.play(prompt("welcome"))

    r = rig(handler, timeouts=Timeouts(reply=0.5), limits=Limits(command=1.0))
    started = time.monotonic()
    call = r.fake.place_call(CallScript(), "127.0.0.1", r.server.port)
    while r.server.stats.active or not r.errors:
        assert time.monotonic() - started < 4, "the stalled call did not end"
        gevent.sleep(0.05)
    r.fake.stalled = False
    assert isinstance(r.errors[call.uuid], CallGone)
    assert r.errors[call.uuid].cause == "RECOVERY_ON_TIMER_EXPIRE"
    assert call.ended.wait(3)       # the socket closed: the switch hangs the call up


def test_beyond_max_calls_a_call_is_refused_and_hung_up(rig):
    def handler(ch: ESLChannel):
        ch.answer()
        ch.play(prompt("long"))

    r = rig(handler, max_calls=1)
    script = CallScript(durations={path("long"): 10.0})
    first = r.fake.place_call(script, "127.0.0.1", r.server.port)
    gevent.sleep(0.2)
    second = r.fake.place_call(CallScript(), "127.0.0.1", r.server.port)
    assert second.ended.wait(3)
    assert second.hangup_cause == "NORMAL_CIRCUIT_CONGESTION"
    assert first.ended.wait(3) and first.hangup_cause == "NORMAL_CLEARING"
    assert r.server.stats.refused == 1


def test_fifty_concurrent_calls_each_get_their_own_digits(rig):
    def handler(ch: ESLChannel):
        ch.answer()
        ch.play(prompt("welcome"))
        got = ch.collect(DigitRequest(prompt("menu"), 3, 3, 3000, 2000, "#"))
        ch.hangup()
        return got.digits

    r = rig(handler)
    # the menu prompt plays for 30 s of the fake's clock (1.5 s here): every call is in
    # it when its keys come, however long 50 set-ups take on a busy machine
    scripts = [CallScript(caller=f"1380000{n:04d}", keys=[Press(15.0, f"{n:03d}")],
                          durations={path("menu"): 30.0}) for n in range(50)]
    calls = [r.fake.place_call(s, "127.0.0.1", r.server.port) for s in scripts]
    for call in calls:
        assert call.ended.wait(10)
    r.settle()
    got = sorted(r.results[c.uuid] for c in calls)
    assert got == [f"{n:03d}" for n in range(50)]
    assert r.server.stats.peak > 1 and r.server.stats.failed == 0


def test_one_calls_failure_does_not_touch_another(rig):
    def handler(ch: ESLChannel):
        ch.answer()
        if ch.caller == "13800000666":
            raise RuntimeError("a bug in one flow")
        ch.play(prompt("welcome"))
        ch.hangup()
        return "fine"

    r = rig(handler)
    bad = r.fake.place_call(CallScript(caller="13800000666"), "127.0.0.1", r.server.port)
    good = r.call(CallScript())
    assert bad.ended.wait(3)
    r.settle()
    assert r.results[good.uuid] == "fine"
    assert r.server.stats.failed == 1
