"""/admin/users: list users, add one, change a role or a phone, disable or enable, reset a
password.

Every change is a POST carrying the page's CSRF token, and only for admins.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from panel.auth import Role, current_user, requires
from panel.context import panel_context
from store.models.users import ROLES
from store.users import (
    UserError,
    add_user,
    list_users,
    set_disabled,
    set_password,
    set_phone,
    set_role,
)

blueprint = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@blueprint.route("/users")
@requires(Role.ADMIN)
def users() -> Any:
    return render_template("admin/users.html", users=list_users(), roles=ROLES)


def _done(message: str) -> Any:
    flash(message)
    return redirect(url_for("admin.users"))


def _refused(message: str) -> Any:
    return render_template("admin/users.html", users=list_users(), roles=ROLES,
                           error=message, form=request.form), 400


@blueprint.route("/users", methods=["POST"])
@requires(Role.ADMIN)
def add() -> Any:
    form = request.form
    try:
        user = add_user(form.get("username", ""), form.get("display_name", ""),
                        form.get("role", ""), form.get("password", ""), panel_context().now(),
                        agent=form.get("agent", ""), extension=form.get("extension", ""))
    except UserError as e:
        return _refused(str(e))
    return _done(f"Added {user.username} ({user.role}).")


def _own(username: str) -> bool:
    return username.strip().lower() == current_user().username


@blueprint.route("/users/<username>/role", methods=["POST"])
@requires(Role.ADMIN)
def role(username: str) -> Any:
    if _own(username):
        return _refused("You cannot change your own role: ask another administrator.")
    try:
        user = set_role(username, request.form.get("role", ""))
    except UserError as e:
        return _refused(str(e))
    return _done(f"{user.username} is now {user.role}.")


@blueprint.route("/users/<username>/phone", methods=["POST"])
@requires(Role.ADMIN)
def phone(username: str) -> Any:
    try:
        user = set_phone(username, request.form.get("agent", ""),
                         request.form.get("extension", ""))
    except UserError as e:
        return _refused(str(e))
    return _done(f"{user.username} answers as {user.agent or 'no agent'} "
                 f"on {user.extension or 'no phone'}.")


@blueprint.route("/users/<username>/disabled", methods=["POST"])
@requires(Role.ADMIN)
def disabled(username: str) -> Any:
    disable = request.form.get("disabled") == "1"
    if disable and _own(username):
        return _refused("You cannot disable yourself: ask another administrator.")
    try:
        user = set_disabled(username, disable)
    except UserError as e:
        return _refused(str(e))
    return _done(f"{user.username} is {'disabled' if user.disabled else 'enabled again'}.")


@blueprint.route("/users/<username>/password", methods=["POST"])
@requires(Role.ADMIN)
def password(username: str) -> Any:
    try:
        user = set_password(username, request.form.get("password", ""))
    except UserError as e:
        return _refused(str(e))
    return _done(f"{user.username} has a new password; their open sessions have ended.")
