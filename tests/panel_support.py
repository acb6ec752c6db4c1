"""Shared helpers of the panel's tests: a migrated SQLite store, a panel app with a
movable clock, users, and a test client logged in as a role.

SQLite only: these tests are about the panel, not the database (the store's own
tests run on both). A test module names this module as a plugin and uses the
`panel` fixture (importing from this module as well would make pytest warn
that it cannot rewrite its asserts; everything is on the fixture):

    pytest_plugins = ["panel_support"]

    def test_agent_screen(panel):
        client = panel.client("agent")          # user "agent1" with the session /login gives
        assert client.get("/agent").status_code == 200
        client.send("/agent/status", {"status": "Available"})   # form POST with the CSRF token
        client.send_json("/agent/hold", {"uuid": "..."})       # JSON POST with X-CSRFToken
        panel.clock.advance(minutes=5); panel.ctx.bus.publish(...)

Other fixtures: panel_db, clock, panel_ctx, panel_app, make_settings. Override
`panel_ctx` in a module to give the context a control connection, calls or
other settings:

    @pytest.fixture
    def panel_ctx(panel_db, clock, make_settings):
        return PanelContext(settings=make_settings(heartbeat=100), now=clock, control=...)

A module with data of its own writes it once into a database file and gives
each test a copy: `copied_db(path, tmp_path)` (tests/test_panel_reports.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import peewee
import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.settings import Settings, load_settings
from panel.app import create_app
from panel.context import EXTENSION, PanelContext
from store.db import bind, open_database
from store.models.users import PanelUserRow
from store.schema import migrate
from store.users import User, existing, find_user, hash_password, normal_username

PASSWORD = "correct horse battery"
SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)

ANY_PAGE = "/no-such-page"   # its 404 page carries the token like every page
_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


class Clock:
    """A clock the test moves: `ctx.now` of the panel under test."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.at = start

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> dt.datetime:
        self.at += dt.timedelta(**delta)
        return self.at


def panel_settings(**panel: Any) -> Settings:
    """The shipped settings with a secret key, and any [panel] values replaced."""
    settings = load_settings(env={"SWITCHFLOW_PANEL_SECRET_KEY": SECRET})
    return dataclasses.replace(settings, panel=dataclasses.replace(settings.panel, **panel))


def open_panel_db(path: Path) -> peewee.Database:
    """A SQLite store at the latest schema, the models bound to it."""
    db = bind(open_database(f"sqlite:///{path}"))
    migrate(db)
    return db


@contextlib.contextmanager
def copied_db(template: Path, tmp_path: Path) -> Iterator[peewee.Database]:
    """A copy of the database file `template` for one test, the models bound to it."""
    path = tmp_path / "panel.db"
    shutil.copyfile(template, path)
    db = bind(open_database(f"sqlite:///{path}"))
    try:
        yield db
    finally:
        db.close()


@functools.cache
def _hashed(password: str) -> str:
    return hash_password(password)


def add_panel_user(username: str, role: str = "agent", password: str = PASSWORD,
                   display_name: str = "", agent: str = "", extension: str = "",
                   now: dt.datetime = START) -> User:
    """A user in the store (an existing one of that name is returned as it is).

    Its hash is made once per password for the whole run (argon2 takes tens of
    milliseconds on purpose); store.users.add_user itself is tested on its own.
    """
    found = find_user(username)
    if found is not None:
        return found
    PanelUserRow.create(username=normal_username(username),
                        display_name=display_name or username.title(), role=role,
                        password_hash=_hashed(password), agent=agent, extension=extension,
                        disabled=False, created_at=now.replace(tzinfo=None))
    return existing(username)


class PanelClient(FlaskClient):
    """A test client that knows its page's CSRF token."""

    csrf: str = ""

    def refresh_csrf(self, path: str = "/login") -> str:
        """Read the CSRF token from a page (the login page, or any page given)."""
        page = self.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
        found = _TOKEN.search(page)
        assert found, f"no csrf-token meta tag on {path}"
        self.csrf = found.group(1)
        return self.csrf

    def send(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        """A form POST with the CSRF token, as a page's form sends it."""
        return self.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kw)

    def send_json(self, url: str, payload: Any = None, **kw: Any) -> Any:
        """A JSON POST with X-CSRFToken, as sf.post sends it."""
        headers = {"X-CSRFToken": self.csrf, "Accept": "application/json",
                   **kw.pop("headers", {})}
        return self.post(url, json=payload if payload is not None else {}, headers=headers, **kw)


def log_in(client: PanelClient, username: str, password: str = PASSWORD,
           next: str | None = None) -> Any:
    """Log in through the form; the answer of POST /login (not followed)."""
    client.refresh_csrf("/login")
    data = {"username": username, "password": password}
    if next is not None:
        data["next"] = next
    answer = client.send("/login", data)
    if answer.status_code == 302:   # a new session has a new token: any page shows it
        client.refresh_csrf(ANY_PAGE)
    return answer


def client_as(app: Flask, role: str = "agent", username: str | None = None,
              **fields: Any) -> PanelClient:
    """A client with a session of `username` (made with `role` and `fields` if new).

    The session is the one a right password at /login starts (tests of the login
    itself use `log_in`); made directly, it spares an argon2 check per client.
    """
    user = add_panel_user(username or f"{role}1", role, **fields)
    client = app.test_client()
    assert isinstance(client, PanelClient)
    with app.test_request_context():
        ctx = app.extensions[EXTENSION]
        with client.session_transaction() as session:
            session.permanent = True
            session.update(uid=user.id, tag=user.password_tag, seen=ctx.now().timestamp())
    client.refresh_csrf(ANY_PAGE)
    return client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def _panel_db_template(tmp_path_factory) -> Path:
    """One migrated database file per run; each test gets a copy (migrating takes longer)."""
    path = tmp_path_factory.mktemp("panel-template") / "panel.db"
    open_panel_db(path).close()     # closing the last connection folds the WAL into the file
    return path


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    """panel_settings: the shipped settings with a test key and [panel] values replaced."""
    return panel_settings


@pytest.fixture
def panel_db(tmp_path, _panel_db_template) -> Iterator[peewee.Database]:
    """A migrated SQLite store of this test's own, the models bound to it."""
    with copied_db(_panel_db_template, tmp_path) as db:
        yield db


@pytest.fixture
def panel_ctx(panel_db, clock) -> PanelContext:
    """A context without FreeSWITCH or calls (set ctx.control, ctx.calls as a test needs)."""
    return PanelContext(settings=panel_settings(), now=clock)


def make_app(ctx: PanelContext) -> Flask:
    """The panel for `ctx`, with PanelClient as its test client."""
    app = create_app(ctx)
    app.testing = True
    app.test_client_class = PanelClient
    return app


@pytest.fixture
def panel_app(panel_ctx) -> Flask:
    return make_app(panel_ctx)


@dataclasses.dataclass
class Panel:
    """The panel under test and the helpers above, as one fixture."""

    app: Flask
    ctx: PanelContext
    clock: Clock
    PASSWORD: str = PASSWORD

    def client(self, role: str = "agent", username: str | None = None,
               **fields: Any) -> PanelClient:
        """A client logged in as `username` (default ROLE + "1"), made with `role` if new."""
        return client_as(self.app, role, username, **fields)

    def anonymous(self) -> PanelClient:
        """A client with no session (its CSRF token read from the login page)."""
        client = self.app.test_client()
        assert isinstance(client, PanelClient)
        client.refresh_csrf("/login")
        return client

    def user(self, username: str, role: str = "agent", **fields: Any) -> User:
        return add_panel_user(username, role, **fields)

    def log_in(self, client: PanelClient, username: str, password: str = PASSWORD,
               next: str | None = None) -> Any:
        return log_in(client, username, password, next)

    settings = staticmethod(panel_settings)
    make_app = staticmethod(make_app)
    open_db = staticmethod(open_panel_db)


@pytest.fixture
def panel(panel_app, panel_ctx, clock) -> Panel:
    return Panel(panel_app, panel_ctx, clock)
