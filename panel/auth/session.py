"""Sessions: who the request is from, idle expiry, and the role check on every view.

The session cookie (signed with [panel] secret_key) holds the user's id,
a tag of their password hash and when they were last seen. Each request
loads the user afresh from the store, so disabling a user, or changing
their password, ends their sessions at their next request; a session idle
longer than [panel] session_lifetime ends too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, g, jsonify, redirect, request, session, url_for

from panel.auth.roles import PanelUser, Role
from panel.context import panel_context
from store.users import get_user

F = TypeVar("F", bound=Callable[..., Any])

MARKER = "required_role"   # the attribute `requires` puts on a view (the route-walk test reads it)


def current_user() -> PanelUser:
    """The logged-in user of this request (inside a view guarded by `requires`)."""
    user = g.get("panel_user")
    if user is None:
        raise RuntimeError("current_user() outside a logged-in request: guard the view "
                           "with @requires(role)")
    return user


def logged_in_user() -> PanelUser | None:
    """The logged-in user, or None (templates, the login page)."""
    return g.get("panel_user")


def start_session(user: PanelUser, password_tag: str) -> None:
    """After a right password: a fresh session (never one an attacker planted)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["tag"] = password_tag
    session["seen"] = panel_context().now().timestamp()


def is_static() -> bool:
    """Whether the request is for a static file (the app's or an area's)."""
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def load_user() -> None:
    """Before each request: the session's user, unless it expired or they may not log in."""
    uid = session.get("uid")
    if uid is None or is_static():
        return
    ctx = panel_context()
    now = ctx.now().timestamp()
    seen = session.get("seen", 0)
    if now - seen > ctx.settings.panel.session_lifetime / 1000:
        session.clear()
        flash("Your session ended after a time without activity: log in again.")
        return
    user = get_user(uid)
    if user is None or user.disabled or user.password_tag != session.get("tag"):
        session.clear()
        return
    if now - seen >= 1:   # not on every request: fewer cookies rewritten
        session["seen"] = now
    g.panel_user = PanelUser.of(user)


def wants_json() -> bool:
    """Whether the client is a script or a live stream rather than a page."""
    accept = request.accept_mimetypes
    return (accept.best_match(["text/html", "application/json", "text/event-stream"])
            in ("application/json", "text/event-stream")
            or request.headers.get("X-Requested-With") == "XMLHttpRequest")


def _not_logged_in() -> Any:
    if wants_json():
        response = jsonify(error="log in first")
        response.status_code = 401
        return response
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def requires(role: Role) -> Callable[[F], F]:
    """Guard a view: no session -> the login page (401 for scripts), too low a role -> 403."""
    def guard(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = g.get("panel_user")
            if user is None:
                return _not_logged_in()
            if not user.role.at_least(role):
                abort(403)
            return view(*args, **kwargs)
        setattr(guarded, MARKER, role)
        return guarded  # type: ignore[return-value]
    return guard
