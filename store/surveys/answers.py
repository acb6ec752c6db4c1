"""Writing and reading survey answers and notice acknowledgements.

Inputs come from calls (keys pressed, a campaign's target): each is checked
and a bad one is a `SurveyInputError` naming it, which the flow's function
reads as its fallback (false) and the engine logs. A customer who
acknowledges the same notice twice keeps their first acknowledgement.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import peewee

from store.models.base import database
from store.models.surveys import NoticeAck, SurveyAnswer

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_DIGITS = re.compile(r"[0-9]{0,20}")


class SurveyInputError(ValueError):
    """A value a call gave cannot be stored; the message names it."""


def _utc(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(tzinfo=None)


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant.replace(tzinfo=dt.UTC)


def _digits(value: object, what: str) -> str:
    text = "" if value is None else str(value).strip()
    if not _DIGITS.fullmatch(text):
        raise SurveyInputError(f"{what} {text!r} is not digits")
    return text


def record_answer(campaign: str, rating: object, *, account: object = "",
                  ticket_no: object = "", comment: object = "", phone: str = "",
                  call_id: str = "", now: dt.datetime) -> SurveyAnswer:
    """One survey answer (rating 1..5) as the call gave it. A call that answers again for
    the same campaign and ticket (the rating first, then the comment's recording, so a
    caller who hangs up during the comment keeps their rating) updates its answer."""
    if not _NAME.fullmatch(campaign or ""):
        raise SurveyInputError(f"campaign {campaign!r} is not a name")
    if isinstance(rating, bool) or not isinstance(rating, int | float) \
            or rating != int(rating) or not 1 <= rating <= 5:
        raise SurveyInputError(f"rating {rating!r} is not a whole number 1 to 5")
    path = "" if comment is None else str(comment)
    if len(path) > 500 or re.search(r"[\x00-\x1f\x7f]", path):
        raise SurveyInputError("the comment's recording path is not a plain path")
    account_no, ticket = _digits(account, "account"), _digits(ticket_no, "ticket number")
    call_id = (call_id or "")[:64]
    with database.atomic():
        if call_id:     # the same call answering again (its comment after its rating): one row
            found = SurveyAnswer.get_or_none(
                (SurveyAnswer.call_id == call_id) & (SurveyAnswer.campaign == campaign)
                & (SurveyAnswer.ticket_no == ticket))
            if found is not None:
                found.rating, found.answered_at = int(rating), _utc(now)
                found.comment = path or found.comment
                found.account = account_no or found.account
                found.save()
                return found
        return SurveyAnswer.create(campaign=campaign, rating=int(rating), account=account_no,
                                   ticket_no=ticket, comment=path, phone=(phone or "")[:64],
                                   call_id=call_id, answered_at=_utc(now))


def record_ack(notice: str, account: object, *, phone: str = "", call_id: str = "",
               now: dt.datetime) -> NoticeAck:
    """The customer of `account` acknowledged `notice`; the first acknowledgement stays."""
    notice = (notice or "").strip()
    if not _NAME.fullmatch(notice):
        raise SurveyInputError(f"notice {notice!r} is not an id (letters, digits, _ . -)")
    account_no = _digits(account, "account")
    if not account_no:
        raise SurveyInputError("the account is empty")
    found = NoticeAck.get_or_none((NoticeAck.notice == notice)
                                  & (NoticeAck.account == account_no))
    if found is not None:
        return found
    try:
        with database.atomic():
            return NoticeAck.create(notice=notice, account=account_no, phone=(phone or "")[:64],
                                    call_id=(call_id or "")[:64], acknowledged_at=_utc(now))
    except peewee.IntegrityError:       # acknowledged on another line at the same moment
        return NoticeAck.get((NoticeAck.notice == notice) & (NoticeAck.account == account_no))


@dataclass(frozen=True)
class AnswerView:
    campaign: str
    account: str
    ticket_no: str
    rating: int
    comment: str          # the recording's path, "" when none was left
    call_id: str
    answered_at: dt.datetime   # aware UTC


@dataclass(frozen=True)
class AckView:
    notice: str
    account: str
    call_id: str
    acknowledged_at: dt.datetime   # aware UTC


def answers_for(*, account: str | None = None, ticket_no: str | None = None,
                limit: int = 20) -> list[AnswerView]:
    """Survey answers of a customer or about a ticket, newest first."""
    query = SurveyAnswer.select().order_by(SurveyAnswer.answered_at.desc(),
                                           SurveyAnswer.id.desc())
    if account is not None:
        query = query.where(SurveyAnswer.account == account)
    if ticket_no is not None:
        query = query.where(SurveyAnswer.ticket_no == ticket_no)
    return [AnswerView(a.campaign, a.account, a.ticket_no, a.rating, a.comment, a.call_id,
                       _aware(a.answered_at)) for a in query.limit(limit)]


def acks_for(account: str, limit: int = 20) -> list[AckView]:
    """A customer's acknowledged notices, newest first."""
    query = (NoticeAck.select().where(NoticeAck.account == account)
             .order_by(NoticeAck.acknowledged_at.desc(), NoticeAck.id.desc()).limit(limit))
    return [AckView(a.notice, a.account, a.call_id, _aware(a.acknowledged_at)) for a in query]
