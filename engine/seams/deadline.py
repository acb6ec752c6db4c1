"""Calling an outside service from a call: under a deadline, every failure one exception."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import gevent

log = logging.getLogger(__name__)

T = TypeVar("T")


def within(seconds: float, what: str, error: type[Exception], work: Callable[[], T], *,
           call_id: str = "", traceback: bool = True) -> T:
    """Run `work` for at most `seconds`; a timeout or any other exception becomes
    `error`, and `error` itself passes through. With `traceback`, an exception other
    than `error` is logged with its traceback (for services whose adapters should
    raise `error`: anything else is a bug there). A hangup (GreenletExit) passes."""
    timer = gevent.Timeout(seconds)
    timer.start()
    try:
        return work()
    except gevent.Timeout as exc:
        if exc is not timer:
            raise
        raise error(f"{what} did not answer within {seconds:g} s") from None
    except error:
        raise
    except Exception as exc:
        if traceback:
            log.exception("call=%s %s failed", call_id, what)
        raise error(f"{what} failed: {exc!r}") from None
    finally:
        timer.close()
