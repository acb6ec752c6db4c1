"""The fake switch's two kinds of event-socket connection.

`InboundSession`: a client connected to us (fsmod's control connection):
auth/request, `auth`, then api, bgapi, event, filter, sendmsg UUID, exit.
`OutboundSession`: we connected to the client for a call (the dialplan's
`socket` application): connect, myevents, linger, sendmsg, api, exit.
Both read commands with the same strict frame parser as fsmod (a client
that sends garbage is disconnected, as FreeSWITCH does), answer with the
exact replies of 1.10.12 (mod_event_socket.c, and the captures), and write
through one queue so replies and events never interleave inside a frame.
"""

from __future__ import annotations

import collections
import logging
import re
from typing import TYPE_CHECKING

import gevent
import gevent.queue
from gevent import socket as gsocket

from fsmod.esl.connection import ConnectionClosed, FrameConnection, FrameTimeout
from fsmod.esl.frame import Frame, FrameError
from fsmod.fake import wire
from fsmod.fake.call import FRAME
from fsmod.vocab import MYEVENTS, EventName

if TYPE_CHECKING:
    from fsmod.fake.call import FakeCall
    from fsmod.fake.switch import FakeFreeSWITCH

log = logging.getLogger(__name__)

_EVENT_NAMES = {e.value for e in EventName}


class Listener:
    """One socket: its subscriptions and filters, and its ordered writer."""

    def __init__(self, switch: FakeFreeSWITCH, sock: gsocket.socket) -> None:
        self.switch = switch
        self.conn = FrameConnection(sock, from_client=True)
        self.out: gevent.queue.Queue[bytes | None] = gevent.queue.Queue()
        self.fmt = "plain"
        self.names: set[str] = set()
        self.subclasses: set[str] = set()
        self.all_events = False
        self.filters: list[tuple[str, str]] = []
        self.own_uuid = ""           # myevents: only this call's channel events
        self.holding: list[bytes] | None = None
        """Events held while this connection's own `api` command runs."""
        self.closed = False
        self.received: collections.deque[Frame] = collections.deque(maxlen=1000)
        self._writer = gevent.spawn(self._write)

    # ---- writing ----------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        if not self.closed:
            self.out.put(data)

    def close(self, abrupt: bool = False) -> None:
        """End the connection: after what is queued (or at once if `abrupt`)."""
        if self.closed:
            return
        self.closed = True
        if abrupt:
            self.conn.close()
            self._writer.kill(block=False)
        else:
            self.out.put(None)

    def _write(self) -> None:
        while True:
            data = self.out.get()
            if data is None:
                break
            while self.switch.stalled and not self.conn.closed:
                gevent.sleep(0.01)
            try:
                self.conn.send(data, timeout=10)
            except (ConnectionClosed, FrameTimeout):
                break
        self.conn.close()
        self.switch.detach(self)

    # ---- events ---------------------------------------------------------------------------

    def offer(self, name: str, headers: list[tuple[str, str]], lookup: dict[str, str], body: str,
              unique_id: str) -> None:
        """Send the event if this socket wants it (`lookup`: its headers as a
        dict, built once per event by the switch)."""
        if self.closed or (self.own_uuid and unique_id and unique_id != self.own_uuid):
            return
        if self._wants(name, lookup, unique_id):
            data = wire.event(headers, body, self.fmt)
            if self.holding is not None:
                self.holding.append(data)
            else:
                self.send(data)

    def _wants(self, name: str, headers: dict[str, str], unique_id: str) -> bool:
        mine = bool(self.own_uuid) and unique_id == self.own_uuid
        if self.own_uuid and unique_id and not mine:
            return False
        if name == "CUSTOM":
            wanted = self.all_events or headers.get("Event-Subclass", "") in self.subclasses
        else:
            wanted = self.all_events or name in self.names or (mine and name in MYEVENTS)
        return wanted and self._passes_filters(headers)

    def _passes_filters(self, headers: dict[str, str]) -> bool:
        if not self.filters:
            return True
        send = False
        for name, value in self.filters:
            have = headers.get(name)
            if have is None:
                continue
            negative = value.startswith("-")
            wanted = value.lstrip("+-")
            if wanted.startswith("/"):
                matched = re.search(wanted.strip("/"), have) is not None
            else:
                matched = have.lower() == wanted.lower()
            if matched and negative:
                return False
            if matched:
                send = True
        return send

    # ---- commands ----------------------------------------------------------------------------

    def serve(self) -> None:
        """Read and answer commands until the client leaves or we close."""
        try:
            self.greet()
            while not self.closed:
                frame = self.conn.read(timeout=None)
                self.received.append(frame)
                self.handle(frame)
        except (ConnectionClosed, FrameError, FrameTimeout) as error:
            log.debug("fake switch: connection ends: %s", error)
        finally:
            self.close()
            self.drain()

    def drain(self) -> None:
        """Wait until what was queued is written (the server closes the socket
        when its handler returns)."""
        self._writer.join(timeout=10)

    def greet(self) -> None:
        """What is said first (an inbound socket asks for auth)."""

    def handle(self, frame: Frame) -> None:
        word, _, rest = frame.command.partition(" ")
        handler = getattr(self, "cmd_" + word, None)
        if handler is None:
            self.send(wire.reply("-ERR command not found"))
            return
        handler(rest.strip(), frame)

    def cmd_api(self, rest: str, frame: Frame) -> None:
        """The listener runs the command itself and writes its response before it
        gets back to its event queue: events fired meanwhile come after it
        (`uuid_hold`: +OK Success, then CHANNEL_HOLD; capture inbound-call-control)."""
        self.holding = []
        try:
            body = self.switch.api(rest)
        finally:
            held, self.holding = self.holding, None
        self.send(wire.api_response(body))
        for data in held:
            self.send(data)

    def cmd_bgapi(self, rest: str, frame: Frame) -> None:
        job = frame.get("Job-UUID") or self.switch.new_uuid()
        self.send(wire.reply(f"+OK Job-UUID: {job}", [("Job-UUID", job)]))
        gevent.spawn(self.switch.background_job, job, rest)

    def cmd_event(self, rest: str, frame: Frame) -> None:
        fmt, _, names = rest.partition(" ")
        if fmt not in ("plain", "json", "xml"):
            names, fmt = rest, "plain"
        custom, count = False, 0
        for word in names.split():
            if custom:
                self.subclasses.add(word)
                count += 1
            elif word.upper() == "ALL":
                self.all_events, count = True, count + 1
            elif word.upper() in _EVENT_NAMES:
                self.names.add(word.upper())
                count += 1
                custom = custom or word.upper() == "CUSTOM"
        if not count:
            self.send(wire.reply("-ERR no keywords supplied"))
            return
        self.fmt = fmt
        self.send(wire.reply(f"+OK event listener enabled {fmt}"))

    def cmd_nixevent(self, rest: str, frame: Frame) -> None:
        for word in rest.split():
            self.names.discard(word.upper())
            self.subclasses.discard(word)
        self.send(wire.reply("+OK events nixed"))

    def cmd_noevents(self, rest: str, frame: Frame) -> None:
        self.names.clear()
        self.subclasses.clear()
        self.all_events = False
        self.send(wire.reply("+OK no longer listening for events"))

    def cmd_filter(self, rest: str, frame: Frame) -> None:
        parts = rest.split(" ", 2)
        if parts[0] == "delete":
            header = parts[1] if len(parts) > 1 else ""
            value = parts[2] if len(parts) > 2 else ""
            if header == "all":
                self.filters.clear()
            else:
                self.filters = [(h, v) for h, v in self.filters
                                if not (h == header and (not value or v == value))]
            self.send(wire.reply(f"+OK filter deleted. [{header}][{value}]"))
            return
        if len(parts) < 2:
            self.send(wire.reply("-ERR invalid syntax"))
            return
        header, value = parts[0], " ".join(parts[1:])
        self.filters.append((header, value))
        self.send(wire.reply(f"+OK filter added. [{header}]=[{value}]"))

    def cmd_sendmsg(self, rest: str, frame: Frame) -> None:
        call = self.switch.calls.get(rest) if rest else self.own_call()
        if call is None:
            self.send(wire.reply(f"-ERR invalid session id [{rest}]"))
            return
        command = (frame.get("call-command") or "").lower()
        if command == "execute":
            arg = frame.get("execute-app-arg") or frame.text
            uuid = frame.get("Event-UUID") or self.switch.new_uuid()
            if not call.gone:
                call.enqueue(frame.get("execute-app-name") or "", arg, uuid)
        elif command == "hangup":
            call.hangup(frame.get("hangup-cause") or "NORMAL_CLEARING")
        self.send(wire.reply("+OK"))

    def own_call(self) -> FakeCall | None:
        return None

    def cmd_exit(self, rest: str, frame: Frame) -> None:
        self.send(wire.reply("+OK bye"))
        self.send(wire.goodbye(self.own_uuid))
        self.close()

    def cmd_nolog(self, rest: str, frame: Frame) -> None:
        self.send(wire.reply("+OK no longer logging"))


class InboundSession(Listener):
    """A client of our event socket: fsmod's control connection."""

    def __init__(self, switch: FakeFreeSWITCH, sock: gsocket.socket) -> None:
        super().__init__(switch, sock)
        self.authed = False

    def greet(self) -> None:
        self.send(wire.auth_request())

    def handle(self, frame: Frame) -> None:
        if self.authed:
            super().handle(frame)
            return
        word, _, rest = frame.command.partition(" ")
        if word != "auth":
            self.send(wire.reply("-ERR command not found"))
            return
        if rest.strip() == self.switch.password:
            self.authed = True
            self.send(wire.reply("+OK accepted"))
        else:
            self.send(wire.reply("-ERR invalid"))
            self.send(wire.goodbye())
            self.close()


class OutboundSession(Listener):
    """The call's socket session: we connected to the client's outbound server."""

    def __init__(self, switch: FakeFreeSWITCH, sock: gsocket.socket, call: FakeCall) -> None:
        super().__init__(switch, sock)
        self.call = call
        self.connected = False
        self.myevents = False
        self.linger: int | None = None        # None: no linger; -1: for ever
        self.noticed = False
        self.parked = False
        self.deferred: list[bytes] = []
        call.commands = self.received        # still readable once the session is gone
        call.on_end(self._call_ended)
        call.on_hangup(self._call_hung_up)

    def own_call(self) -> FakeCall | None:
        return self.call

    def serve(self) -> None:
        try:
            first = self.conn.read(timeout=self.call.script.connect_timeout * self.switch.scale)
        except (ConnectionClosed, FrameError, FrameTimeout):
            self.call.hangup()
            self.close()
            self.drain()
            return
        self.received.append(first)
        self.handle(first)
        super().serve()
        if not self.call.gone and not self.call.socket_done:
            # the socket went while the call was up: without socket_resume the
            # switch hangs the call up (UNVERIFIED which cause; NORMAL_CLEARING here)
            self.call.hangup()

    def cmd_connect(self, rest: str, frame: Frame) -> None:
        self.connected = True
        self.send(wire.connect_reply(self.call.channel_data()))
        self.call.start()

    def cmd_myevents(self, rest: str, frame: Frame) -> None:
        if self.myevents:
            self.send(wire.reply("-ERR aready enabled."))   # sic, as 1.10.12 says it
            return
        self.myevents = True
        self.switch.restrict(self, self.call.uuid)
        if rest.split(" ")[-1] in ("plain", "json"):
            self.fmt = rest.split(" ")[-1]
        self.send(wire.reply("+OK Events Enabled"))

    def cmd_linger(self, rest: str, frame: Frame) -> None:
        if rest.isdigit() and int(rest) > 0:
            self.linger = int(rest)
            self.send(wire.reply(f"+OK will linger {rest} seconds"))
        else:
            self.linger = -1
            self.send(wire.reply("+OK will linger"))

    def cmd_nolinger(self, rest: str, frame: Frame) -> None:
        self.linger = None
        self.send(wire.reply("+OK will not linger"))

    def cmd_getvar(self, rest: str, frame: Frame) -> None:
        self.send(wire.reply(self.call.variables.get(rest, "")))

    def cmd_resume(self, rest: str, frame: Frame) -> None:
        self.send(wire.reply("+OK"))

    def cmd_sendmsg(self, rest: str, frame: Frame) -> None:
        if not rest and not self.call.answered_us and self.call.script.park_event \
                and not self.parked:
            self.parked = True
            super().cmd_sendmsg(rest, frame)
            self.call.fire(EventName.CHANNEL_PARK)
            return
        if not rest and self.call.gone and not self.call.ended.is_set():
            # the channel is hanging up: the +OK comes after its last events and the
            # linger notice (capture outbound-txfax)
            self.deferred.append(wire.reply("+OK"))
            return
        super().cmd_sendmsg(rest, frame)

    def _call_hung_up(self) -> None:
        gevent.spawn(self._early_notice)

    def _early_notice(self) -> None:
        """The listener sends the linger notice as soon as it finds nothing more
        to write after the hangup: before an application that takes a moment to
        finish completes (callcenter, capture outbound-queue-call), after the
        last events when they come at once (outbound-call)."""
        self.call.sleep(FRAME)
        if self.linger is not None and not self.call.ended.is_set() and not self.noticed:
            self.noticed = True
            self.send(wire.linger_notice(self.call.uuid, self.call.name, self.linger))

    def _call_ended(self) -> None:
        """After CHANNEL_HANGUP_COMPLETE: the linger notice, or the goodbye now."""
        if self.closed:
            return
        if self.linger is None:
            self.send(wire.goodbye(self.call.uuid))
            self.close()
            return
        if not self.noticed:
            self.noticed = True
            self.send(wire.linger_notice(self.call.uuid, self.call.name, self.linger))
        for reply in self.deferred:
            self.send(reply)
        self.deferred.clear()
        if self.linger > 0:
            gevent.spawn_later(self.linger * self.switch.scale, self._linger_over)

    def _linger_over(self) -> None:
        if not self.closed:
            self.send(wire.goodbye(self.call.uuid))
            self.close()
