"""/login, POST /logout, and `/` sending each user to their own start page."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for

from panel.auth.roles import PanelUser, Role
from panel.auth.session import current_user, logged_in_user, requires, start_session
from panel.context import panel_context
from store.users import LoginLimits, Refusal, log_in

log = logging.getLogger(__name__)
blueprint = Blueprint("auth", __name__)

START = {Role.AGENT: "/agent", Role.SUPERVISOR: "/supervisor", Role.ADMIN: "/supervisor"}

MESSAGES = {
    Refusal.WRONG: "Wrong username or password.",
    Refusal.LOCKED: "Too many wrong passwords: this login is locked for a while. "
                    "Try again later, or ask an administrator.",
    Refusal.DISABLED: "This user is disabled: ask an administrator.",
}


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\\\r\n\t"):
        return "/"
    return target


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; a right password starts a session (the only view without a role)."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if logged_in_user() is not None:
            return redirect(target)
        return render_template("login.html", next=target, username="", error=None)
    ctx = panel_context()
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    limits = LoginLimits(ctx.settings.panel.login_max_failures,
                         dt.timedelta(milliseconds=ctx.settings.panel.login_lockout))
    result = log_in(username, password, limits, ctx.now())
    if result.user is None:
        assert result.refused is not None
        log.warning("panel login refused for %r from %s: %s", username.strip()[:64],
                    request.remote_addr, result.refused)
        return render_template("login.html", next=target, username=username[:64],
                               error=MESSAGES[result.refused]), 401
    start_session(PanelUser.of(result.user), result.user.password_tag)
    log.info("panel login: %s (%s) from %s", result.user.username, result.user.role,
             request.remote_addr)
    return redirect(target)


@blueprint.route("/logout", methods=["POST"])
@requires(Role.AGENT)
def logout() -> Any:
    log.info("panel logout: %s", current_user().username)
    session.clear()
    return redirect(url_for("auth.login"))


@blueprint.route("/")
@requires(Role.AGENT)
def index() -> Any:
    """Each role's start page: agents their call screen, the others the wallboard."""
    return redirect(START[current_user().role])
