"""The panel's live updates: the bus (topics, replay after Last-Event-ID, a stuck
subscriber dropped) and the SSE stream a browser reads (frames, heartbeats, resume,
the subscription closed when the browser goes)."""

from __future__ import annotations

import dataclasses
import json

import gevent
import pytest
from flask import Blueprint
from gevent import socket as gsocket
from gevent.pywsgi import WSGIServer

from panel.auth import Role, current_user, requires
from panel.live import bus as bus_module
from panel.live.bus import Bus
from panel.live.sse import stream

pytest_plugins = ["panel_support"]   # the `panel` fixture


def test_subscribers_get_their_topics_only_in_order():
    bus = Bus()
    board = bus.subscribe(["board"])
    mine = bus.subscribe(["agent:ann", "help"])
    first = bus.publish("board", "agents", {"n": 1})
    bus.publish("agent:bob", "screenpop", {"caller": "1"})
    bus.publish("help", "raised", {"by": "ann"})
    second = bus.publish("board", "agents", {"n": 2})
    assert second > first
    assert [board.get(0).data["n"], board.get(0).data["n"], board.get(0)] == [1, 2, None]
    help_event = mine.get(0)
    assert (help_event.topic, help_event.kind, help_event.data) == ("help", "raised", {"by": "ann"})
    assert mine.get(0) is None          # not bob's screen-pop


def test_replay_after_last_id_then_live_events():
    bus = Bus(keep=3)
    ids = [bus.publish("board", "tick", {"i": i}) for i in range(5)]
    late = bus.subscribe(["board"], last_id=ids[2])
    bus.publish("board", "tick", {"i": 5})
    assert [late.get(0).data["i"] for _ in range(3)] == [3, 4, 5]
    gone_long = bus.subscribe(["board"], last_id=ids[0])     # the buffer moved past its id
    assert [gone_long.get(0).data["i"] for _ in range(3)] == [3, 4, 5]


def test_a_subscriber_that_does_not_read_is_closed_not_grown(monkeypatch):
    monkeypatch.setattr(bus_module, "QUEUE_SIZE", 3)
    bus = Bus()
    stuck = bus.subscribe(["board"])
    for i in range(5):
        bus.publish("board", "tick", {"i": i})
    assert stuck.closed and bus.subscribers == 0
    assert [stuck.get(0).data["i"] for _ in range(3)] == [0, 1, 2]
    assert stuck.get(0) is None


# ---------------------------------------------------------------- the SSE stream

@pytest.fixture
def live_app(panel):
    """The panel with a 0.1 s heartbeat and a test stream at /test/events (agent:<username>)."""
    panel.ctx.settings = dataclasses.replace(
        panel.ctx.settings, panel=dataclasses.replace(panel.ctx.settings.panel, heartbeat=100))
    area = Blueprint("livetest", __name__)

    @area.route("/test/events")
    @requires(Role.AGENT)
    def events():
        return stream([f"agent:{current_user().username}"])

    app = panel.make_app(panel.ctx)
    app.register_blueprint(area)
    panel.app = app
    return panel


def _text(chunk) -> str:
    return chunk.decode() if isinstance(chunk, bytes) else chunk


def test_the_stream_sends_events_as_sse_frames_then_heartbeats(live_app):
    client = live_app.client("agent", "ann")
    bus = live_app.ctx.bus
    response = client.get("/test/events", buffered=False,
                          headers={"Accept": "text/event-stream"})
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    chunks = iter(response.response)
    assert _text(next(chunks)) == "retry: 3000\n\n"
    event_id = bus.publish("agent:ann", "screenpop", {"caller": "13800138000", "name": "<b>"})
    bus.publish("agent:bob", "screenpop", {"caller": "other agent's caller"})
    text = _text(next(chunks))
    assert text == (f"id: {event_id}\nevent: screenpop\n"
                    'data: {"caller":"13800138000","name":"<b>"}\n\n')
    assert json.loads(text.split("data: ", 1)[1])["caller"] == "13800138000"
    assert _text(next(chunks)) == ": keep-alive\n\n"        # nothing for ann within 0.1 s
    assert bus.subscribers == 1
    response.close()                                        # the browser went
    assert bus.subscribers == 0


def test_a_reconnecting_browser_gets_what_it_missed(live_app):
    client = live_app.client("agent", "ann")
    bus = live_app.ctx.bus
    seen = bus.publish("agent:ann", "state", {"status": "Available"})
    missed = bus.publish("agent:ann", "screenpop", {"caller": "13800138000"})
    response = client.get("/test/events", buffered=False,
                          headers={"Accept": "text/event-stream", "Last-Event-ID": str(seen)})
    chunks = iter(response.response)
    next(chunks)
    assert _text(next(chunks)).startswith(f"id: {missed}\nevent: screenpop\n")
    response.close()
    assert bus.subscribers == 0


def test_a_stream_needs_a_session(live_app):
    answer = live_app.app.test_client().get("/test/events",
                                            headers={"Accept": "text/event-stream"})
    assert answer.status_code == 401


def test_the_server_notices_a_browser_that_went_and_ends_its_stream(live_app):
    """Over a real socket: gevent's server, a client that reads one frame and hangs up."""
    client = live_app.client("agent", "ann")
    cookie = client.get_cookie("switchflow_panel")
    server = WSGIServer(("127.0.0.1", 0), live_app.app, log=None, error_log=None)
    server.start()
    try:
        browser = gsocket.create_connection(("127.0.0.1", server.server_port))
        browser.sendall(b"GET /test/events HTTP/1.1\r\nHost: x\r\n"
                        b"Accept: text/event-stream\r\n"
                        b"Cookie: switchflow_panel=" + cookie.value.encode() + b"\r\n\r\n")
        head = b""
        while b"retry: 3000" not in head:
            head += browser.recv(4096)
        assert head.startswith(b"HTTP/1.1 200")
        assert live_app.ctx.bus.subscribers == 1
        browser.close()
        with gevent.Timeout(3):
            while live_app.ctx.bus.subscribers:     # the next heartbeat's write fails
                gevent.sleep(0.05)
    finally:
        server.stop(timeout=1)



def open_stream(client):
    response = client.get("/test/events", buffered=False, headers={"Accept": "text/event-stream"})
    chunks = iter(response.response)
    assert _text(next(chunks)) == "retry: 3000\n\n"
    return chunks


def test_a_stream_ends_when_its_user_is_disabled(live_app):
    from store.users import set_disabled
    chunks = open_stream(live_app.client("agent", "ann"))
    set_disabled("ann")
    gevent.sleep(0.15)      # a heartbeat (0.1 s): the next event finds the login gone
    live_app.ctx.bus.publish("agent:ann", "screenpop", {"caller": "13800138000"})
    rest = [_text(c) for c in chunks]           # ends by itself, without the screen-pop
    assert set(rest) <= {": keep-alive\n\n"} and live_app.ctx.bus.subscribers == 0


def test_a_stream_is_not_activity_an_idle_session_ends_it(live_app):
    chunks = open_stream(live_app.client("agent", "ann"))
    live_app.clock.advance(milliseconds=live_app.ctx.settings.panel.session_lifetime + 1000)
    assert set(_text(c) for c in chunks) <= {": keep-alive\n\n"}
    assert live_app.ctx.bus.subscribers == 0
