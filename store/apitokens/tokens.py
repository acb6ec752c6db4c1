"""Making, listing, revoking and checking back-office API tokens.

A token reads `sf_<id>_<secret>`: the id finds the row, the secret proves
the holder. The secret is 32 random bytes from the `secrets` module (256
bits), so the store keeps only its SHA-256: a slow password hash (argon2,
as for users' passwords) exists to make guessing a low-entropy secret from
its hash expensive, and nobody can guess a 256-bit random secret however
fast the hash is; a slow hash would only cost tens of milliseconds of CPU on
every API request and hand an attacker a cheap way to load the server. The
hashes are compared with `hmac.compare_digest` (constant time), and a
malformed, unknown, wrong or revoked token is refused the same way apart
from the reason, which is logged and told to the caller.

`last_used_at` is written at most once a minute per token: it tells an
operator which tokens are still in use, and a write on every request would
make readers of SQLite queue behind it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from store.apitokens.scopes import parse_scopes
from store.models.apitokens import ApiToken
from store.models.base import database

PREFIX = "sf"
SECRET_BYTES = 32
USE_PRECISION = dt.timedelta(minutes=1)
_TOKEN = re.compile(rf"{PREFIX}_([0-9]{{1,18}})_([A-Za-z0-9_-]{{20,100}})")
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,100}")


class TokenError(Exception):
    """A token command that cannot be done; the message says why."""


class TokenRefused(Exception):
    """A presented token that grants nothing; the message says why, without the secret."""


@dataclass(frozen=True)
class TokenView:
    """A token as `token list` and the API see it: never its secret or hash."""

    id: int
    name: str
    scopes: tuple[str, ...]
    created_at: dt.datetime          # UTC, aware
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its secret: `token` is shown once and never stored."""

    view: TokenView
    token: str


def _naive(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(tzinfo=None)


def _aware(instant: dt.datetime | None) -> dt.datetime | None:
    return None if instant is None else instant.replace(tzinfo=dt.UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _view(row: ApiToken) -> TokenView:
    return TokenView(row.id, row.name, tuple(row.scopes.split()), _aware(row.created_at),
                     _aware(row.last_used_at), _aware(row.revoked_at))


def issue(name: str, scopes: str | list[str] | tuple[str, ...], now: dt.datetime) -> IssuedToken:
    """A new token named `name` with `scopes` (store/apitokens/scopes.py).

    Raises TokenError for an empty or unprintable name or an unknown scope.
    """
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise TokenError(f"token name {name!r} is not a name (1 to 100 printable characters)")
    try:
        wanted = parse_scopes(scopes)
    except ValueError as e:
        raise TokenError(str(e)) from None
    secret = secrets.token_urlsafe(SECRET_BYTES)
    with database.atomic():
        row = ApiToken.create(name=name, secret_hash=_digest(secret), scopes=" ".join(wanted),
                              created_at=_naive(now))
    return IssuedToken(_view(row), f"{PREFIX}_{row.id}_{secret}")


def list_tokens(include_revoked: bool = True) -> list[TokenView]:
    """Every token, oldest first."""
    query = ApiToken.select().order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_null())
    return [_view(row) for row in query]


def revoke(token_id: int, now: dt.datetime) -> TokenView:
    """Refuse the token from `now` on; TokenError when there is no such token or it was
    revoked already (the first revocation's time is kept)."""
    with database.atomic():
        row = ApiToken.get_or_none(ApiToken.id == token_id)
        if row is None:
            raise TokenError(f"no API token {token_id}: `switchflow token list` shows them")
        if row.revoked_at is not None:
            raise TokenError(f"API token {token_id} ({row.name}) was revoked already, at "
                             f"{_aware(row.revoked_at).isoformat(timespec='seconds')}")
        ApiToken.update(revoked_at=_naive(now)).where(ApiToken.id == token_id).execute()
        return _view(ApiToken.get_by_id(token_id))


def authenticate(presented: str, now: dt.datetime) -> TokenView:
    """The token `presented` stands for, when it is well formed, known, its secret matches
    and it is not revoked; TokenRefused saying which of these failed otherwise.

    Notes the use (`last_used_at`) at most once per USE_PRECISION.
    """
    found = _TOKEN.fullmatch(presented or "")
    if not found:
        raise TokenRefused("not a switchflow API token (sf_<id>_<secret>)")
    row = ApiToken.get_or_none(ApiToken.id == int(found.group(1)))
    # the digest is compared even when there is no row, so both take the same time
    expected = row.secret_hash if row is not None else _digest("")
    matches = hmac.compare_digest(_digest(found.group(2)), expected)
    if row is None or not matches:
        raise TokenRefused("unknown token or wrong secret")
    if row.revoked_at is not None:
        raise TokenRefused(f"token {row.id} was revoked")
    at = _naive(now)
    if row.last_used_at is None or at - row.last_used_at >= USE_PRECISION:
        ApiToken.update(last_used_at=at).where(ApiToken.id == row.id).execute()
        row.last_used_at = at
    return _view(row)

