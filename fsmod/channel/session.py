"""One outbound socket session: commands, application runs and the call's end.

FreeSWITCH connected to us for one call. A reader greenlet takes every frame
off the socket: replies go to the one command waiting for them (replies
come in command order, and one command is in flight at a time), each
CHANNEL_EXECUTE_COMPLETE to the run whose `Event-UUID` it carries as
`Application-UUID` (a completion nobody waits for any more is dropped, so a
timed-out wait never steals a later one), keys and the hangup to the
channel's hooks. Every wait has a deadline; a socket that closes, a frame
that cannot be read or a reply that never comes ends the session, and every
waiter wakes at once.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import gevent
import gevent.event
import gevent.lock
import gevent.queue

from fsmod.commands import control, sendmsg
from fsmod.commands.sendmsg import AppCall
from fsmod.esl.connection import ConnectionClosed, FrameConnection, FrameTimeout
from fsmod.esl.events import Event
from fsmod.esl.frame import Frame, FrameError
from fsmod.esl.messages import (
    ApiResponse,
    CommandReply,
    DisconnectNotice,
    EventMessage,
    classify,
)
from fsmod.vocab import EventName, HangupCause

log = logging.getLogger(__name__)

LOST_LINK = HangupCause.NORMAL_TEMPORARY_FAILURE.value
"""CallGone's cause when the socket broke or FreeSWITCH sent what cannot be read."""
NO_REPLY = HangupCause.RECOVERY_ON_TIMER_EXPIRE.value
"""CallGone's cause when FreeSWITCH did not answer within a deadline (Q.850 102)."""


@dataclass(frozen=True)
class Timeouts:
    """The deadlines of one session, in seconds."""

    connect: float = 5.0        # the `connect` reply (the call's data)
    reply: float = 5.0          # any command's reply
    after_hangup: float = 10.0  # results FreeSWITCH sends after CHANNEL_HANGUP
    idle: float = 4 * 3600.0    # the longest silence of a socket with a call on it
    linger: int = 30            # `linger N`: how long FreeSWITCH keeps the socket after the hangup


class SessionLost(Exception):
    """The socket session cannot go on (closed, unreadable, or a deadline passed)."""

    def __init__(self, cause: str, why: str) -> None:
        super().__init__(why)
        self.cause = cause


@dataclass
class Run:
    """An application sent with its own Event-UUID, until its completion."""

    event_uuid: str
    app: str
    done: gevent.event.AsyncResult = field(default_factory=gevent.event.AsyncResult)
    started: bool = False
    keys: list[str] = field(default_factory=list)    # DTMF taken off the line while it ran
    sent: float = 0.0                                # perf_counter() when it was sent


_LOST = object()


class SocketSession:
    """The wire side of an ESLChannel. Hooks: `on_key(digit, run)` for every DTMF
    event (`run` is the application that took it, or None: nothing listened),
    `on_gone(cause)` once when the line goes, `on_event(event)` for every event,
    `on_custom(event)` for every CUSTOM or DETECTED_TONE event (a detector's:
    mod_avmd's avmd::beep, mod_spandsp's fax tone);
    `on_round_trip(kind, what, seconds)`, when set, for each command's reply
    (kind "reply", `what` the application or command word) and each run's
    completion (kind "complete", `what` the application): the metrics."""

    def __init__(self, conn: FrameConnection, timeouts: Timeouts | None = None) -> None:
        self.conn = conn
        self.t = timeouts or Timeouts()
        self.data: Event | None = None
        self.uuid = ""
        self.cause = ""                    # set once the line is gone
        self.gone = gevent.event.Event()   # CHANNEL_HANGUP, a linger notice, or a lost socket
        self.ended = gevent.event.Event()  # nothing more will come (HANGUP_COMPLETE, closed)
        self.socket_done = False           # the `socket` app completed: the session is over
        self.on_key: Callable[[str, Run | None], None] = lambda key, run: None
        self.on_gone: Callable[[str], None] = lambda cause: None
        self.on_event: Callable[[Event], None] = lambda event: None
        self.on_custom: Callable[[Event], None] = lambda event: None
        self.on_round_trip: Callable[[str, str, float], None] | None = None
        self._replies: gevent.queue.Queue = gevent.queue.Queue()
        self._runs: dict[str, Run] = {}
        self._running: Run | None = None
        self._lock = gevent.lock.Semaphore()
        self._reader: gevent.Greenlet | None = None
        self._complained = False

    # ------------------------------------------------------------ setup and end

    def start(self) -> Event:
        """`connect` (returns the call's data), then `myevents` and `linger N`."""
        self.conn.send(control.simple("connect"), timeout=self.t.reply)
        deadline = time.monotonic() + self.t.connect
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SessionLost(NO_REPLY, "no reply to connect")
            message = classify(self.conn.read(timeout=left))
            if isinstance(message, CommandReply) and message.channel_data is not None:
                break
        self.data = message.channel_data
        self.uuid = self.data.unique_id
        self._reader = gevent.spawn(self._read_loop)
        for frame in (control.simple("myevents"), control.linger(self.t.linger)):
            reply = self.command(frame)
            if isinstance(reply, CommandReply) and not reply.ok \
                    and "aready" not in reply.reply_text:
                raise SessionLost(LOST_LINK, f"{frame.command}: {reply.reply_text}")
        return self.data

    def close(self) -> None:
        """Leave the session: `exit` when the socket is still open, then close it."""
        if not self.conn.closed:
            with contextlib.suppress(ConnectionClosed, FrameTimeout, OSError):
                self.conn.send(control.simple("exit"), timeout=1.0)
        self.conn.close()
        if self._reader is not None and gevent.getcurrent() is not self._reader:
            self._reader.kill(block=False)
        self._lost(LOST_LINK)

    # ------------------------------------------------------------ commands

    def command(self, frame: Frame, timeout: float | None = None,
                what: str = "") -> CommandReply | ApiResponse:
        """Send one command and return its reply; SessionLost when there is none in time.
        `what` names it for on_round_trip (default: the command's first word)."""
        timeout = timeout or self.t.reply
        if not self._lock.acquire(timeout=timeout):
            raise SessionLost(NO_REPLY, f"{frame.command}: an earlier command never got a reply")
        try:
            if self.ended.is_set() and self.conn.closed:
                raise SessionLost(self.cause or LOST_LINK, "the socket is closed")
            sent = time.perf_counter()
            try:
                self.conn.send(frame, timeout=timeout)
            except (ConnectionClosed, FrameTimeout) as error:
                self._lost(LOST_LINK)
                raise SessionLost(LOST_LINK, f"{frame.command}: {error}") from None
            try:
                reply = self._replies.get(timeout=timeout)
            except gevent.queue.Empty:
                self._stalled(f"no reply to {frame.command} within {timeout:g} s")
                raise SessionLost(NO_REPLY, f"no reply to {frame.command}") from None
            if reply is _LOST:
                raise SessionLost(self.cause or LOST_LINK, "the socket closed")
            if self.on_round_trip is not None:
                self._safely(self.on_round_trip, "reply",
                             what or frame.command.partition(" ")[0],
                             time.perf_counter() - sent)
            return reply
        finally:
            self._lock.release()

    def execute(self, call: AppCall, limit: float, *, after_hangup: bool = False) -> Event | None:
        """Run `call` and return its CHANNEL_EXECUTE_COMPLETE.

        The line going raises SessionLost at once, unless `after_hangup`: then
        the completion FreeSWITCH sends after the hangup is still awaited (for
        `Timeouts.after_hangup` at most) and returned, or None when it never
        comes. `limit` bounds the whole run; past it the call is hung up.
        """
        run = self.begin(call)
        try:
            done = self.wait(run, limit, after_hangup=after_hangup)
            if done is None and not self.gone.is_set():
                log.warning("call=%s %s ran past its %.0f s limit: ending the call",
                            self.uuid, call.app, limit)
                self.hangup(HangupCause.RECOVERY_ON_TIMER_EXPIRE.value)
                self._lost(NO_REPLY)
                raise SessionLost(NO_REPLY, f"{call.app} never completed")
            return done
        finally:
            self.finish(run)

    def begin(self, call: AppCall) -> Run:
        """Send `call` with its own Event-UUID; `finish(run)` when done with it."""
        self.check()
        ex = sendmsg.execute(call)
        run = Run(ex.event_uuid, call.app, sent=time.perf_counter())
        self._runs[ex.event_uuid] = run
        try:
            reply = self.command(ex.frame, what=call.app)
        except SessionLost:
            self.finish(run)
            raise
        if isinstance(reply, CommandReply) and not reply.ok:
            self.finish(run)
            self._lost(LOST_LINK)
            raise SessionLost(LOST_LINK, f"sendmsg {call.app}: {reply.reply_text}")
        return run

    def wait(self, run: Run, limit: float, *, after_hangup: bool = False) -> Event | None:
        """The run's completion within `limit` seconds (None when it did not come);
        SessionLost when the line goes first, unless `after_hangup` (see execute)."""
        gevent.wait([run.done, self.gone], timeout=limit, count=1)
        if run.done.ready() and run.done.get() is not None:
            return run.done.get()
        if self.gone.is_set():
            if not after_hangup:
                raise SessionLost(self.cause or LOST_LINK, "the line is gone")
            run.done.wait(timeout=self.t.after_hangup)
            return run.done.get() if run.done.ready() else None
        return None

    def finish(self, run: Run) -> None:
        """Forget the run: a completion that still comes is dropped, never handed on."""
        self._runs.pop(run.event_uuid, None)
        if self._running is run:
            self._running = None

    def api(self, line: str, timeout: float | None = None) -> str:
        """`api LINE` (a full socket allows it); the response body."""
        reply = self.command(Frame(command=f"api {line}"), timeout)
        return reply.body if isinstance(reply, ApiResponse) else reply.reply_text

    def hangup(self, cause: str) -> None:
        """Hang the call up; never raises (a session already gone is left alone)."""
        if self.gone.is_set() or self.conn.closed:
            return
        with contextlib.suppress(SessionLost):
            self.command(sendmsg.hangup(HangupCause(cause)), timeout=min(self.t.reply, 2.0),
                         what="hangup")

    @property
    def running(self) -> bool:
        """An application of ours was sent and has not completed."""
        return bool(self._runs)

    def check(self) -> None:
        if self.gone.is_set():
            raise SessionLost(self.cause or LOST_LINK, "the line is gone")

    # ------------------------------------------------------------ the reader

    def _read_loop(self) -> None:
        try:
            while True:
                frame = self.conn.read(timeout=self.t.idle)
                self._dispatch(frame)
        except ConnectionClosed as error:
            if not self.ended.is_set() and not self.gone.is_set():
                log.info("call=%s the socket closed: %s", self.uuid, error)
        except FrameError as error:
            log.warning("call=%s unreadable frame from FreeSWITCH (%s): ending the session",
                        self.uuid, error)
        except FrameTimeout:
            log.warning("call=%s nothing from FreeSWITCH for %.0f s: ending the session",
                        self.uuid, self.t.idle)
        finally:
            self.conn.close()
            self._lost(LOST_LINK)

    def _dispatch(self, frame: Frame) -> None:
        message = classify(frame)
        if isinstance(message, (CommandReply, ApiResponse)):
            self._replies.put(message)
        elif isinstance(message, EventMessage):
            self._event(message.event)
        elif isinstance(message, DisconnectNotice):
            if message.disposition == "linger":
                self._line_gone(self.cause or HangupCause.NORMAL_CLEARING.value)
            else:
                self._line_gone(self.cause or (HangupCause.SYSTEM_SHUTDOWN.value
                                               if message.shutdown else LOST_LINK))
                self.ended.set()
                self._fail_runs()
        elif not self._complained:
            self._complained = True     # one line per session, never a flood
            log.info("call=%s ignoring a %s frame", self.uuid, frame.content_type or "typeless")

    def _event(self, event: Event) -> None:
        name = event.name
        if name == EventName.CHANNEL_EXECUTE:
            run = self._runs.get(event.application_uuid)
            if run is not None:
                run.started = True
                self._running = run
        elif name == EventName.CHANNEL_EXECUTE_COMPLETE:
            run = self._runs.get(event.application_uuid)
            if run is not None:
                if self._running is run:
                    self._running = None
                run.done.set(event)
                if self.on_round_trip is not None:
                    self._safely(self.on_round_trip, "complete", run.app,
                                 time.perf_counter() - run.sent)
            elif event.get("Application") == "socket":
                self.socket_done = True
        elif name == EventName.DTMF:
            digit = event.get("DTMF-Digit") or ""
            run = self._running
            if run is not None:
                run.keys.append(digit)
            self._safely(self.on_key, digit, run)
        elif name in (EventName.CUSTOM, EventName.DETECTED_TONE):
            self._safely(self.on_custom, event)
        elif name == EventName.CHANNEL_HANGUP:
            self._line_gone(event.get("Hangup-Cause") or HangupCause.NORMAL_CLEARING.value)
        elif name == EventName.CHANNEL_HANGUP_COMPLETE:
            self._line_gone(event.get("Hangup-Cause") or HangupCause.NORMAL_CLEARING.value)
            self.ended.set()
            self._fail_runs()
        self._safely(self.on_event, event)

    def _safely(self, hook: Callable[..., None], *args: object) -> None:
        try:
            hook(*args)
        except Exception:
            log.exception("call=%s a channel listener failed", self.uuid)

    # ------------------------------------------------------------ the end of the line

    def _line_gone(self, cause: str) -> None:
        if self.gone.is_set():
            return
        self.cause = cause
        self.gone.set()
        self._safely(self.on_gone, cause)

    def _lost(self, cause: str) -> None:
        """The socket is over: the line counts as gone, every waiter wakes."""
        self._line_gone(cause)
        self.ended.set()
        self._fail_runs()
        self._replies.put(_LOST)

    def _fail_runs(self) -> None:
        for run in list(self._runs.values()):
            if not run.done.ready():
                run.done.set(None)

    def _stalled(self, why: str) -> None:
        log.warning("call=%s %s: ending the session", self.uuid, why)
        self.conn.close()
        self._lost(NO_REPLY)
