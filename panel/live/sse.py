"""Server-sent events: a live stream of bus topics to one browser.

Frames are `id:` (the bus's event id), `event:` (the kind) and `data:` (the
event as JSON). A comment line goes out every [panel] heartbeat so proxies
keep the stream open and a browser that has gone is noticed: the next write
fails, the server closes the response and the subscription with it. A
browser reconnecting sends `Last-Event-ID` and first gets what it missed.

A stream outlives the request that opened it, so once per heartbeat it
checks the login again: a user disabled, given a new password, or idle
longer than [panel] session_lifetime (the stream itself is not activity)
has the stream ended; the browser's reconnection then gets 401.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator

from flask import Response, g, request, session

from panel.context import PanelContext, panel_context
from panel.live.bus import Event
from store.users import get_user

RETRY_MS = 3000   # how long a browser waits before reconnecting


def frame(event: Event) -> str:
    """One event as SSE text (JSON holds no raw newlines, so data is one line)."""
    data = json.dumps(event.data, default=str, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


def last_event_id() -> int | None:
    """The browser's Last-Event-ID (header, or ?last_id= for a first connection), if sane."""
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_id") or ""
    return int(raw) if raw.isdigit() and len(raw) < 20 else None


def _login_check(ctx: PanelContext) -> Callable[[], bool]:
    """Whether the login that opened this stream still holds (always, without one)."""
    user = g.get("panel_user")
    if user is None:
        return lambda: True
    tag, seen = session.get("tag"), session.get("seen", 0)
    lifetime = ctx.settings.panel.session_lifetime / 1000

    def holds() -> bool:
        now = get_user(user.id)
        return (now is not None and not now.disabled and now.password_tag == tag
                and ctx.now().timestamp() - seen <= lifetime)
    return holds


def stream(topics: Iterable[str]) -> Response:
    """The response of a live view: the topics' events until the browser goes."""
    ctx = panel_context()
    heartbeat = ctx.settings.panel.heartbeat / 1000
    login_holds = _login_check(ctx)
    subscription = ctx.bus.subscribe(topics, last_event_id())

    def frames() -> Iterator[str]:
        checked = time.monotonic()
        try:
            yield f"retry: {RETRY_MS}\n\n"
            while True:
                event = subscription.get(timeout=heartbeat)
                if time.monotonic() - checked >= heartbeat:
                    if not login_holds():
                        return      # the browser reconnects and is refused
                    checked = time.monotonic()
                if event is not None:
                    yield frame(event)
                elif subscription.closed:
                    return          # it fell too far behind: the browser reconnects
                else:
                    yield ": keep-alive\n\n"
        finally:
            subscription.close()

    return Response(frames(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
