"""ESLChannel: the engine's Channel on one outbound socket session.

Each method is one or a few applications run with `sendmsg` execute, each
awaited on its own Event-UUID (fsmod.channel.session). The key rules are
FreeSWITCH's own: nothing here buffers or replays keys, so a key is kept or
lost exactly as the switch keeps or loses it (capture outbound-dtmf-bargein).

The line going (CHANNEL_HANGUP, the linger notice, a lost socket, a
deadline) is published as ChannelEvent("hangup") the moment the reader sees
it: a session busy in a lookup is interrupted by the engine's LineGuard; a
method waiting on the switch raises CallGone(cause), except those whose
result FreeSWITCH delivers with or after the hangup (record, queue, bridge,
send_fax), which return it; the next method then raises.

A campaign call carries `sf_detect` (set by the dialler at originate):
"fax", or "machine" (both detectors) when its campaign has `on machine`. `detect()`
subscribes the session to what the detectors fire and starts them: for
"machine", CUSTOM avmd::beep (`myevents` does not deliver CUSTOM events) and
mod_avmd (`avmd_start`); for "fax", DETECTED_TONE and mod_spandsp's CED
detector (`spandsp_start_fax_detect … ced`), whose event carries
`Detected-Fax-Tone: true` and the channel's Unique-ID. The first detector
heard is published as ChannelEvent("machine", "beep"|"fax"); an application
of ours that is running is stopped (`uuid_break`) and the method running
returns early, so the engine can go to the campaign's `on machine` node.

`listener`, when given, is told what the caller heard and did as
`(kind, value)` pairs with the simulator's event names (answer, play, say,
lost, record, queue, agent, bridge, fax, hangup, caller_hangup, machine; and
`collect` with the DigitRequest as play_and_get_digits starts): the flow
tests over the wire read the same timeline as on the simulator.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import gevent

from engine.calendars.clock import SystemClock
from engine.channel.contract import (
    CallGone,
    Channel,
    ChannelEvent,
    DigitRequest,
    DigitResult,
    FaxResult,
    RecordRequest,
    RecordResult,
)
from engine.channel.media import Media
from engine.channel.requests import (
    PHONE_KEYS,
    BridgeResult,
    PlayResult,
    QueueRequest,
    QueueResult,
)
from engine.speech.safe_text import neutralise
from fsmod.channel.session import Run, SessionLost, SocketSession
from fsmod.channel.sound import Files, Speech, Voice, steps
from fsmod.commands import apps, control
from fsmod.commands.sendmsg import AppCall
from fsmod.commands.sounds import Sound
from fsmod.commands.validate import CommandValueError
from fsmod.esl.events import Event
from fsmod.vocab import EventName, HangupCause, Subclass

log = logging.getLogger(__name__)

WireListener = Callable[[str, Any], None]

NO_PROMPT = Sound.silence(20)
"""play_and_get_digits needs a file: one frame of silence when the engine gives no prompt."""
DETECT = "sf_detect"
"""Channel variable of an originated call asking for detection: "fax" (mod_spandsp's
fax tone) or "machine" (mod_avmd's voicemail beep, and the fax tone)."""
FAX_DETECT_S = 30
"""Seconds mod_spandsp listens for a fax tone: an answering fax sends CED within
a few seconds of the answer, and a person talking would only risk a false hit."""
DIGIT_REGEX = "[\\d*#]+"
MIN_SPEECH_MS = 500
"""A recording with less than this before the silence that ended it holds nothing said
(the silence detector's frames add a few milliseconds to an empty one)."""


@dataclass(frozen=True)
class Limits:
    """How long each kind of application may run before the call is ended (seconds).

    `play` bounds one playback (and a read's prompt); `record_extra` is added to a
    recording's own maximum; `queue` applies when the flow sets no wait limit;
    `break_grace` is how long a queue member may take to leave after uuid_break.
    """

    command: float = 10.0
    play: float = 600.0
    record_extra: float = 10.0
    queue: float = 4 * 3600.0
    bridge: float = 4 * 3600.0
    fax: float = 600.0
    break_grace: float = 5.0


class ESLChannel(Channel):
    """One call's line over its outbound socket session (after `SocketSession.start`)."""

    def __init__(self, session: SocketSession, *, voice: Voice | None = None,
                 limits: Limits | None = None, recordings: str = "",
                 listener: WireListener | None = None) -> None:
        super().__init__()
        data = session.data
        if data is None:
            raise ValueError("start() the session before making a channel of it")
        self.session = session
        self.voice = voice or Voice()
        self.limits = limits or Limits()
        self.recordings = recordings.rstrip("/")
        self.listener = listener
        self.clock = SystemClock()
        self.uuid = session.uuid
        self.caller = data.get("Caller-Caller-ID-Number") or data.get(
            "Channel-Caller-ID-Number") or ""
        self.called = data.get("Caller-Destination-Number") or data.get(
            "Channel-Destination-Number") or ""
        self.direction = data.get("Call-Direction") or ""
        self.variables: Mapping[str, str] = MappingProxyType(dict(data.variables))
        self._terminators: str | None = None     # playback_terminators as last set
        self._collects = 0
        self._ours = False                       # we hung up
        self._handed_over = False                # an agent took the call
        self._machines = 0                       # detector hits heard on this line
        session.on_gone = self._gone_now
        session.on_key = self._key
        session.on_custom = self._custom

    def detect(self) -> bool:
        """Start what `sf_detect` asks for (see the module's docstring); True when
        a detector runs. Called once, as the session starts, before the flow."""
        asked = self.variables.get(DETECT, "")
        machine, fax = asked == "machine", asked in ("machine", "fax")
        if not machine and not fax:
            return False
        names = [EventName.DETECTED_TONE] if fax else []
        subclasses = [Subclass.AVMD_BEEP.value] if machine else []
        try:
            reply = self.session.command(control.event(names, subclasses))
            if getattr(reply, "ok", True) is False:
                log.warning("call=%s could not subscribe to the detectors' events (%s): no "
                            "machine or fax detection", self.uuid,
                            getattr(reply, "reply_text", ""))
                return False
            if machine:
                self._run(apps.avmd_start())
            if fax:
                self._run(apps.fax_detect(FAX_DETECT_S))
        except (SessionLost, CallGone) as error:
            log.info("call=%s machine or fax detection not started: %s", self.uuid, error)
            return False
        return True

    # ------------------------------------------------------------ the line's own events

    @property
    def gone(self) -> bool:
        return self.session.gone.is_set() or self._handed_over or self._ours

    def _gone_now(self, cause: str) -> None:
        if not self._ours and not self._handed_over:
            self._emit("caller_hangup", cause)
        self.publish(ChannelEvent("hangup", cause))

    def _key(self, digit: str, run: Run | None) -> None:
        self.publish(ChannelEvent("dtmf", digit))
        if run is None:
            self._emit("lost", digit)            # nothing listened: FreeSWITCH dropped it

    def _custom(self, event: Event) -> None:
        tone = detected(event)
        if tone is None or self._machines:
            return                               # once per line, like the engine's node
        if (event.get("Unique-ID") or self.uuid) != self.uuid:
            return
        self._machines += 1
        self._emit("machine", tone)
        self.publish(ChannelEvent("machine", tone))
        if self.session.running:                 # stop the prompt the machine is hearing
            gevent.spawn(self._break)

    def _break(self) -> None:
        with contextlib.suppress(SessionLost):    # the line is gone: nothing to stop
            self.session.api(f"uuid_break {self.uuid} all")

    def _emit(self, kind: str, value: Any = None) -> None:
        if self.listener is not None:
            try:
                self.listener(kind, value)
            except Exception:
                log.exception("call=%s wire listener failed", self.uuid)

    def _check(self) -> None:
        if self._handed_over or self._ours:
            raise CallGone(HangupCause.NORMAL_CLEARING.value)
        if self.session.gone.is_set():
            raise CallGone(self.session.cause or HangupCause.NORMAL_CLEARING.value)

    def _gone_error(self, error: SessionLost) -> CallGone:
        return CallGone(self.session.cause or error.cause)

    def _run(self, call: AppCall, limit: float | None = None) -> Event:
        try:
            done = self.session.execute(call, limit or self.limits.command)
        except SessionLost as error:
            raise self._gone_error(error) from None
        if done is None:
            raise CallGone(self.session.cause or HangupCause.NORMAL_CLEARING.value)
        return done

    def _run_after(self, call: AppCall, limit: float) -> Event | None:
        """Run an application whose result may come with or after the hangup."""
        try:
            return self.session.execute(call, limit, after_hangup=True)
        except SessionLost as error:
            raise self._gone_error(error) from None

    def _run_keyed(self, call: AppCall, limit: float) -> tuple[Run, Event]:
        """Run an application that takes keys off the line (`run.keys`); one that never
        completes within `limit` hangs the call up (RECOVERY_ON_TIMER_EXPIRE)."""
        try:
            run = self.session.begin(call)
        except SessionLost as error:
            raise self._gone_error(error) from None
        try:
            done = self.session.wait(run, limit)
        except SessionLost as error:
            raise self._gone_error(error) from None
        finally:
            self.session.finish(run)
        if done is None:
            self.session.hangup(HangupCause.RECOVERY_ON_TIMER_EXPIRE.value)
            raise CallGone(HangupCause.RECOVERY_ON_TIMER_EXPIRE.value)
        return run, done

    def _set_terminators(self, keys: str) -> None:
        if self._terminators != keys:
            self._run(apps.playback_terminators(keys))
            self._terminators = keys

    # ------------------------------------------------------------ Channel

    def answer(self) -> None:
        self._check()
        self._run(apps.answer())
        self._emit("answer")

    def play(self, media: Media, terminators: str = "") -> PlayResult:
        self._check()
        self._emit("play" if media.key is not None else "say", media)
        keys = "".join(k for k in PHONE_KEYS if k in terminators)
        self._set_terminators(keys)
        heard = self._machines
        for step in steps(media, self.voice, self.uuid):
            call = apps.playback(step.sound) if isinstance(step, Files) else step.call
            stop = self._play_step(call, keys)
            if stop is not None:
                return PlayResult(stop)
            if self._machines != heard:
                break                             # a detector stopped the prompt
        return PlayResult(None)

    def _play_step(self, call: AppCall, terminators: str) -> str | None:
        """One playback or speak; the terminator that stopped it, or None.
        Keys it consumed that were not terminators are lost (reported)."""
        run, _ = self._run_keyed(call, self.limits.play)
        # the switch takes keys one at a time and stops at the first terminator: that
        # is the one it names in playback_terminator_used (which speak may not set, and
        # which keeps an earlier playback's value), so the keys it took decide
        stop = next((k for k in run.keys if k in terminators), None)
        lost = list(run.keys)
        if stop is not None:
            lost.remove(stop)
        if lost:
            self._emit("lost", "".join(lost))
        return stop

    def collect(self, request: DigitRequest) -> DigitResult:
        self._check()
        first = ""
        files: list[Sound] = []
        if request.prompt is not None:
            self._emit("play" if request.prompt.key is not None else "say", request.prompt)
            for step in steps(request.prompt, self.voice, self.uuid):
                if isinstance(step, Speech):
                    # spoken text cannot go into play_and_get_digits: speak it first, any
                    # key stopping it (rule 1: the first key stops the prompt and counts)
                    if files:
                        first = self._play_files_listening(files)
                        files = []
                        if first:
                            break
                    self._set_terminators(PHONE_KEYS)
                    first = self._play_step(step.call, PHONE_KEYS) or ""
                    if first:
                        break
                else:
                    files.append(step.sound)
        if first:
            return self._rest_of_entry(request, first)
        prompt = Sound.files([f.uri for f in files]) if len(files) > 1 else (
            files[0] if files else NO_PROMPT)
        return self._read(request, prompt)

    def _play_files_listening(self, files: list[Sound]) -> str:
        self._set_terminators(PHONE_KEYS)
        sound = Sound.files([f.uri for f in files]) if len(files) > 1 else files[0]
        return self._play_step(apps.playback(sound), PHONE_KEYS) or ""

    def _rest_of_entry(self, request: DigitRequest, first: str) -> DigitResult:
        """A key stopped a spoken part of the prompt: it is the entry's first key."""
        if first in request.terminators:
            return DigitResult("", "success" if request.min_digits == 0 else "failure", first)
        if request.max_digits <= 1:
            return DigitResult(first, "success")
        rest = DigitRequest(None, max(0, request.min_digits - 1), request.max_digits - 1,
                            request.interdigit_ms, request.interdigit_ms, request.terminators,
                            request.secret)
        got = self._read(rest, NO_PROMPT)
        status = got.status
        if status == "failure" and len(first + got.digits) >= request.min_digits:
            status = "timeout"
        return DigitResult(first + got.digits, status, got.terminator)

    def _read(self, request: DigitRequest, prompt: Sound) -> DigitResult:
        self._collects += 1
        variable = f"sf_digits_{self._collects}"    # never a value left from an earlier read
        timeout = max(1000, request.timeout_ms)
        call = apps.play_and_get_digits(
            min_digits=request.min_digits, max_digits=request.max_digits, timeout_ms=timeout,
            terminators_keys="".join(k for k in PHONE_KEYS if k in request.terminators),
            prompt=prompt, variable=variable, digit_timeout_ms=max(1, request.interdigit_ms),
            regex=DIGIT_REGEX)
        self._emit("collect", request)
        limit = (self.limits.play + timeout / 1000
                 + request.max_digits * max(1, request.interdigit_ms) / 1000 + 5)
        run, done = self._run_keyed(call, limit)
        if self.session.gone.is_set():
            raise CallGone(self.session.cause)
        # the variable is set only when the entry was usable; a failed one's keys are
        # those the application took off the line (its DTMF events), terminators aside
        digits = done.variables.get(variable) or "".join(
            k for k in run.keys if k not in request.terminators)[:request.max_digits]
        result = done.variables.get("read_result", "failure")
        used = done.variables.get("read_terminator_used", "")
        terminator = used if used and used in request.terminators and used in run.keys \
            and run.keys[-1] == used else None
        if result == "timeout":
            return DigitResult(digits, "timeout" if len(digits) >= request.min_digits
                               else "failure")
        if result == "success" and len(digits) >= request.min_digits:
            return DigitResult(digits, "success", terminator)
        return DigitResult(digits, "failure", terminator)

    def record(self, request: RecordRequest) -> RecordResult:
        self._check()
        self._emit("record", request.name)
        path = self._recording_path(f"{request.name}.wav")
        if request.beep:
            self._set_terminators("")
            self._run(apps.playback(Sound.tone(250, 0, 1000)), self.limits.command)
        keys = "".join(k for k in PHONE_KEYS if k in request.terminators)
        self._set_terminators(keys)
        silence_s = max(0, math.ceil(request.silence_ms / 1000))
        max_s = max(1, math.ceil(request.max_ms / 1000))
        done = self._run_after(apps.record(path, max_s, 200, silence_s),
                               max_s + self.limits.record_extra)
        if done is None:
            return RecordResult(None, 0)
        ms = _int(done.variables.get("record_ms"))
        if done.variables.get("silence_hits_exhausted") == "true":
            ms -= silence_s * 1000              # the silence that ended it was not speech
        return RecordResult(path, ms) if ms >= MIN_SPEECH_MS else RecordResult(None, 0)

    def _recording_path(self, name: str) -> str:
        return f"{self.recordings}/{name}" if self.recordings else name

    def queue(self, request: QueueRequest) -> QueueResult:
        self._check()
        self._emit("queue", request.name or request.queue)
        began = time.monotonic()
        export = {name: _plain(value) for name, value in request.export.items()}
        try:
            for name, value in export.items():
                self._run(apps.set_var(name, value))
            if export:
                self._run(apps.cc_export_vars(export))
            if request.priority:
                self._run(apps.set_var("cc_base_score", str(request.priority)))
        except CommandValueError as error:
            log.warning("call=%s screen-pop value refused: %s", self.uuid, error)
        if request.announce is not None:
            try:
                self.play(request.announce)
            except CallGone:
                return QueueResult("abandoned", wait_ms=_ms_since(began))
        try:
            run = self.session.begin(apps.callcenter(request.queue))
        except SessionLost:
            return QueueResult("abandoned", wait_ms=_ms_since(began))
        try:
            limit = request.timeout_ms / 1000 if request.timeout_ms else self.limits.queue
            done = self.session.wait(run, max(0.0, limit - (time.monotonic() - began)),
                                     after_hangup=True)
            timed_out = done is None and not self.session.gone.is_set()
            if timed_out:
                # our own wait limit (mod_callcenter's is per queue): break the member
                # out of the queue; callcenter then completes with cc_cause=cancel
                try:
                    self.session.api(f"uuid_break {self.uuid} all")
                    done = self.session.wait(run, self.limits.break_grace, after_hangup=True)
                except SessionLost:
                    done = None
        finally:
            self.session.finish(run)
        waited = _ms_since(began)
        values = done.variables if done is not None else {}
        if values.get("cc_cause") == "answered" and not self.session.gone.is_set():
            self._handed_over = True             # the socket session ends at the agent bridge
            agent = values.get("cc_agent") or None
            self._emit("agent", agent)
            return QueueResult("answered", agent, waited, _epoch(
                values.get("cc_queue_answered_epoch")) or self.clock.now())
        if self.session.gone.is_set():
            return QueueResult("abandoned", wait_ms=waited)
        if timed_out:
            return QueueResult("timeout", wait_ms=waited)
        reason = values.get("cc_cancel_reason", "")
        return QueueResult("noagent" if reason == "NO_AGENT_TIMEOUT" else "timeout",
                           wait_ms=waited)

    def bridge(self, dial: str, timeout_ms: int) -> BridgeResult:
        self._check()
        self._emit("bridge", dial)
        try:
            call = apps.bridge(dial, {"leg_timeout": str(max(1, math.ceil(timeout_ms / 1000)))})
        except CommandValueError as error:
            log.warning("call=%s transfer refused: %s", self.uuid, error)
            return BridgeResult(False, HangupCause.INVALID_NUMBER_FORMAT.value)
        self._run(apps.set_var("hangup_after_bridge", "true"))
        self._run(apps.set_var("continue_on_fail", "true"))
        bridged: list[float] = []
        ended: list[float] = []

        def watch(event: Event) -> None:
            if event.name == EventName.CHANNEL_BRIDGE and not bridged:
                bridged.append(time.monotonic())
            elif event.name in (EventName.CHANNEL_UNBRIDGE, EventName.CHANNEL_HANGUP) \
                    and bridged and not ended:
                ended.append(time.monotonic())

        before = self.session.on_event
        self.session.on_event = watch
        try:
            done = self._run_after(call, timeout_ms / 1000 + self.limits.bridge)
        finally:
            self.session.on_event = before
        values = done.variables if done is not None else {}
        if bridged:
            talk = int(((ended[0] if ended else time.monotonic()) - bridged[0]) * 1000)
            return BridgeResult(True, HangupCause.NORMAL_CLEARING.value, talk)
        if done is None and self.session.gone.is_set():
            raise CallGone(self.session.cause)
        cause = values.get("originate_disposition") or values.get("originate_failed_cause") \
            or HangupCause.NO_ANSWER.value
        return BridgeResult(False, cause)

    def start_recording(self, path: str, stereo: bool = False) -> None:
        self._check()
        if stereo:      # read when record_session starts; unset is mono, FreeSWITCH's default
            self._run(apps.set_var("RECORD_STEREO", "true"))
        self._run(apps.record_session(self._recording_path(path)))
        self._emit("record_session", path)

    def schedule_hangup(self, after_ms: int, cause: str = "ALLOTTED_TIMEOUT") -> None:
        self._check()
        self._run(apps.sched_hangup(max(1, math.ceil(after_ms / 1000)), HangupCause(cause)))

    def send_fax(self, path: str) -> FaxResult:
        self._check()
        self._emit("fax", path)
        done = self._run_after(apps.txfax(path), self.limits.fax)
        if done is None:
            return FaxResult(False, -1, "no fax result came before the call ended", 0)
        v = done.variables
        return FaxResult(v.get("fax_success") == "1", _int(v.get("fax_result_code")),
                         v.get("fax_result_text") or "", _int(
                             v.get("fax_document_transferred_pages")))

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        if self.gone:
            return
        self._ours = True
        self._emit("hangup", cause)
        known = HangupCause.parse(cause) or HangupCause.NORMAL_CLEARING
        self.session.hangup(known.value)

    def close(self) -> None:
        """The engine is done with this line: leave the socket session."""
        self.session.close()


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _ms_since(began: float) -> int:
    return int((time.monotonic() - began) * 1000)


def _epoch(text: str | None) -> dt.datetime | None:
    seconds = _int(text)
    return dt.datetime.fromtimestamp(seconds, dt.UTC) if seconds else None


def _plain(value: str) -> str:
    """A screen-pop value FreeSWITCH will not expand (`$`, braces become spaces)."""
    return neutralise(str(value)).replace("$", " ").replace("{", " ").replace("}", " ")


def detected(event: Event) -> str | None:
    """"beep" for mod_avmd's avmd::beep, "fax" for mod_spandsp's fax tone, else None."""
    if event.name == EventName.CUSTOM and event.subclass == Subclass.AVMD_BEEP:
        return "beep"
    if event.name == EventName.DETECTED_TONE and event.get("Detected-Fax-Tone") == "true":
        return "fax"
    return None
