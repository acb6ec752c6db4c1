"""The API's token check: no token, a bad or revoked one is 401; a token without the
scope 403; tokens are kept only as hashes; last use is noted."""

from __future__ import annotations

import pytest

from store.apitokens import TokenError, issue, list_tokens, revoke
from store.models.apitokens import ApiToken
from store.models.base import database

pytest_plugins = ["panel_support", "api_support"]

ROUTES = [("GET", "/api/tickets"), ("POST", "/api/tickets"), ("GET", "/api/tickets/1"),
          ("POST", "/api/tickets/1/notes"), ("GET", "/api/customers/12345678"),
          ("GET", "/api/customers/12345678/usage"), ("GET", "/api/calls"),
          ("GET", "/api/calls/abc"), ("POST", "/api/readings")]


def _call(api, method, url, headers):
    return api.client.open(url, method=method, headers=headers,
                           json={} if method == "POST" else None)


@pytest.mark.parametrize("headers, says", [
    ({}, "no token"),
    ({"Authorization": "Basic dXNlcjpwdw=="}, "Bearer TOKEN"),
    ({"Authorization": "Bearer sf_1_" + "A" * 43}, "unknown token or wrong secret"),
    ({"Authorization": "Bearer nonsense"}, "not a switchflow API token"),
])
def test_every_route_refuses_a_missing_or_bad_token(api, headers, says):
    api.token()       # a real token exists: a guessed one still fails
    for method, url in ROUTES:
        answer = _call(api, method, url, headers)
        assert answer.status_code == 401, (method, url)
        assert answer.json["error"] == "unauthorized"
        assert says in answer.json["detail"]
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_with_a_changed_secret_is_refused(api):
    token = api.token()
    prefix, ident, secret = token.split("_", 2)
    forged = f"{prefix}_{ident}_{'x' if secret[0] != 'x' else 'y'}{secret[1:]}"
    answer = api.client.get("/api/tickets", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401
    assert api.client.get("/api/tickets",
                          headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_revoked_token_is_refused_from_then_on(api, clock):
    token = api.token("tickets:read")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/tickets", headers=headers).status_code == 200
    revoke(int(token.split("_")[1]), clock())
    answer = api.client.get("/api/tickets", headers=headers)
    assert answer.status_code == 401
    assert "revoked" in answer.json["detail"]
    with pytest.raises(TokenError, match="revoked already"):
        revoke(int(token.split("_")[1]), clock())


@pytest.mark.parametrize("method, url, scope", [
    ("GET", "/api/tickets", "tickets:read"), ("POST", "/api/tickets", "tickets:write"),
    ("GET", "/api/customers/12345678", "customers:read"), ("GET", "/api/calls", "calls:read"),
    ("POST", "/api/readings", "readings:write")])
def test_a_token_without_the_scope_is_forbidden(api, method, url, scope):
    others = [s for s in ("tickets:read", "tickets:write", "customers:read", "calls:read",
                          "readings:write") if s != scope]
    answer = _call(api, method, url, api.bearer(*others))
    assert answer.status_code == 403
    assert answer.json == {"error": "forbidden", "detail": answer.json["detail"]}
    assert scope in answer.json["detail"]


def test_tokens_are_stored_as_hashes_only(api):
    token = api.token("tickets:read", name="billing")
    secret = token.split("_", 2)[2]
    rows = database.execute_sql("SELECT * FROM api_token").fetchall()
    assert len(rows) == 1
    stored = " ".join(str(v) for v in rows[0])
    assert secret not in stored and token not in stored
    assert len(ApiToken.get().secret_hash) == 64          # SHA-256, hex
    assert "billing" in stored and "tickets:read" in stored


def test_last_use_is_noted_to_the_minute(api, clock):
    token = api.token("tickets:read")
    assert list_tokens()[0].last_used_at is None
    api.client.get("/api/tickets", headers={"Authorization": f"Bearer {token}"})
    first = list_tokens()[0].last_used_at
    assert first == clock()
    clock.advance(seconds=30)
    api.client.get("/api/tickets", headers={"Authorization": f"Bearer {token}"})
    assert list_tokens()[0].last_used_at == first
    clock.advance(seconds=31)
    api.client.get("/api/tickets", headers={"Authorization": f"Bearer {token}"})
    assert list_tokens()[0].last_used_at == clock()


def test_scopes_and_names_are_checked_when_a_token_is_made(api, clock):
    with pytest.raises(TokenError, match="unknown scope tickets:delete"):
        issue("crm", ["tickets:read", "tickets:delete"], clock())
    with pytest.raises(TokenError, match="at least one scope"):
        issue("crm", [], clock())
    with pytest.raises(TokenError, match="not a name"):
        issue("bad\nname", ["tickets:read"], clock())
    assert issue("crm", "tickets:write, tickets:read", clock()).view.scopes == (
        "tickets:read", "tickets:write")


def test_the_openapi_file_needs_no_token(api):
    answer = api.client.get("/api/openapi.json")
    assert answer.status_code == 200
    assert answer.json["openapi"].startswith("3.")


def test_unknown_paths_and_methods_answer_json(api):
    missing = api.client.get("/api/nope", headers=api.bearer())
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
    wrong = api.client.put("/api/tickets", headers=api.bearer())
    assert wrong.status_code == 405 and wrong.json["error"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]


def test_a_failure_inside_is_a_500_without_a_traceback(api, monkeypatch, caplog):
    import panel.api.customers

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire at /var/lib/secret")
    monkeypatch.setattr(panel.api.customers, "customer_view", broken)
    answer = api.get("/api/customers/12345678", "customers:read")
    assert answer.status_code == 500
    assert answer.json == {"error": "internal",
                           "detail": "the server failed to answer; the error is in its log"}
    assert "disk on fire" in caplog.text           # the operator's log has it, the client not
