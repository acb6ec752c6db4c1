"""The panel inside `switchflow serve`: one more greenlet of the service's hub.

`panel_worker` is called before the service starts, so a panel that cannot
run (no secret key outside demo mode, the port taken) stops the start with
a clear message instead of failing later in a greenlet. The worker it
returns starts each area's live feeds (`start(ctx)` of the modules in
panel/areas.py) and serves the app with gevent's WSGI server until the
service stops it (GreenletExit).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from gevent.pywsgi import WSGIServer

from engine.settings import Settings
from panel.app import PanelError, area_blueprints, create_app
from panel.context import PanelContext

log = logging.getLogger(__name__)

STOP_S = 2.0   # how long open requests (live streams) get at shutdown


def context_of(service: Any, settings: Settings) -> PanelContext:
    """The panel's view of a running fsmod.service.Service."""
    telephony = service.telephony
    return PanelContext(settings=settings, control=getattr(telephony, "control", None),
                        calls=service.calls, flows=list(service.calls.flows.values()),
                        demo=service.demo)


def listen(app: Any, host: str, port: int) -> WSGIServer:
    """A WSGI server bound to host:port (not yet serving); PanelError when it cannot bind."""
    server = WSGIServer((host, port), app, log=None,
                        error_log=logging.getLogger("panel.http"))
    try:
        server.init_socket()
    except OSError as exc:
        raise PanelError(f"the panel cannot listen on {host}:{port}: "
                         f"{exc.strerror or exc} (is another serve running? settings "
                         "[panel] host and port, or SWITCHFLOW_PANEL_PORT)") from None
    return server


def start_areas(ctx: PanelContext) -> None:
    """Each area's `start(ctx)`, then what areas registered in ctx.on_start.

    One that fails is logged with its name and the others go on: the pages
    still serve, and the log says which live feed is missing.
    """
    hooks = [getattr(module, "start", None) for module, _ in area_blueprints()]
    for hook in [h for h in hooks if h is not None] + list(ctx.on_start):
        try:
            hook(ctx)
        except Exception:
            log.exception("the panel's %s.%s failed to start", hook.__module__,
                          hook.__qualname__)


def panel_worker(service: Any, settings: Settings,
                 ctx: PanelContext | None = None) -> Callable[[], None]:
    """The panel as a worker of `service`; PanelError when it cannot run as configured."""
    ctx = ctx or context_of(service, settings)
    app = create_app(ctx)
    server = listen(app, settings.panel.host, settings.panel.port)

    def serve_panel() -> None:
        start_areas(ctx)
        server.start()
        log.info("panel on http://%s:%d/ (log in at /login)", settings.panel.host,
                 server.server_port)
        server.serve_forever(stop_timeout=STOP_S)   # until GreenletExit, then stops

    serve_panel.server = server       # type: ignore[attr-defined]  (its port, for tests)
    serve_panel.ctx = ctx             # type: ignore[attr-defined]
    return serve_panel
