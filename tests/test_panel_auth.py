"""Logging in to the panel: passwords, lockout, idle expiry, disabled users, CSRF,
the `next` page after login, and `/` sending each role to its start page."""

from __future__ import annotations

import pytest

pytest_plugins = ["panel_support"]   # the `panel` fixture

WRONG = "Wrong username or password."
LOCKED = "Too many wrong passwords"


def page(answer) -> str:
    return answer.get_data(as_text=True)


def test_right_password_logs_in_and_goes_to_the_role_start_page(panel):
    panel.user("ann", "agent")
    client = panel.app.test_client()
    answer = panel.log_in(client, "ann")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").headers["Location"] == "/agent"


@pytest.mark.parametrize(("role", "start"), [("agent", "/agent"), ("supervisor", "/supervisor"),
                                             ("admin", "/supervisor")])
def test_the_start_page_depends_on_the_role(panel, role, start):
    assert panel.client(role).get("/").headers["Location"] == start


def test_username_is_not_case_sensitive_and_the_name_shows_on_pages(panel):
    panel.user("ann", "admin", display_name="Ann <b>Lee</b>")
    client = panel.app.test_client()
    assert panel.log_in(client, "  ANN ").status_code == 302
    text = page(client.get("/admin/users"))
    assert "Ann &lt;b&gt;Lee&lt;/b&gt; (admin)" in text


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(panel):
    panel.user("ann")
    client = panel.app.test_client()
    wrong = panel.log_in(client, "ann", "not the password")
    unknown = panel.log_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert WRONG in page(wrong) and WRONG in page(unknown)
    assert client.get("/").status_code == 302        # still not logged in


def test_lockout_refuses_even_the_right_password_until_the_window_passes(panel):
    panel.user("ann")
    limit = panel.ctx.settings.panel.login_max_failures
    window_ms = panel.ctx.settings.panel.login_lockout
    client = panel.app.test_client()
    for _ in range(limit):
        assert WRONG in page(panel.log_in(client, "ann", "guess"))
    refused = panel.log_in(client, "ann")
    assert refused.status_code == 401 and LOCKED in page(refused)
    panel.clock.advance(milliseconds=window_ms - 1000)
    assert LOCKED in page(panel.log_in(client, "ann"))
    panel.clock.advance(seconds=2)
    assert panel.log_in(client, "ann").status_code == 302


def test_an_unknown_username_locks_the_same_way_so_lockout_tells_nothing(panel):
    client = panel.app.test_client()
    for _ in range(panel.ctx.settings.panel.login_max_failures):
        panel.log_in(client, "ghost", "guess")
    assert LOCKED in page(panel.log_in(client, "ghost", "guess"))


def test_a_right_password_clears_the_count(panel):
    panel.user("ann")
    client = panel.app.test_client()
    limit = panel.ctx.settings.panel.login_max_failures
    for _ in range(limit - 1):
        panel.log_in(client, "ann", "guess")
    assert panel.log_in(client, "ann").status_code == 302
    other = panel.app.test_client()
    for _ in range(limit - 1):
        panel.log_in(other, "ann", "guess")
    assert panel.log_in(other, "ann").status_code == 302


def test_a_disabled_user_cannot_log_in_and_their_session_ends(panel):
    from store.users import set_disabled
    client = panel.client("agent", "ann")
    assert client.get("/").status_code == 302 and client.get("/").headers["Location"] == "/agent"
    set_disabled("ann")
    assert client.get("/").headers["Location"].startswith("/login")
    refused = panel.log_in(panel.app.test_client(), "ann")
    assert refused.status_code == 401 and "disabled" in page(refused)


def test_a_new_password_ends_the_sessions_made_with_the_old_one(panel):
    from store.users import set_password
    client = panel.client("agent", "ann")
    set_password("ann", "another password")
    assert client.get("/").headers["Location"].startswith("/login")
    assert panel.log_in(panel.app.test_client(), "ann", "another password").status_code == 302


def test_a_session_ends_after_session_lifetime_without_activity(panel):
    lifetime_s = panel.ctx.settings.panel.session_lifetime / 1000
    client = panel.client("agent", "ann")
    panel.clock.advance(seconds=lifetime_s - 60)
    assert client.get("/").headers["Location"] == "/agent"     # activity: the clock restarts
    panel.clock.advance(seconds=lifetime_s - 60)
    assert client.get("/").headers["Location"] == "/agent"
    panel.clock.advance(seconds=lifetime_s + 1)
    ended = client.get("/")
    assert ended.headers["Location"].startswith("/login")
    assert "session ended" in page(client.get(ended.headers["Location"]))


def test_a_post_without_the_csrf_token_is_refused(panel):
    panel.user("ann")
    client = panel.app.test_client()
    client.get("/login")
    answer = client.post("/login", data={"username": "ann", "password": panel.PASSWORD})
    assert answer.status_code == 400 and "reload the page" in page(answer)
    logged = panel.client("agent", "ann")
    assert logged.post("/logout").status_code == 400
    assert logged.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert logged.post("/logout", headers={"Accept": "application/json"}).get_json() == {
        "error": "The form has expired or did not come from this panel: "
                 "reload the page and try again."}
    assert logged.get("/").headers["Location"] == "/agent"     # still logged in
    assert logged.send("/logout").headers["Location"] == "/login"
    assert logged.get("/").headers["Location"].startswith("/login")


def test_a_csrf_token_of_another_session_is_refused(panel):
    ann = panel.client("agent", "ann")
    bob = panel.client("agent", "bob")
    bob.csrf = ann.csrf
    assert bob.send("/logout").status_code == 400


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "evil.example", "\\\\evil.example",
                                    "/\tevil.example", "http:/evil.example"])
def test_login_never_redirects_to_another_site(panel, target):
    panel.user("ann")
    assert panel.log_in(panel.app.test_client(), "ann", next=target).headers["Location"] == "/"


def test_login_returns_to_the_page_asked_for(panel):
    panel.user("ann", "admin")
    client = panel.app.test_client()
    first = client.get("/admin/users?sort=role")
    assert first.status_code == 302
    assert first.headers["Location"] == "/login?next=/admin/users?sort%3Drole"
    login_page = page(client.get(first.headers["Location"]))
    assert 'name="next" value="/admin/users?sort=role"' in login_page
    assert panel.log_in(client, "ann", next="/admin/users?sort=role").headers["Location"] \
        == "/admin/users?sort=role"


def test_scripts_and_live_streams_get_401_not_the_login_page(panel):
    client = panel.app.test_client()
    for accept in ("application/json", "text/event-stream"):
        answer = client.get("/", headers={"Accept": accept})
        assert answer.status_code == 401 and answer.get_json() == {"error": "log in first"}


def test_an_agent_is_refused_the_admin_page(panel):
    answer = panel.client("agent").get("/admin/users")
    assert answer.status_code == 403 and "Your role may not open this page." in page(answer)


def test_the_login_page_of_a_logged_in_user_goes_on_to_their_page(panel):
    client = panel.client("agent")
    assert client.get("/login").headers["Location"] == "/"


def test_static_files_need_no_login_and_pages_are_not_cached(panel):
    anonymous = panel.app.test_client()
    css = anonymous.get("/static/panel.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("Cache-Control", "")
    js = anonymous.get("/static/panel.js")
    assert "X-CSRFToken" in js.get_data(as_text=True)
    login = anonymous.get("/login")
    assert login.headers["Cache-Control"] == "no-store"
    assert login.headers["X-Frame-Options"] == "DENY"
    assert login.headers["X-Content-Type-Options"] == "nosniff"


def test_errors_are_pages_or_json_never_tracebacks(panel):
    client = panel.client("agent")
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "There is no such page." in page(missing)
    assert client.get("/no/such/page", headers={"Accept": "application/json"}).get_json() \
        == {"error": "There is no such page."}
    assert "does not take that kind of request" in page(client.send("/"))


def test_the_nav_shows_only_what_the_role_may_open(panel):
    agent_page = page(panel.client("agent").get("/no-such-page"))
    admin_page = page(panel.client("admin").get("/no-such-page"))
    assert 'href="/admin/users"' not in agent_page and 'href="/admin/users"' in admin_page
