"""`switchflow token`: the back-office API's tokens — add, list, revoke.

A token is shown once, by `token add`; the store keeps only its hash, so a
lost token is revoked and replaced, never recovered.
"""

from __future__ import annotations

import datetime as dt
import json

import click

from store.apitokens.scopes import SCOPES

from .project import cli_settings


class TokenUsage(click.ClickException):
    """A token or scope that does not exist (exit 2, like a usage error)."""

    exit_code = 2


@click.group(short_help="Back-office API tokens: add, list, revoke.")
def token() -> None:
    """Tokens the company's other systems present to the panel's API (/api/, header
    `Authorization: Bearer TOKEN`). Each token has a name and scopes, and can be
    revoked at once; the database keeps only a hash of it.

    \b
    Example:
      switchflow token add billing --scope customers:read --scope calls:read
      switchflow token list
      switchflow token revoke 3
    """


@token.command(short_help="Make a token; it is shown once.")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, metavar="SCOPE",
              help="What the token may do (repeat, or separate by commas): "
                   + "; ".join(f"{name} ({what})" for name, what in SCOPES.items()) + ".")
def add(name: str, scopes: tuple[str, ...]) -> None:
    """Make a token named NAME (whose system it is) with the given scopes and print it.
    Copy it now: it is never shown again.

    \b
    Example:
      switchflow token add billing --scope customers:read
      switchflow token add meter-readers --scope readings:write,customers:read
      switchflow token add crm --scope tickets:read --scope tickets:write
    """
    from store.apitokens import TokenError, issue

    from .db import ready
    with ready(cli_settings(), name_on_stderr=True):
        try:
            issued = issue(name, list(scopes), dt.datetime.now(dt.UTC))
        except TokenError as e:
            raise TokenUsage(str(e)) from None
    view = issued.view
    click.echo(f"token {view.id} ({view.name}) with scopes {' '.join(view.scopes)}:")
    click.echo(issued.token)
    click.echo("shown once: store it in the system that uses it "
               "(send it as `Authorization: Bearer TOKEN`)", err=True)


@token.command("list", short_help="The tokens: name, scopes, last use, revoked.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="table for people, json for programs.")
def list_(fmt: str) -> None:
    """List every token (never its secret): id, name, scopes, when it was made,
    last used (to the minute) and revoked. Times are UTC.

    \b
    Example:
      switchflow token list
      switchflow token list --format json
    """
    from store.apitokens import list_tokens

    from .db import ready
    with ready(cli_settings(), name_on_stderr=True):
        views = list_tokens()
    if fmt == "json":
        click.echo(json.dumps([{
            "id": v.id, "name": v.name, "scopes": list(v.scopes),
            "created_at": _iso(v.created_at), "last_used_at": _iso(v.last_used_at),
            "revoked_at": _iso(v.revoked_at)} for v in views], indent=2, ensure_ascii=False))
        return
    if not views:
        click.echo("no API tokens: `switchflow token add NAME --scope SCOPE` makes one")
        return
    rows = [("id", "name", "scopes", "created", "last used", "revoked")]
    rows += [(str(v.id), v.name, ",".join(v.scopes), _shown(v.created_at),
              _shown(v.last_used_at), _shown(v.revoked_at)) for v in views]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


@token.command(short_help="Refuse a token from now on.")
@click.argument("token_id", metavar="ID", type=click.IntRange(1))
def revoke(token_id: int) -> None:
    """Revoke the token ID (from `token list`): every request with it is refused
    from now on. Revoking cannot be undone; make a new token instead.

    \b
    Example:
      switchflow token revoke 3
    """
    from store.apitokens import TokenError
    from store.apitokens import revoke as revoke_token

    from .db import ready
    with ready(cli_settings(), name_on_stderr=True):
        try:
            view = revoke_token(token_id, dt.datetime.now(dt.UTC))
        except TokenError as e:
            raise TokenUsage(str(e)) from None
    click.echo(f"revoked token {view.id} ({view.name}) at {_shown(view.revoked_at)}")


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def _shown(value: dt.datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")
