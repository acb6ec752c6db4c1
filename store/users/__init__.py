"""The panel's users: adding them, their passwords, roles, and who may log in.

Passwords are argon2id hashes with store.pins's profile (OWASP's minimum);
hashing runs in gevent's thread pool so a login does not hold up calls.

The lockout counts wrong passwords per username, whether or not such a user
exists, so the answer to a login never tells who has an account: after
`max_failures` within `window` the username is refused, even with the right
password, until its oldest counted failure is `window` old.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

import gevent
import peewee
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from store.models.users import ROLES, LoginFailure, PanelUserRow

# store.pins's profile: argon2id, 19 MiB, 2 passes, 1 lane
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# checked against when the username is unknown, so both answers take as long
_NOBODY = _HASHER.hash("no such user")

USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
# what fsmod.commands accepts in mod_callcenter commands and dial strings: checked where
# they enter, so a user's phone can never carry an ESL command's separators
AGENT = re.compile(r"[A-Za-z0-9_.-]{1,64}@[A-Za-z0-9_.-]{1,64}")
EXTENSION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:@/+-]{0,119}")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


class UserError(Exception):
    """A request about users that cannot be done, worded for the person who asked."""


@dataclass(frozen=True)
class User:
    """A panel user as the store holds it (the hash stays in the store)."""

    id: int
    username: str
    display_name: str
    role: str
    agent: str
    extension: str
    disabled: bool
    created_at: dt.datetime
    password_tag: str   # changes with the password (a session made before ends); not the hash


@dataclass(frozen=True)
class LoginLimits:
    """From settings [panel]: login_max_failures and login_lockout."""

    max_failures: int
    window: dt.timedelta


class Refusal(StrEnum):
    """Why a login was refused."""

    WRONG = "wrong"          # unknown user or wrong password: the same to the person trying
    LOCKED = "locked"
    DISABLED = "disabled"


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    refused: Refusal | None


def _naive_utc(when: dt.datetime) -> dt.datetime:
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when


def _user(row: PanelUserRow) -> User:
    return User(row.id, row.username, row.display_name, row.role, row.agent, row.extension,
                bool(row.disabled), row.created_at,
                hashlib.sha256(row.password_hash.encode()).hexdigest()[:16])


def normal_username(username: str) -> str:
    """The username as stored: trimmed, lower case; UserError when it cannot be one."""
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise UserError(f"{username!r} is not a username: use 1-64 letters, digits, "
                        "'.', '_', '@' or '-', starting with a letter or digit")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"{role!r} is not a role: one of {', '.join(ROLES)}")
    return role


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"the password is too long: at most {MAX_PASSWORD} characters")
    return password


def _check_phone(agent: str, extension: str) -> tuple[str, str]:
    agent, extension = agent.strip(), extension.strip()
    if agent and not AGENT.fullmatch(agent):
        raise UserError(f"{agent!r} is not a mod_callcenter agent name: NAME@DOMAIN of "
                        "letters, digits, '_', '.', '-' (e.g. 1001@default)")
    if extension and not EXTENSION.fullmatch(extension):
        raise UserError(f"{extension!r} is not an endpoint FreeSWITCH can dial: letters, "
                        "digits and _ . : @ / + - without spaces (e.g. user/1001)")
    return agent, extension


def hash_password(password: str) -> str:
    """The argon2id hash to store for `password`."""
    return gevent.get_hub().threadpool.apply(_HASHER.hash, (password,))


def _matches(stored: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _HASHER.verify(stored or _NOBODY, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
    return gevent.get_hub().threadpool.apply(verify)


def _row(username: str) -> PanelUserRow:
    row = PanelUserRow.get_or_none(PanelUserRow.username == normal_username(username))
    if row is None:
        raise UserError(f"no user {username!r}")
    return row


def add_user(username: str, display_name: str, role: str, password: str, now: dt.datetime,
             agent: str = "", extension: str = "") -> User:
    """Create a user; UserError when the name is taken or a field is not valid."""
    name = normal_username(username)
    _check_role(role)
    _check_password(password)
    shown = display_name.strip() or name
    if len(shown) > 120:
        raise UserError("the display name is too long: at most 120 characters")
    agent, extension = _check_phone(agent, extension)
    if PanelUserRow.get_or_none(PanelUserRow.username == name) is not None:
        raise UserError(f"there is already a user {name!r}")
    try:
        row = PanelUserRow.create(username=name, display_name=shown, role=role,
                               password_hash=hash_password(password), agent=agent,
                               extension=extension, disabled=False,
                               created_at=_naive_utc(now))
    except peewee.IntegrityError:
        raise UserError(f"there is already a user {name!r}") from None
    return _user(row)


def set_password(username: str, password: str) -> User:
    """Give the user a new password (their sessions made before it end)."""
    row = _row(username)
    row.password_hash = hash_password(_check_password(password))
    row.save()
    return _user(row)


def set_phone(username: str, agent: str, extension: str) -> User:
    """The mod_callcenter agent the user answers as and their phone's endpoint ("": none)."""
    row = _row(username)
    row.agent, row.extension = _check_phone(agent, extension)
    row.save()
    return _user(row)


def set_role(username: str, role: str) -> User:
    row = _row(username)
    row.role = _check_role(role)
    row.save()
    return _user(row)


def set_disabled(username: str, disabled: bool = True) -> User:
    """Disable (or enable again) a user: a disabled one cannot log in, its sessions end."""
    row = _row(username)
    row.disabled = disabled
    row.save()
    return _user(row)


def find_user(username: str) -> User | None:
    try:
        name = normal_username(username)
    except UserError:
        return None
    row = PanelUserRow.get_or_none(PanelUserRow.username == name)
    return _user(row) if row else None


def existing(username: str) -> User:
    """The user; UserError when there is none of that name."""
    return _user(_row(username))


def get_user(user_id: int) -> User | None:
    row = PanelUserRow.get_or_none(PanelUserRow.id == user_id)
    return _user(row) if row else None


def username_for_agent(agent: str) -> str | None:
    """The enabled panel user whose mod_callcenter agent is `agent` (the oldest, if two)."""
    row = (PanelUserRow.select(PanelUserRow.username)
           .where(PanelUserRow.agent == agent, PanelUserRow.disabled == False)  # noqa: E712
           .order_by(PanelUserRow.id).first())
    return row.username if row is not None else None


def list_users() -> list[User]:
    return [_user(r) for r in PanelUserRow.select().order_by(PanelUserRow.username)]


def locked(username: str, limits: LoginLimits, now: dt.datetime) -> bool:
    """Whether the username has used up its wrong passwords within the window."""
    since = _naive_utc(now) - limits.window
    return LoginFailure.select().where(LoginFailure.username == username,
                                       LoginFailure.at > since).count() >= limits.max_failures


def log_in(username: str, password: str, limits: LoginLimits, now: dt.datetime) -> LoginResult:
    """Check a login: the user when the password is right and the user may log in."""
    name = username.strip().lower()[:64]
    if locked(name, limits, now):
        return LoginResult(None, Refusal.LOCKED)
    row = PanelUserRow.get_or_none(PanelUserRow.username == name) if USERNAME.fullmatch(name) \
        else None
    if not _matches(row.password_hash if row else None, password[:MAX_PASSWORD]):
        LoginFailure.delete().where(LoginFailure.at <= _naive_utc(now) - limits.window).execute()
        LoginFailure.create(username=name, at=_naive_utc(now))
        return LoginResult(None, Refusal.WRONG)
    assert row is not None
    if row.disabled:
        return LoginResult(None, Refusal.DISABLED)
    LoginFailure.delete().where(LoginFailure.username == name).execute()
    if _HASHER.check_needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
        row.save()
    return LoginResult(_user(row), None)
