"""Service PINs: argon2 hashes, and the lockout after repeated wrong PINs.

A 6-digit PIN has a million values, so the hash alone protects little if the
table leaks; what protects an account on the phone is the lockout: after
`max_failures` wrong PINs within `window`, the account, and separately the
calling number, is refused even the right PIN until its oldest counted
failure is `window` old. A right PIN clears the account's failures.

Hashing costs tens of milliseconds of processor time, so it runs in gevent's
thread pool (argon2-cffi releases the GIL while it hashes): the other calls
keep running meanwhile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import gevent
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from store.models.customers import PinFailure

# OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): about 35 ms here
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# a hash to check against when the account does not exist, so both take as long
_NOBODY = _HASHER.hash("no such account")


@dataclass(frozen=True)
class PinLimits:
    """From settings [store]: pin_max_failures and pin_lockout."""

    max_failures: int
    window: dt.timedelta


def hash_pin(pin: str) -> str:
    """The argon2id hash to store for `pin`."""
    return gevent.get_hub().threadpool.apply(_HASHER.hash, (pin,))


def pin_matches(stored: str | None, pin: str) -> bool:
    """Whether `pin` is the one `stored` was made from (None: no account, always False)."""
    def verify() -> bool:
        try:
            return _HASHER.verify(stored or _NOBODY, pin) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
    return gevent.get_hub().threadpool.apply(verify)


def locked(account: str, caller: str | None, limits: PinLimits, now: dt.datetime) -> bool:
    """Whether the account or the calling number has used up its wrong PINs."""
    since = now - limits.window
    recent = PinFailure.select().where(PinFailure.at > since)
    if recent.where(PinFailure.account == account).count() >= limits.max_failures:
        return True
    return caller is not None and \
        recent.where(PinFailure.caller == caller).count() >= limits.max_failures


def note_failure(account: str, caller: str | None, limits: PinLimits, now: dt.datetime) -> None:
    """Count a wrong PIN; failures older than the window are forgotten."""
    PinFailure.delete().where(PinFailure.at <= now - limits.window).execute()
    PinFailure.create(account=account, caller=caller, at=now)


def clear_failures(account: str) -> None:
    """A right PIN: the account starts counting afresh (its caller's count stays)."""
    PinFailure.delete().where(PinFailure.account == account).execute()
