"""The panel inside `switchflow serve`: panel_worker's checks before the start, and the
worker serving the app until the service stops it."""

from __future__ import annotations

import dataclasses
import types

import gevent
import pytest
from gevent import socket as gsocket

from panel.app import PanelError
from panel.server import panel_worker

pytest_plugins = ["panel_support"]   # the `panel` fixture


def service(demo: bool = False):
    """What panel_worker reads of fsmod.service.Service."""
    calls = types.SimpleNamespace(flows={"hotline": {"flow": "hotline"}})
    return types.SimpleNamespace(telephony=types.SimpleNamespace(control=None), calls=calls,
                                 demo=demo)


def settings_of(panel, **values):
    return dataclasses.replace(panel.ctx.settings,
                               panel=dataclasses.replace(panel.ctx.settings.panel, **values))


def get(port: int, path: str) -> bytes:
    conn = gsocket.create_connection(("127.0.0.1", port))
    conn.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
    answer = b""
    while chunk := conn.recv(65536):
        answer += chunk
    conn.close()
    return answer


def test_the_worker_serves_the_panel_and_starts_the_live_feeds(panel):
    started = []
    worker = panel_worker(service(), settings_of(panel, host="127.0.0.1", port=0))
    worker.ctx.on_start.append(started.append)
    assert worker.ctx.flows == [{"flow": "hotline"}] and worker.ctx.control is None
    running = gevent.spawn(worker)
    try:
        with gevent.Timeout(5):
            while not worker.server.started:
                gevent.sleep(0.01)
            page = get(worker.server.server_port, "/login")
        assert page.startswith(b"HTTP/1.1 200") and b'name="password"' in page
        assert started == [worker.ctx]
    finally:
        running.kill(timeout=5)
    assert not worker.server.started


def test_a_taken_port_stops_the_start_with_a_clear_message(panel):
    taken = gsocket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        with pytest.raises(PanelError, match=f"the panel cannot listen on 127.0.0.1:{port}: "
                                             r".*\[panel\] host and port"):
            panel_worker(service(), settings_of(panel, host="127.0.0.1", port=port))
    finally:
        taken.close()


def test_outside_demo_mode_a_secret_key_is_required(panel):
    with pytest.raises(PanelError, match=r"\[panel\] secret_key is not set: set "
                                         "SWITCHFLOW_PANEL_SECRET_KEY"):
        panel_worker(service(), settings_of(panel, secret_key="", port=0))
    demo = panel_worker(service(demo=True), settings_of(panel, secret_key="", port=0))
    assert demo.ctx.demo
    demo.server.close()
