"""Back-office API tokens (migration 10): who may call `/api/`, for what, until when.

Only a hash of each token's secret is kept (store/apitokens/tokens.py says
why SHA-256 is enough here); the token itself is shown once, when it is made.
`scopes` is the space-separated list of what the token may do
(store/apitokens/scopes.py). Instants are UTC, naive, like every instant in
the store; a token with `revoked_at` set is refused from that moment on.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel


class ApiToken(BaseModel):
    """One token a back-office system presents as `Authorization: Bearer sf_<id>_<secret>`."""

    name = peewee.CharField(max_length=100)          # whose system: "billing", "meter-reading"
    secret_hash = peewee.CharField(max_length=64)    # SHA-256 of the secret, hex
    scopes = peewee.CharField(max_length=300)        # "tickets:read tickets:write"
    created_at = peewee.DateTimeField()
    last_used_at = peewee.DateTimeField(null=True)
    revoked_at = peewee.DateTimeField(null=True)


MODELS = (ApiToken,)
