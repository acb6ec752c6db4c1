"""One control connection (inbound event socket) to one FreeSWITCH node.

It connects, authenticates, subscribes, and then one reader greenlet owns
the socket: replies go to the commands waiting for them (FreeSWITCH answers
commands in the order they were sent, api/response and command/reply
alike, so a FIFO of waiting slots matches them; a slot whose caller gave up
stays in the FIFO and swallows the late reply), BACKGROUND_JOB events go to
the bgapi job with that Job-UUID, every other event to `on_event`.

Nothing waits for ever: every api reply has a deadline (`ApiTimeout`), every
job too (`JobTimeout`); the heartbeat watchdog calls a link dead after
`heartbeat_misses` silent heartbeat intervals; a lost link fails every
waiting command and job at once (`LinkLost`) and reconnects with
exponential backoff and jitter. A wrong password or an ACL rejection is a
configuration error: the link stops (state AUTH_FAILED) with a message that
says what to change, and never retries. A FreeSWITCH shutdown (SHUTDOWN
event, `The system is being shut down.` notice) is logged as such, apart
from a network loss or a killed switch (the socket just closes).
"""

from __future__ import annotations

import collections
import contextlib
import enum
import logging
import random
import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass

import gevent
import gevent.lock
from gevent import socket as gsocket
from gevent.event import AsyncResult

from fsmod.commands import control as ctl
from fsmod.commands.api import ApiCommand
from fsmod.control.config import LinkTiming, NodeConfig
from fsmod.esl.connection import ConnectionClosed, FrameConnection, FrameTimeout
from fsmod.esl.events import Event
from fsmod.esl.frame import Frame, FrameError
from fsmod.esl.messages import (
    ApiResponse,
    AuthRequest,
    CommandReply,
    DisconnectNotice,
    EventMessage,
    RudeRejection,
    classify,
)
from fsmod.vocab import EventName

log = logging.getLogger(__name__)

STABLE_AFTER = 10.0
"""Seconds a session must have stayed up for the next reconnect to start again
from the shortest wait (a link that flaps keeps backing off)."""

SUBSCRIBED = (EventName.BACKGROUND_JOB, EventName.CHANNEL_BRIDGE, EventName.CHANNEL_UNBRIDGE,
              EventName.CHANNEL_HANGUP, EventName.CHANNEL_HANGUP_COMPLETE,
              EventName.HEARTBEAT, EventName.SHUTDOWN, EventName.DETECTED_TONE)
SUBCLASSES = ("callcenter::info", "spandsp::txfaxresult", "spandsp::rxfaxresult", "avmd::beep",
              "sofia::register", "sofia::unregister", "sofia::expire")
"""CUSTOM events: mod_callcenter's, mod_spandsp's fax results (fsmod.faxsend) and
mod_avmd's beep (a campaign call answered by a machine: fsmod.campaigns.dialer).
DETECTED_TONE carries mod_spandsp's fax tone on a campaign call (the same dialer).
mod_sofia's registrations tell the panel's wallboard whose phone is there."""


class LinkState(enum.StrEnum):
    CONNECTING = "connecting"
    UP = "up"
    DOWN = "down"              # lost; reconnecting with backoff
    AUTH_FAILED = "auth_failed"  # wrong password or ACL: stopped, needs a settings change
    STOPPED = "stopped"


class ControlError(Exception):
    """A control command could not be done; the message says why."""


class AuthFailed(ControlError):
    """FreeSWITCH refused our password (or its ACL refused our address)."""


class LinkLost(ControlError):
    """The link went down (or was not up) while the command waited."""


class ApiTimeout(ControlError):
    """No reply within the deadline."""


class JobTimeout(ControlError):
    """A bgapi job's BACKGROUND_JOB did not come within the deadline."""


class _Down(Exception):
    """The session ended; `reason` says how (for the log and `status`)."""

    def __init__(self, reason: str, shutdown: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.shutdown = shutdown


@dataclass
class _Slot:
    result: AsyncResult
    abandoned: bool = False


class Job:
    """A bgapi job: `wait()` gives the BACKGROUND_JOB body (`+OK …`, `-ERR …`)."""

    def __init__(self, node: str, job_uuid: str, command: str) -> None:
        self.node = node
        self.job_uuid = job_uuid
        self.command = command
        self._result: AsyncResult = AsyncResult()

    def wait(self, timeout: float) -> str:
        try:
            return self._result.get(timeout=timeout)
        except gevent.Timeout:
            raise JobTimeout(f"{self.node}: no BACKGROUND_JOB for `{self.command[:60]}` "
                             f"(Job-UUID {self.job_uuid}) within {timeout:g} s") from None

    @property
    def done(self) -> bool:
        return self._result.ready()


EventHandler = Callable[[str, Event], None]
StateHandler = Callable[[str, LinkState], None]


class ControlLink:
    """The control connection to one node; `start()` runs it until `stop()`."""

    def __init__(self, node: NodeConfig, timing: LinkTiming, *,
                 on_event: EventHandler | None = None, on_state: StateHandler | None = None,
                 event_format: str = "plain",
                 filters: tuple[tuple[str, str], ...] = ()) -> None:
        self.node = node
        self.timing = timing
        self.on_event = on_event
        self.on_state = on_state
        self.event_format = event_format
        self.filters = filters
        self.state = LinkState.STOPPED
        self.last_error = ""
        self.up_since: float | None = None
        self.last_heartbeat: float | None = None
        self.shutting_down = False
        self.ups = 0                   # sessions established
        self.drops = 0                 # sessions lost
        self.attempts = 0              # connection attempts
        self._conn: FrameConnection | None = None
        self._fifo: collections.deque[_Slot] = collections.deque()
        self._jobs: dict[str, Job] = {}
        self._send_lock = gevent.lock.Semaphore()
        self._runner: gevent.Greenlet | None = None
        self._stopping = False
        self._up = gevent.event.Event()
        self._settled = gevent.event.Event()   # up, or stopped for good

    # ---- lifecycle ---------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def is_up(self) -> bool:
        return self.state == LinkState.UP

    def start(self) -> ControlLink:
        if self._runner is None or self._runner.dead:
            self._stopping = False
            self._runner = gevent.spawn(self._run)
        return self

    def stop(self) -> None:
        """Close the link and fail whatever waits on it; no reconnect."""
        self._stopping = True
        conn = self._conn
        if conn is not None:
            with self._send_lock, contextlib.suppress(ConnectionClosed, FrameTimeout):
                self._fifo.append(_Slot(AsyncResult(), abandoned=True))   # `+OK bye`
                conn.send(ctl.simple("exit"), timeout=1.0)
            conn.close()
        if self._runner is not None:
            self._runner.join(timeout=2.0)
            self._runner.kill(block=False)
        self._fail_waiting("the control link was stopped")
        self._set_state(LinkState.STOPPED)
        self._settled.set()

    def wait_up(self, timeout: float) -> bool:
        """True once the link is up; raises AuthFailed if it never can be."""
        self._settled.wait(timeout)
        if self.state == LinkState.AUTH_FAILED:
            raise AuthFailed(self.last_error)
        return self.is_up

    # ---- commands ----------------------------------------------------------------------

    def api(self, command: ApiCommand, timeout: float | None = None) -> str:
        """`api COMMAND`: its output (`+OK …`, `-ERR …`, data) within the deadline."""
        message = self._ask(command.api(), timeout, command.text)
        if not isinstance(message, ApiResponse):
            raise ControlError(f"{self.name}: `api {command.text[:60]}` got a "
                               f"{type(message).__name__} instead of its output")
        return message.body

    def bgapi(self, command: ApiCommand, timeout: float | None = None) -> Job:
        """`bgapi COMMAND` with our own Job-UUID: the job whose BACKGROUND_JOB brings
        the output. Jobs finish in any order; each is matched by its Job-UUID."""
        frame, job_uuid = command.bgapi(str(uuidlib.uuid4()))
        job = Job(self.name, job_uuid, command.text)
        self._jobs[job_uuid] = job
        try:
            reply = self._ask(frame, timeout, command.text)
        except ControlError:
            self._jobs.pop(job_uuid, None)
            raise
        if not (isinstance(reply, CommandReply) and reply.ok):
            self._jobs.pop(job_uuid, None)
            text = reply.reply_text if isinstance(reply, CommandReply) else type(reply).__name__
            raise ControlError(f"{self.name}: bgapi refused: {text}")
        return job

    def command(self, frame: Frame, timeout: float | None = None) -> CommandReply:
        """A socket command (`event …`, `filter …`) and its command/reply."""
        reply = self._ask(frame, timeout, frame.command)
        if not isinstance(reply, CommandReply):
            raise ControlError(f"{self.name}: `{frame.command[:60]}` got {type(reply).__name__}")
        return reply

    def _ask(self, frame: Frame, timeout: float | None, what: str) -> object:
        deadline = self.timing.api_timeout if timeout is None else timeout
        conn = self._conn
        if not self.is_up or conn is None:
            raise LinkLost(f"{self.name}: the control link is {self.state.value}"
                           + (f" ({self.last_error})" if self.last_error else ""))
        slot = _Slot(AsyncResult())
        with self._send_lock:
            self._fifo.append(slot)
            try:
                conn.send(frame, timeout=deadline)
            except (ConnectionClosed, FrameTimeout) as error:
                slot.abandoned = True
                conn.close()
                raise LinkLost(f"{self.name}: could not send `{what[:60]}`: {error}") from None
        try:
            return slot.result.get(timeout=deadline)
        except gevent.Timeout:
            slot.abandoned = True
            raise ApiTimeout(f"{self.name}: no reply to `{what[:60]}` within "
                             f"{deadline:g} s") from None

    # ---- the session -------------------------------------------------------------------

    def _set_state(self, state: LinkState) -> None:
        if state == self.state:
            return
        self.state = state
        if state == LinkState.UP:
            self._up.set()
            self._settled.set()
        else:
            self._up.clear()
        if self.on_state is not None:
            try:
                self.on_state(self.name, state)
            except Exception:
                log.exception("%s: a link state handler failed", self.name)

    def _run(self) -> None:
        delay = self.timing.reconnect_min
        while not self._stopping:
            self.attempts += 1
            self._set_state(LinkState.CONNECTING)
            started = time.monotonic()
            was_up = False
            try:
                self._session()
            except AuthFailed as error:
                self.last_error = str(error)
                log.error("%s", error)
                self._fail_waiting(str(error))
                self._set_state(LinkState.AUTH_FAILED)
                self._settled.set()
                return
            except _Down as down:
                self.last_error = down.reason
                if self._stopping:
                    log.info("%s: control link closed", self.name)
                elif down.shutdown:
                    log.warning("%s: FreeSWITCH is shutting down (%s); reconnecting when it is "
                                "back", self.name, down.reason)
                elif self.state == LinkState.UP:
                    log.warning("%s: control link lost: %s", self.name, down.reason)
                else:
                    log.info("%s: cannot connect to %s:%d: %s", self.name, self.node.host,
                             self.node.port, down.reason)
            except Exception as error:            # a bug must not end the reconnect loop
                self.last_error = f"unexpected error: {error!r}"
                log.exception("%s: control link failed", self.name)
            finally:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
            if self.state == LinkState.UP:
                self.drops += 1
                was_up = True
            self.up_since = None
            self._fail_waiting(f"the control link to {self.name} was lost ({self.last_error})")
            if self._stopping:
                break
            self._set_state(LinkState.DOWN)
            if was_up and time.monotonic() - started >= STABLE_AFTER:
                delay = self.timing.reconnect_min
            gevent.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self.timing.reconnect_max)

    def _session(self) -> None:
        t = self.timing
        try:
            sock = gsocket.create_connection((self.node.host, self.node.port),
                                             timeout=t.connect_timeout)
        except OSError as error:
            raise _Down(f"connect failed: {error.strerror or error}") from None
        sock.settimeout(None)
        conn = self._conn = FrameConnection(sock)
        try:
            self._handshake(conn)
            self._fail_waiting("a new session began")    # no stale slot may shift replies
            self.ups += 1
            self.up_since = time.time()
            self.last_heartbeat = time.monotonic()
            self.shutting_down = False
            self.last_error = ""
            log.info("%s: control link up (%s:%d)", self.name, self.node.host, self.node.port)
            self._set_state(LinkState.UP)
            self._read_loop(conn)
        except ConnectionClosed as error:
            if self.shutting_down:
                raise _Down("FreeSWITCH shut down", shutdown=True) from None
            raise _Down(f"{error} (FreeSWITCH killed, or the network)") from None
        except FrameTimeout as error:
            raise _Down(f"no answer: {error}") from None
        except FrameError as error:
            raise _Down(f"malformed frame from FreeSWITCH: {error}") from None

    def _handshake(self, conn: FrameConnection) -> None:
        t = self.timing
        first = classify(conn.read(timeout=t.connect_timeout))
        if isinstance(first, RudeRejection):
            raise AuthFailed(f"{self.name}: FreeSWITCH at {self.node.host}:{self.node.port} "
                             "refused this address (event socket ACL, `apply-inbound-acl` in "
                             "event_socket.conf.xml): allow this host there")
        if not isinstance(first, AuthRequest):
            raise _Down(f"expected auth/request, got {type(first).__name__}")
        try:
            auth = ctl.auth(self.node.password)
        except ValueError as error:
            raise AuthFailed(f"{self.name}: the event-socket password cannot be sent "
                             f"({error}): set [esl] password to one without spaces") from None
        conn.send(auth, timeout=t.connect_timeout)
        reply = classify(conn.read(timeout=t.connect_timeout))
        if not (isinstance(reply, CommandReply) and reply.ok):
            raise AuthFailed(f"{self.name}: FreeSWITCH at {self.node.host}:{self.node.port} "
                             "refused the event-socket password: set [esl] password "
                             "(SWITCHFLOW_ESL_PASSWORD) to the password in its "
                             "event_socket.conf.xml; not retrying")
        names = list(SUBSCRIBED)
        conn.send(ctl.event(names, SUBCLASSES, self.event_format), timeout=t.connect_timeout)
        self._expect_ok(conn, "event subscription")
        for header, value in self.filters:
            conn.send(ctl.filter_add(header, value), timeout=t.connect_timeout)
            self._expect_ok(conn, f"filter {header}")

    def _expect_ok(self, conn: FrameConnection, what: str) -> None:
        reply = classify(conn.read(timeout=self.timing.connect_timeout))
        if not (isinstance(reply, CommandReply) and reply.ok):
            text = reply.reply_text if isinstance(reply, CommandReply) else type(reply).__name__
            raise _Down(f"{what} refused: {text}")

    def _read_loop(self, conn: FrameConnection) -> None:
        limit = self.timing.silence_limit
        while not self._stopping:
            assert self.last_heartbeat is not None
            left = self.last_heartbeat + limit - time.monotonic()
            if left <= 0:
                raise _Down(f"no HEARTBEAT for {limit:g} s (the link is silent)")
            try:
                frame = conn.read(timeout=left)
            except FrameTimeout:
                continue
            self._dispatch(classify(frame))

    def _dispatch(self, message: object) -> None:
        if isinstance(message, (CommandReply, ApiResponse)):
            if self._fifo:
                slot = self._fifo.popleft()
                if not slot.abandoned:               # else: a late reply nobody waits for
                    slot.result.set(message)
                return
            log.warning("%s: a reply nobody asked for: %r", self.name, message)
            return
        if isinstance(message, EventMessage):
            event = message.event
            name = event.name
            if name == EventName.BACKGROUND_JOB:
                job = self._jobs.pop(event.job_uuid, None)
                if job is not None:
                    job._result.set(event.body)
                return
            if name == EventName.HEARTBEAT:
                self.last_heartbeat = time.monotonic()
                return
            if name == EventName.SHUTDOWN:
                self.shutting_down = True
                log.warning("%s: FreeSWITCH announced its shutdown", self.name)
            if self.on_event is not None:
                try:
                    self.on_event(self.name, event)
                except Exception:
                    log.exception("%s: an event handler failed on %s", self.name, name)
            return
        if isinstance(message, DisconnectNotice):
            if message.shutdown:
                self.shutting_down = True
                raise _Down("FreeSWITCH shut down", shutdown=True)
            raise _Down("FreeSWITCH said goodbye")

    def _fail_waiting(self, why: str) -> None:
        slots, self._fifo = self._fifo, collections.deque()
        for slot in slots:
            if not slot.result.ready():
                slot.result.set_exception(LinkLost(why))
        jobs, self._jobs = self._jobs, {}
        for job in jobs.values():
            job._result.set_exception(LinkLost(why))
