"""The API's errors: always JSON `{"error": CODE, "detail": TEXT}`, never a page or a traceback.

`error` is a short code a program can branch on (bad_request, unauthorized,
forbidden, not_found, method_not_allowed, conflict, too_large, internal);
`detail` says what was wrong in words a person can act on.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "bad_request",
         500: "internal"}


class ApiError(Exception):
    """Answer the request with `status` and `detail`."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def error_response(status: int, detail: str) -> Response:
    response = jsonify(error=CODES.get(status, "error"), detail=detail)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="switchflow"'
    return response


def http_error(e: HTTPException) -> Response:
    """An HTTP error (unknown path, wrong method, body too large) in the API's form;
    panel/app.py may call it for any path under /api/ that matched no route."""
    status = e.code or 500
    details = {404: "no such API resource: /api/openapi.json lists them",
               405: "this resource does not take that method: /api/openapi.json lists them",
               413: "the request body is too large"}
    response = error_response(status, details.get(status, e.description or e.name))
    if status == 405 and getattr(e, "valid_methods", None):
        response.headers["Allow"] = ", ".join(e.valid_methods)
    return response


def register(bp: Blueprint) -> None:
    """Every error raised in an API view answered as JSON, and so a path under /api/
    that matches no route or not with that method (Flask raises those before any
    blueprint is chosen, so the blueprint's handlers never see them)."""

    @bp.before_app_request
    def unrouted() -> Response | None:
        e = request.routing_exception
        if isinstance(e, HTTPException) and (e.code or 0) >= 400 \
                and request.path.startswith(bp.url_prefix + "/"):
            return http_error(e)
        return None

    @bp.errorhandler(ApiError)
    def api_error(e: ApiError) -> Response:
        return error_response(e.status, e.detail)

    @bp.errorhandler(HTTPException)
    def http(e: HTTPException) -> Response:
        return http_error(e)

    @bp.errorhandler(Exception)
    def unexpected(e: Exception) -> Any:
        log.exception("api: unexpected error")
        return error_response(500, "the server failed to answer; the error is in its log")
