"""The service's HTTP endpoint: /metrics for Prometheus, /status for `switchflow status`.

A plain WSGI app served by gevent's WSGIServer on serve.metrics_host:port
(localhost by default: it has no password).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from .status import ServiceStatus


def status_app(registry: CollectorRegistry, status: Callable[[], ServiceStatus]
               ) -> Callable[..., Iterable[bytes]]:
    """The WSGI app over one service's metrics registry and its status."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return _reply(start_response, "405 Method Not Allowed", "text/plain",
                          b"GET only\n")
        if path == "/metrics":
            return _reply(start_response, "200 OK", CONTENT_TYPE_LATEST,
                          generate_latest(registry))
        if path == "/status":
            return _reply(start_response, "200 OK", "application/json",
                          status().to_json().encode("utf-8"))
        return _reply(start_response, "404 Not Found", "text/plain",
                      b"switchflow serve: /metrics (Prometheus) or /status (JSON)\n")

    return app


def _reply(start_response: Callable[..., Any], code: str, content_type: str,
           body: bytes) -> list[bytes]:
    start_response(code, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
