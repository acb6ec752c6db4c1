"""Back-office API tokens: made and revoked by `switchflow token`, checked by panel/api.

`tokens` makes, lists, revokes and authenticates them (only a hash is
stored); `scopes` is the table of what a token may be allowed to do.
"""

from store.apitokens.scopes import SCOPES, BadScope, parse_scopes
from store.apitokens.tokens import (
    IssuedToken,
    TokenError,
    TokenRefused,
    TokenView,
    authenticate,
    issue,
    list_tokens,
    revoke,
)

__all__ = ["SCOPES", "BadScope", "IssuedToken", "TokenError", "TokenRefused", "TokenView",
           "authenticate", "issue", "list_tokens", "parse_scopes",
           "revoke"]
