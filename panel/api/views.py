"""The `/api/` blueprint: the back-office data interface, token-authenticated JSON.

Every view carries `api_requires(scope)` (panel/api/auth.py); the blueprint
is exempt from the panel's CSRF check (panel/app.py) because it takes no
cookies: a token in the Authorization header is not sent by a browser on its
own. `/api/openapi.json` is the contract, served as the file is and kept in
step with the routes by tests/test_api_openapi.py.
"""

from __future__ import annotations

from flask import Blueprint, Response

from panel.api import calls, customers, errors, readings, tickets
from panel.api.auth import api_public
from panel.api.contract import OPENAPI

blueprint = Blueprint("api", __name__, url_prefix="/api")
errors.register(blueprint)
for area in (tickets, customers, calls, readings):
    area.register(blueprint)


@blueprint.get("/openapi.json")
@api_public
def openapi() -> Response:
    """The OpenAPI file, public: it holds no data, only what the API takes and answers."""
    return Response(OPENAPI.read_bytes(), mimetype="application/json")
