"""A flow's `test` blocks on the wire: the engine on ESLChannel, over TCP, against the fake.

The same test, the same expectations, the same matching as on the simulator
(engine.sim.flowtest); what changes is the line. Each test's call is placed
into the fake FreeSWITCH, which connects to an OutboundServer whose handler
is `Calls.handle`, so every prompt, key, queue and fax goes through sendmsg
and events exactly as on a real switch.

Time. The simulator runs a call on a virtual clock; a wire call runs on the
fake's clock, which `scale` speeds up (0.02: a 60 s queue wait takes 1.2 s).
Three things keep the two in step:

- the call's `clock` (what the flow reads: office hours, dates) is a
  `ScaledClock` that starts at the test's `at` and runs 1/scale times as
  fast as the wall clock, so flow time and switch time agree;
- each prompt plays as long on the fake as on the simulator (150 ms per
  character of what it says): the caller's script sets the fake's duration
  of every file as the flow is about to play it;
- the scripted caller reacts to what the line does, as the simulator's
  does: `press KEYS` comes 400 ms (flow time) after the prompt of the
  collect that waits for it, `press KEYS during PROMPT` in the middle of
  that prompt, a `hangup` when the flow next listens; a recording, a fax, a
  queue and a transfer end as the test's `given` lines say.

So a test asserts what was heard and which keys were kept or lost, never a
wall-clock time; the fake's own key rules (outbound-dtmf-bargein) decide
what is kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import gevent

from engine.channel.media import Media, PromptPart, SayPart, TextPart
from engine.channel.requests import DigitRequest
from engine.channel.switch import CallEnd
from engine.lifecycle import Calls, CallsError
from engine.record import MemorySink
from engine.runtime import Runtime
from engine.seams.records import CommittingSink
from engine.sim.channel import MS_PER_CHAR, REACTION_MS, SPOKEN_BEFORE_HANGUP_MS, PressDuring
from engine.sim.flowtest import Event, TestResult, _match, _overrides, _plan
from fsmod.channel import ESLChannel, Voice
from fsmod.channel.sound import prompt_path
from fsmod.fake.call import FakeCall, PendingApp
from fsmod.fake.media import FAX_OK, sound_seconds
from fsmod.fake.script import CallScript, Outcome
from fsmod.fake.switch import FakeFreeSWITCH
from fsmod.server import OutboundServer

PROMPTS = "/usr/share/switchflow/prompts"
RECORDINGS = "/var/lib/switchflow/recordings"
SPEECH_S = 10.0          # a caller recorded without a script line speaks this long (as the sim)
FAX_S = 16.0             # a fax that goes through takes this long, then the machine hangs up
FAX_DROP_S = 6.0         # a machine that drops mid-fax does so after this long
TALK_S = 1.0             # an agent's or a far end's conversation (the flow's part is over)


class ScaledClock:
    """Flow time for a wire call: starts at `start`, runs 1/scale as fast as the wall clock."""

    def __init__(self, start: dt.datetime, scale: float) -> None:
        self.start = start
        self.scale = scale
        self.t0 = time.monotonic()

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=(time.monotonic() - self.t0) / self.scale)


class WireCaller:
    """The test's caller on a fake call: reacts to what the engine does on the line."""

    def __init__(self, plan: Any, fake: FakeFreeSWITCH, timeline: list[Event]) -> None:
        self.inputs = list(plan.inputs)
        self.used = 0
        self.outcomes = plan.outcomes
        self.fake = fake
        self.timeline = timeline
        self.call: FakeCall | None = None
        self.pressed_during: set[int] = set()     # id of the prompt media a press was for
        self.ours = False                         # the engine hung up

    # ---- what the caller does next

    def _next(self) -> Any:
        return self.inputs[self.used] if self.used < len(self.inputs) else None

    def _act(self, item: Any, shown: Any) -> None:
        """The caller does `item` now."""
        self.used += 1
        self.timeline.append(Event("input", shown))

    def _take(self) -> None:
        """The next input is spoken for: it happens a moment later (`_press`, `_hangup`)."""
        self.used += 1

    def _later(self, seconds: float, action: Any, *args: Any) -> None:
        gevent.spawn_later(max(0.0, seconds) * self.fake.scale, action, *args)

    def _press(self, keys: str, shown: Any) -> None:
        self.timeline.append(Event("input", shown))
        if self.call is not None:
            self.call.press(keys)

    def _hangup(self) -> None:
        self.timeline.append(Event("input", ("hangup", None)))
        if self.call is not None:
            self.call.hangup()

    # ---- the line's events (ESLChannel listener)

    def heard(self, kind: str, value: Any) -> None:
        if kind == "collect":
            self._collect(value)
            return
        shown = "fax_tones" if kind == "fax" else kind
        if kind == "lost" and self.timeline and self.timeline[-1].kind == "lost":
            self.timeline[-1] = Event("lost", self.timeline[-1].value + value)
        else:
            self.timeline.append(Event(shown, value))
        if kind in ("play", "say"):
            self._media(value)
        elif kind == "record":
            self._record(value)
        elif kind == "queue":
            self._queue(value)
        elif kind == "bridge":
            self._bridge(value)
        elif kind == "fax":
            self._fax(value)
        elif kind == "hangup":
            self.ours = True

    def _media(self, media: Media) -> None:
        assert self.call is not None
        total = 0.0
        for part in media.parts:
            if isinstance(part, PromptPart):
                seconds = len(part.text) * MS_PER_CHAR / 1000
                self.call.script.durations[prompt_path(self._voice, part.lang, part.key)] = seconds
            elif isinstance(part, SayPart):
                seconds = len(part.words) * MS_PER_CHAR / 1000
                for key in part.files:
                    self.call.script.durations[prompt_path(self._voice, part.lang, key)] = \
                        seconds / max(1, len(part.files))
            elif isinstance(part, TextPart):
                seconds = len(part.text) * 0.08          # the fake's speak
            total += seconds
        item = self._next()
        if isinstance(item, PressDuring) and item.hears(media):
            self.pressed_during.add(id(media))
            self._take()
            self._press_in_first_step(item.keys)
        self._playing = (id(media), total)

    def _press_in_first_step(self, keys: str) -> None:
        """Press in the middle of the media's first sound as the fake starts it: flow
        time, not the wall clock, says when (command round trips cost no flow time)."""
        call = self.call
        assert call is not None

        def started(app: PendingApp) -> None:
            if app.app not in ("playback", "speak", "play_and_get_digits"):
                return
            call.on_execute.remove(started)
            if app.app == "speak":
                seconds = 0.08 * len(app.arg.split("|", 2)[-1])
            elif app.app == "playback":
                seconds = sound_seconds(call, app.arg) or 0.0
            else:
                seconds = sound_seconds(call, app.arg.split(" ")[5]) or 0.0
            self._later(seconds / 2, self._press, keys, ("press", keys))

        call.on_execute.append(started)

    _voice = Voice(prompts=PROMPTS, tts_engine="flite")
    _playing: tuple[int, float] = (0, 0.0)

    def _collect(self, request: DigitRequest) -> None:
        """play_and_get_digits is about to start: the caller's next input answers it,
        timed from the moment the fake starts it (its prompt's length, then 400 ms)."""
        if request.prompt is not None and self._playing[0] == id(request.prompt) \
                and id(request.prompt) in self.pressed_during:
            return                      # the keys come during the prompt
        item = self._next()
        if isinstance(item, PressDuring):
            return
        if item is None:
            self._when_read_starts(REACTION_MS / 1000, self._hangup_ran_out)
            return
        kind, value = item
        if kind == "press" and value:
            self._take()
            self._when_read_starts(REACTION_MS / 1000, self._press, str(value), ("press", value))
        elif kind == "hangup":
            self._take()
            self._when_read_starts(0.0, self._hangup)
        else:
            self._act(item, (kind, value))

    def _when_read_starts(self, after: float, action: Any, *args: Any) -> None:
        """Run `action` `after` seconds past the end of the next read's prompt."""
        call = self.call
        assert call is not None

        def started(app: PendingApp) -> None:
            if app.app != "play_and_get_digits":
                return
            call.on_execute.remove(started)
            prompt = sound_seconds(call, app.arg.split(" ")[5]) or 0.0
            self._later(prompt + after, action, *args)

        call.on_execute.append(started)

    def _hangup_ran_out(self) -> None:
        """The script is over and the flow still listens: the caller hangs up."""
        if self.call is not None:
            self.timeline.append(Event("input", ("hangup", None)))
            self.call.hangup()

    def _record(self, name: str) -> None:
        assert self.call is not None
        path = f"{RECORDINGS}/{name}.wav"
        item = self._next()
        if isinstance(item, tuple) and item[0] == "silence":
            self._act(item, item)
            self.call.script.speech[path] = 0.0
        elif isinstance(item, tuple) and item[0] == "hangup":
            self._act(item, item)
            self.call.script.speech[path] = 3600.0
            gevent.spawn_later(SPOKEN_BEFORE_HANGUP_MS / 1000 * self.fake.scale,
                               self.call.hangup)
        else:
            self.call.script.speech[path] = SPEECH_S

    def _queue(self, name: str) -> None:
        assert self.call is not None
        outcome = self.outcomes.queues.get(name, "answered")
        if outcome == "answered":
            result = Outcome(after=self.outcomes.answer_after_ms / 1000, talk=TALK_S,
                             variables={"cc_agent": self.outcomes.agent})
        elif outcome == "noagent":
            result = Outcome(after=0.0, cause="NO_AGENT_TIMEOUT")
        elif outcome == "timeout":
            result = Outcome(after=60.0, cause="TIMEOUT")
        else:                                      # abandoned: the caller gives up
            result = Outcome(after=3600.0)
            self._later(30.0, self.call.hangup)
        self.call.script.outcomes["callcenter"] = result

    def _bridge(self, dial: str) -> None:
        assert self.call is not None
        if self.outcomes.transfer_fails:
            self.call.script.outcomes[dial] = Outcome(after=1.0, cause=self.outcomes.transfer_cause)
        else:
            self.call.script.outcomes[dial] = Outcome(after=0.5, cause="answered", talk=TALK_S)

    def _fax(self, path: str) -> None:
        assert self.call is not None
        item = self._next()
        if self.outcomes.fax_fails:
            result = Outcome(after=60.0, variables={
                "fax_success": "0", "fax_result_code": "2",
                "fax_result_text": "Timed out waiting for initial communication"})
        elif isinstance(item, tuple) and item[0] == "hangup":
            self._act(item, item)
            result = Outcome(after=FAX_DROP_S, hangup=True, variables={
                "fax_success": "0", "fax_result_code": "49",
                "fax_result_text": "The call dropped prematurely",
                "fax_document_transferred_pages": "0"})
        else:
            result = Outcome(after=FAX_S, variables=FAX_OK, hangup=True)
        self.call.script.outcomes["txfax"] = result


class FakeCallEnds:
    """The engine's Switch for wire tests: a call's end as the fake switch saw it.
    (On FreeSWITCH the control connection reports it: fsmod/control.)"""

    def __init__(self, clock: ScaledClock, caller: WireCaller) -> None:
        self.clock = clock
        self.caller = caller

    def watch(self, uuid: str) -> CallEnd:
        call = self.caller.call
        while call is None or call.uuid != uuid:
            gevent.sleep(0.01)
            call = self.caller.call
        call.ended.wait(600)
        cause = call.hangup_cause or "NORMAL_CLEARING"
        by = "engine" if self.caller.ours else "switch" if cause == "ALLOTTED_TIMEOUT" \
            else "caller"
        return CallEnd(self.clock.now(), cause, by, call.variables.get("cc_agent"))


def run_wire_test(ir: Mapping[str, Any], test: Mapping[str, Any], runtime: Runtime,
                  fake: FakeFreeSWITCH, *, strict: bool = False,
                  timeout: float = 60.0) -> TestResult:
    """Run one test block with the engine on ESLChannel against `fake` (over TCP)."""
    plan = _plan(test)
    result = TestResult(ir["flow"], ir["source"], test["name"], test["line"])
    zone = ZoneInfo(ir["timezone"] or runtime.timezone)
    clock = ScaledClock(dt.datetime.fromisoformat(plan.at).replace(tzinfo=zone), fake.scale)
    sink = MemorySink()
    outbox = runtime.sink.outbox if isinstance(runtime.sink, CommittingSink) else None
    rt = dataclasses.replace(runtime, registry=runtime.registry.overlay(),
                             sink=CommittingSink(sink, outbox) if outbox else sink,
                             desk=plan.desk, fax_jobs=plan.fax_jobs,
                             back_office=plan.back_office)
    timeline = result.events
    caller = WireCaller(plan, fake, timeline)
    try:
        calls = Calls([ir], rt, FakeCallEnds(clock, caller), follow_goto_flow=False)
    except CallsError as exc:
        result.problems.append(str(exc))
        return result
    opened: list[Any] = []

    def handle(channel: ESLChannel) -> None:
        channel.clock = clock
        opened.append(calls.handle(channel, flow=ir["flow"], start=plan.start,
                                   variables=plan.variables, lang=plan.lang,
                                   observer=lambda kind, value: timeline.append(
                                       Event(kind, value))))

    server = OutboundServer(handle, port=0, voice=WireCaller._voice, recordings=RECORDINGS,
                            listener_for=lambda uuid: caller.heard).start()
    try:
        with _overrides(rt, plan.givens) as problem:
            if problem:
                result.problems.append(problem)
                return result
            script = CallScript(caller=plan.caller,
                                destination=(ir.get("numbers") or ["95158"])[0])
            caller.call = fake.place_call(script, "127.0.0.1", server.port)
            if not caller.call.ended.wait(timeout):
                caller.call.hangup()
                result.problems.append(f"the call was still running after {timeout:g} s")
            deadline = time.monotonic() + 10
            while server.stats.active and time.monotonic() < deadline:
                gevent.sleep(0.01)
            if opened:
                opened[0].done.wait(timeout=10)
    finally:
        server.stop(timeout=1)
    if server.stats.failed:
        result.problems.append("the engine crashed on the wire (see the log)")
        return result
    result.record = sink.records[0] if sink.records else None
    if len(sink.records) != 1:
        result.problems.append(f"the call record was committed {len(sink.records)} times")
    result.problems.extend(_match(plan, timeline, strict or bool(test.get("strict"))))
    record = result.record
    if record and record.end_reason in ("error", "loop_guard"):
        result.problems.append(f"the call ended with {record.end_reason}: {record.detail}")
    return result
