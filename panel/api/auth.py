"""Token authentication for the API: `api_requires(scope)` on every view.

The token comes in `Authorization: Bearer sf_<id>_<secret>` (store/apitokens):
none, a malformed, unknown, wrong or revoked one is 401, a good token without
the view's scope 403. Tokens never come from cookies or the query string, so a
browser's session cannot be used against the API (no CSRF) and tokens do not
land in access logs.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import g, request

from panel.api.contract import check_query
from panel.api.errors import ApiError
from panel.context import panel_context
from store.apitokens import SCOPES, TokenRefused, TokenView, authenticate
from store.models.base import database

log = logging.getLogger(__name__)

MARKER = "api_scope"     # the attribute api_requires puts on a view (the route-walk test reads it)


def api_requires(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let the view run only for a valid token that has `scope`."""
    if scope not in SCOPES:
        raise ValueError(f"unknown API scope {scope!r}: one of {', '.join(SCOPES)}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            # one connection for the request, given back when it is answered: under gevent
            # each request is a greenlet with its own, and a pool must get it back
            with database.connection_context():
                token = _token()
                if not token.allows(scope):
                    raise ApiError(403, f"token {token.id} ({token.name}) lacks the scope "
                                        f"{scope}: `switchflow token add` makes one that has it")
                g.api_token = token
                check_query()
                return view(*args, **kwargs)
        setattr(checked, MARKER, scope)
        return checked
    return decorate


def api_public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view that needs no token by design (only /api/openapi.json: what the API
    takes and answers, no data); the route-walk test reads the mark ("" scope)."""
    setattr(view, MARKER, "")
    return view


def current_token() -> TokenView:
    """The token of the request being served (inside an api_requires view)."""
    return g.api_token


def _token() -> TokenView:
    header = request.headers.get("Authorization", "")
    kind, _, presented = header.strip().partition(" ")
    if not header:
        raise ApiError(401, "no token: send `Authorization: Bearer TOKEN` "
                            "(`switchflow token add` makes one)")
    if kind.lower() != "bearer" or not presented.strip():
        raise ApiError(401, "the Authorization header must be `Bearer TOKEN`")
    try:
        return authenticate(presented.strip(), panel_context().now())
    except TokenRefused as e:
        log.info("api: token refused from %s: %s", request.remote_addr, e)
        raise ApiError(401, f"token refused: {e}") from None
