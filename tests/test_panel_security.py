"""Every route of the panel checks the session and the role on the server.

The test walks the app's route table as create_app builds it from every
area in panel/areas.py, so a route added by any area is covered: each view
must carry a `requires(role)` marker (a route without one fails here), is
refused without a session (302 to /login for a page, 401 for a script or a
live stream, whatever the method), and answers 403 to a role below its
marker. Only /login, static files and the API (its own token check,
tests/test_api*.py) are outside.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from flask import Blueprint, Flask
from werkzeug.routing import Rule

from panel.auth import Role
from panel.auth.session import MARKER

pytest_plugins = ["panel_support"]   # the `panel` fixture

OPEN = {"auth.login", "static"}
ROLES = list(Role)


def outside(rule: Rule) -> bool:
    """Routes no session guards: the login form, static files, the token-checked API."""
    return (rule.endpoint in OPEN or rule.endpoint.endswith(".static")
            or rule.rule == "/api" or rule.rule.startswith("/api/"))


def guarded_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if not outside(rule)]


def unmarked(app: Flask) -> list[str]:
    """Routes whose view has no `requires` marker."""
    return [f"{rule.rule} ({rule.endpoint})" for rule in guarded_rules(app)
            if not isinstance(getattr(app.view_functions[rule.endpoint], MARKER, None), Role)]


def sample_url(app: Flask, rule: Rule) -> str:
    """The rule's URL with a value of the right type for each of its parts."""
    values: dict[str, object] = {}
    for name in rule.arguments:
        kind = type(rule._converters[name]).__name__
        values[name] = {"IntegerConverter": 1, "FloatConverter": 1.0,
                        "UUIDConverter": uuid.UUID(int=1)}.get(kind, "1")
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values)


def requests_of(app: Flask) -> Iterator[tuple[str, str, Role]]:
    """(method, url, role needed) for every guarded route and method."""
    for rule in guarded_rules(app):
        role = getattr(app.view_functions[rule.endpoint], MARKER, Role.AGENT)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, sample_url(app, rule), role


def call(client, method: str, url: str, accept: str):
    """The request as a page (or a script) sends it, with a valid CSRF token."""
    headers = {"Accept": accept, "X-CSRFToken": client.csrf}
    if method == "GET":
        return client.get(url, headers=headers)
    return client.open(url, method=method, headers=headers, data={"csrf_token": client.csrf})


def test_the_walk_sees_the_panel_routes(panel):
    rules = {rule.rule for rule in guarded_rules(panel.app)}
    assert {"/", "/logout", "/admin/users"} <= rules


def test_every_view_carries_a_role_marker(panel):
    assert unmarked(panel.app) == [], "views without @requires(role)"


def test_the_walk_would_find_a_view_without_a_marker(panel):
    extra = Blueprint("unguarded", __name__)
    extra.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    app = panel.make_app(panel.ctx)
    app.register_blueprint(extra)
    assert unmarked(app) == ["/forgotten (unguarded.forgotten)"]


def test_without_a_session_every_route_is_refused(panel):
    client = panel.anonymous()       # a CSRF token, so the session check is what refuses
    refused = []
    for method, url, _ in requests_of(panel.app):
        page = call(client, method, url, "text/html")
        if page.status_code != 302 or not page.headers["Location"].startswith("/login"):
            refused.append(f"{method} {url} as a page: {page.status_code}")
        for accept in ("application/json", "text/event-stream"):
            script = call(client, method, url, accept)
            if script.status_code != 401:
                refused.append(f"{method} {url} as {accept}: {script.status_code}")
    assert refused == []


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
def test_a_lower_role_gets_403_on_every_route_above_it(panel, role):
    client = panel.client(role.value)
    above = [(m, u, r) for m, u, r in requests_of(panel.app) if not role.at_least(r)]
    wrong = [f"{m} {u} (needs {r}): {status}" for m, u, r in above
             if (status := call(client, m, u, "text/html").status_code) != 403]
    assert wrong == []
    if role == Role.AGENT:
        assert any(u == "/admin/users" for _, u, _ in above)


PAGES = ("/agent", "/tickets", "/tickets/new", "/accounts/new", "/faxes",
         "/supervisor", "/recordings", "/reports", "/reports/staffing", "/admin/users")


def test_pages_run_only_the_panels_own_script_files(panel):
    """The content policy allows scripts from the panel's files only: a page with an
    inline script would break under it, and text slipped in unescaped cannot run."""
    admin, anonymous = panel.client("admin"), panel.anonymous()
    for path in ("/login", *PAGES):
        answer = (anonymous if path == "/login" else admin).get(path)
        assert answer.status_code == 200, path
        assert "script-src 'self';" in answer.headers["Content-Security-Policy"], path
        for tag in re.findall(r"<script\b[^>]*>", answer.get_data(as_text=True)):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
