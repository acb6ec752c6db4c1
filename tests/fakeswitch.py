"""Test helpers around the fake FreeSWITCH: a client for its event socket, an
outbound server for its calls to reach, and the replay of a capture.

`replay` sends a capture's commands in the capture's order, each once the
frames that preceded it in the capture have arrived, and returns what the
fake answered; `form` reduces a frame to what must match a real switch's
(Content-Type, event name and application, the header names, the values
that carry meaning), with UUIDs replaced so two runs compare.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import eslcaptures
import gevent
import gevent.queue
from gevent import socket as gsocket
from gevent.server import StreamServer

from fsmod.esl import (
    ConnectionClosed,
    Frame,
    FrameConnection,
    FrameParser,
    FrameTimeout,
    classify,
)
from fsmod.esl.events import event_of

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

KEY_VARIABLES = {
    "read_result", "read_terminator_used", "playback_terminator_used", "playback_terminators",
    "hangup_cause", "hangup_cause_q850", "sf_test", "acct", "sf_pin",
    "sf_pin2", "sf_ta_playback", "sf_ta_sleep", "sf_ta_idle", "nokeys", "cc_cause",
    "cc_cancel_reason", "cc_agent_bridged", "fax_success", "fax_result_code", "fax_result_text",
}


class OutboundServer:
    """Where the fake's calls connect (the role of fsmod's outbound server)."""

    def __init__(self) -> None:
        self.sockets: gevent.queue.Queue[gsocket.socket] = gevent.queue.Queue()
        self.server = StreamServer(("127.0.0.1", 0), self._accept)
        self.server.start()
        self.port = self.server.server_port

    def _accept(self, sock: gsocket.socket, address: object) -> None:
        self.sockets.put(sock)
        gevent.sleep(3600)          # keep the handler (and the socket) alive

    def next(self, timeout: float = 5.0) -> FrameConnection:
        return FrameConnection(self.sockets.get(timeout=timeout))

    def stop(self) -> None:
        self.server.stop(timeout=1)


def inbound(port: int) -> FrameConnection:
    return FrameConnection(gsocket.create_connection(("127.0.0.1", port), timeout=5))


def command(text: str, headers: tuple[tuple[str, str], ...] = ()) -> Frame:
    return Frame(headers, command=text)


@dataclass
class Replayed:
    got: list[Frame]
    expected: list[Frame]


def _uuids_of(frame: Frame) -> list[str]:
    """The call UUIDs a frame tells the client (to address the calls later):
    an event's channel, a job's answer, the rows of `show channels as json`."""
    if frame.content_type == "api/response" and frame.text.startswith('{"row_count"'):
        return [row.get("uuid", "") for row in json.loads(frame.text).get("rows", [])]
    try:
        event = event_of(frame)
    except Exception:
        return []
    found = [event.unique_id] if event.unique_id else []
    if event.name == "BACKGROUND_JOB":
        found += UUID.findall(event.body)
    return found


def replay(name: str, conn: FrameConnection, *,
           at_frame: dict[int, Callable[[], None]] | None = None,
           timeout: float = 5.0) -> Replayed:
    """Drive `conn` with capture `name`'s commands; `at_frame[n]` runs once n
    frames have arrived (something the capture's other side did: a shutdown).
    Call UUIDs the real switch gave are replaced in the commands by those the
    fake gave in the same place."""
    rows = eslcaptures.load(name)
    expected = [FrameParser().feed(r.data)[0] for r in rows if not r.sent]
    got: list[Frame] = []
    hooks = dict(at_frame or {})
    mapping: dict[str, str] = {}

    def uuid_map(text: str) -> str:
        for real, ours in mapping.items():
            text = text.replace(real, ours)
        return text

    def read_until(count: int) -> bool:
        while len(got) < count:
            for n in sorted(hooks):
                if n <= len(got):
                    hooks.pop(n)()
            try:
                got.append(conn.read(timeout=timeout))
            except (FrameTimeout, ConnectionClosed):
                return False
            at = len(got) - 1
            if at < len(expected):
                # the first place a UUID shows up names it: a frame out of place
                # later fails the comparison, not the commands that follow it
                for real, ours in zip(_uuids_of(expected[at]), _uuids_of(got[at]),
                                      strict=False):
                    mapping.setdefault(real, ours)
        return True

    before = 0
    for row in rows:
        if not row.sent:
            before += 1
            continue
        if not read_until(before):
            return Replayed(got, expected)
        text = uuid_map(row.data.decode())
        try:
            conn.send(text.encode())
        except ConnectionClosed:
            return Replayed(got, expected)
    read_until(before)
    return Replayed(got, expected)


def _norm(text: str) -> str:
    return UUID.sub("<uuid>", text)


def form(frame: Frame, variables: bool = True) -> tuple:
    """What must be the same between the real switch's frame and the fake's."""
    kind = frame.content_type
    if kind in ("text/event-plain", "text/event-json") or frame.get("Event-Name"):
        event = event_of(frame)
        names = tuple(sorted(k for k in event.headers if not k.startswith("variable_")))
        detail: tuple = (event.get("Application"), event.get("Application-Response"),
                         event.get("DTMF-Digit"), event.get("Hangup-Cause"), event.subclass)
        shown: tuple = ()
        if variables and event.name in ("CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE"):
            # the results a client reads; other events carry them at moments that vary
            shown = tuple(sorted((k, _norm(v)) for k, v in event.variables.items()
                                 if k in KEY_VARIABLES))
        return (kind, event.name, detail, names, shown, _norm(event.body)[:3])
    message = classify(frame)
    if kind == "command/reply":
        return (kind, _norm(frame.get("Reply-Text") or ""), frame.names)
    if kind == "api/response":
        if frame.text.startswith("{"):
            table = json.loads(frame.text)
            rows = table.get("rows") or [{}]
            return (kind, "json", table.get("row_count"), tuple(rows[0]))
        word = _norm(frame.text).split(" ")[0].split("\n")[0]
        return (kind, "<number>" if word.isdigit() else word)
    if kind == "text/disconnect-notice":
        return (kind, frame.names, frame.get("Content-Disposition"), frame.get("Linger-Time"),
                frame.text)
    return (kind, type(message).__name__)


class Client:
    """A minimal ESL client for tests: sends commands, keeps every event it
    reads, and waits for replies or events with deadlines."""

    def __init__(self, conn: FrameConnection) -> None:
        self.conn = conn
        self.events: list = []
        self.notices: list = []

    def read(self, timeout: float = 3.0):
        frame = self.conn.read(timeout=timeout)
        message = classify(frame)
        if frame.content_type.startswith("text/event-"):
            self.events.append(message.event)
        elif frame.content_type == "text/disconnect-notice":
            self.notices.append(message)
        return message

    def send(self, text: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        from fsmod.esl import encode_frame

        self.conn.send(encode_frame(Frame(headers, command=text)))

    def ask(self, text: str, headers: tuple[tuple[str, str], ...] = (), timeout: float = 3.0):
        """Send and return the reply (command/reply or api/response)."""
        self.send(text, headers)
        while True:
            message = self.read(timeout)
            if type(message).__name__ in ("CommandReply", "ApiResponse"):
                return message

    def until(self, test: Callable, timeout: float = 3.0):
        """Read until `test(message)` holds; returns that message."""
        with gevent.Timeout(timeout, AssertionError(f"nothing satisfied the test in {timeout}s")):
            while True:
                message = self.read(timeout)
                if test(message):
                    return message

    def completion(self, event_uuid: str, timeout: float = 3.0):
        return self.until(lambda m: getattr(m, "event", None) is not None
                          and m.event.name == "CHANNEL_EXECUTE_COMPLETE"
                          and m.event.application_uuid == event_uuid, timeout).event
