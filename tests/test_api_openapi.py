"""The OpenAPI file and the code in step: every API route documented, every documented
operation served, each with the scope its view checks; and schemathesis generating
requests from the file against the app in-process (WSGI): no 5xx, every answer as the
file says."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from schemathesis import checks
from schemathesis.generation.modes import GenerationMode

from panel.api.auth import MARKER

pytest_plugins = ["panel_support", "api_support"]

SPEC = json.loads((Path(__file__).resolve().parents[1] / "panel/api/openapi.json").read_text())
EXAMPLES = 10       # per operation: the whole run stays within a few seconds
IGNORED = {"HEAD", "OPTIONS"}


def _served(app) -> dict[tuple[str, str], str]:
    """(method, OpenAPI path) -> the scope the view checks, for every /api/ route."""
    served = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - IGNORED:
            served[(method, path)] = getattr(view, MARKER, None)
    return served


def test_every_route_is_documented_and_every_documented_path_served(panel_app):
    served = _served(panel_app)
    documented = {(method.upper(), path): op.get("x-scope", "")
                  for path, ops in SPEC["paths"].items() for method, op in ops.items()}
    assert set(served) == set(documented)
    assert served == documented          # each view checks the scope the file names
    assert None not in served.values()       # every view carries api_requires(scope)
    assert [route for route, scope in served.items() if not scope] == [
        ("GET", "/api/openapi.json")]          # the one public view, marked api_public


def test_the_served_file_is_the_file(api):
    assert api.client.get("/api/openapi.json").json == SPEC


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_as_its_file_says(api, mode):
    """Each operation gets a bounded number of generated requests, sent with a token that
    has every scope: valid ones (the file's own schemas) must be answered as the file
    says; invalid ones (POSITIVE's opposite: wrong types, bad patterns, unknown fields)
    must be refused with a 4xx, never a 5xx."""
    api.add_customer()
    headers = api.bearer()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", api.app)
    validate = [checks.not_a_server_error, checks.status_code_conformance,
                checks.content_type_conformance, checks.response_schema_conformance,
                checks.response_headers_conformance]
    if mode is GenerationMode.NEGATIVE:
        validate.append(checks.negative_data_rejection)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    # schemathesis leaves out the file it was loaded from
    assert labels | {"GET /api/openapi.json"} == {
        f"{method.upper()} {path}" for path, ops in SPEC["paths"].items() for method in ops}
    for operation in operations:
        @hypothesis.given(case=operation.as_strategy(mode))
        @hypothesis.settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                             database=None, suppress_health_check=list(hypothesis.HealthCheck))
        def answers_as_documented(case):
            case.call_and_validate(headers=headers, checks=validate)
        answers_as_documented()


def test_answers_about_real_data_match_the_file(api):
    """Generated requests seldom name an account or a call that exists: these do."""
    api.add_customer()
    api.add_call("c-1", "13800000001", dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC),
                 "1001@default")
    headers = api.bearer()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", api.app)
    number = api.post("/api/tickets", {"type": "leak", "severity": 1,
                                       "account": "12345678"}).json["number"]
    cases = [
        ("/api/customers/{account}", "GET", {"path_parameters": {"account": "12345678"}}),
        ("/api/customers/{account}/usage", "GET",
         {"path_parameters": {"account": "12345678"}}),
        ("/api/tickets/{number}", "GET", {"path_parameters": {"number": number}}),
        ("/api/tickets/{number}/notes", "POST", {"path_parameters": {"number": number},
                                                 "body": {"text": "called back"}}),
        ("/api/calls/{call_id}", "GET", {"path_parameters": {"call_id": "c-1"}}),
        ("/api/calls", "GET", {"query": {"caller": "13800000001"}}),
        ("/api/readings", "POST", {"body": {"account": "12345678", "value": 1300}}),
        ("/api/readings", "POST", {"body": {"account": "12345678", "value": "1300.0"}}),
    ]
    for path, method, given in cases:
        case = schema[path][method].Case(**given)
        answer = case.call_and_validate(headers=headers)
        assert answer.status_code < 300, (path, answer.text)
