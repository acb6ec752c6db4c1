"""Logging in to the panel: passwords, lockout, idle expiry, CSRF, redirects by role."""

from __future__ import annotations

pytest_plugins = ["panel_support"]   # the `panel` fixture


def test_right_password_logs_in_and_goes_to_the_role_start_page(panel):
    panel.user("ann", "agent")
    client = panel.app.test_client()
    answer = panel.log_in(client, "ann")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/agent"
    assert panel.client("supervisor").get("/").headers["Location"] == "/supervisor"
