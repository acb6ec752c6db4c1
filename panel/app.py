"""The panel's Flask app: one blueprint per area (panel/areas.py), CSRF on every form.

Sessions and CSRF tokens are signed with [panel] secret_key; demo mode,
when none is set, makes a random one per start (logins end at a restart).
The store must be connected (store.db.connect) before create_app.
"""

from __future__ import annotations

import datetime as dt
import importlib
import secrets
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from panel.areas import AREAS
from panel.auth.roles import Role
from panel.auth.session import is_static, load_user, logged_in_user, wants_json
from panel.context import EXTENSION, PanelContext

HERE = Path(__file__).resolve().parent
API_BLUEPRINT = "api"          # token-authenticated: no session, no CSRF token
MAX_UPLOAD = 16 * 1024 * 1024  # a fax document is the largest thing posted

# the navigation: (label, path, the role that sees it); shown only when an area serves the path
NAV: tuple[tuple[str, str, Role], ...] = (
    ("Calls", "/agent", Role.AGENT),
    ("Tickets", "/tickets", Role.AGENT),
    ("Faxes", "/faxes", Role.AGENT),
    ("Accounts", "/accounts/new", Role.AGENT),
    ("Wallboard", "/supervisor", Role.SUPERVISOR),
    ("Recordings", "/recordings", Role.SUPERVISOR),
    ("Reports", "/reports", Role.SUPERVISOR),
    ("Users", "/admin/users", Role.ADMIN),
)


# scripts only from the panel's own files: text that slipped into a page unescaped
# still could not run; styles may be inline (pages and charts set them)
CONTENT_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                  "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                  "base-uri 'self'; form-action 'self'")


class PanelError(Exception):
    """The panel cannot start: the message says what to set."""


def secret_key(ctx: PanelContext) -> str:
    """[panel] secret_key; in demo mode a random one when unset."""
    if ctx.settings.panel.secret_key:
        return ctx.settings.panel.secret_key
    if ctx.demo:
        return secrets.token_urlsafe(48)
    raise PanelError("[panel] secret_key is not set: set SWITCHFLOW_PANEL_SECRET_KEY (or "
                     "secret_key under [panel] in the settings file) to at least 32 random "
                     "characters, e.g. the output of `python3 -c 'import secrets; "
                     "print(secrets.token_urlsafe(48))'`; only demo mode runs without one")


def area_blueprints(areas: list[str] = AREAS) -> list[tuple[Any, Blueprint]]:
    """Each area's module and blueprint, in AREAS order."""
    found = []
    for entry in areas:
        module_name, _, attribute = entry.partition(":")
        module = importlib.import_module(module_name)
        found.append((module, getattr(module, attribute)))
    return found


def create_app(ctx: PanelContext) -> Flask:
    """The panel for `ctx`; raises PanelError when it may not run as configured."""
    app = Flask("panel", root_path=str(HERE), template_folder="templates",
                static_folder="static")
    app.config.update(
        SECRET_KEY=secret_key(ctx),
        SESSION_COOKIE_NAME="switchflow_panel",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(milliseconds=ctx.settings.panel.session_lifetime),
        WTF_CSRF_TIME_LIMIT=None,     # a token lasts as long as its session
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        MAX_CONTENT_LENGTH=MAX_UPLOAD,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions[EXTENSION] = ctx
    csrf = CSRFProtect(app)
    for _module, blueprint in area_blueprints():
        app.register_blueprint(blueprint)
        if blueprint.name == API_BLUEPRINT:
            csrf.exempt(blueprint)
    app.before_request(load_user)
    _pages(app)
    return app


def _pages(app: Flask) -> None:
    served = {rule.rule for rule in app.url_map.iter_rules()}
    nav = [(label, path, role) for label, path, role in NAV if path in served]

    @app.context_processor
    def navigation() -> dict[str, Any]:
        user = logged_in_user()
        links = [(label, path) for label, path, role in nav
                 if user is not None and user.role.at_least(role)]
        # base.html reads panel_user (an area's own `user` variable cannot hide it)
        return {"panel_user": user, "user": user, "nav": links}

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_POLICY)
        if not is_static():
            # pages show customers' data: not kept for the back button after a logout
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def csrf_refused(e: CSRFError) -> Any:
        return _error(400, "The form has expired or did not come from this panel: "
                           "reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Any:
        status = e.code or 500
        if e.description and e.description != type(e).description:
            return _error(status, e.description)     # a view's own words: abort(404, "…")
        messages = {403: "Your role may not open this page.",
                    404: "There is no such page.",
                    405: "This page does not take that kind of request.",
                    413: "The file is too large."}
        return _error(status, messages.get(status, e.name))


def _error(status: int, message: str) -> Any:
    if wants_json() or request.path.startswith("/api/"):
        from flask import jsonify
        response = jsonify(error=message)
        response.status_code = status
        return response
    return render_template("error.html", status=status, message=message), status
