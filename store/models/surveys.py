"""Survey answers and notice acknowledgements (migration 8), against customer and ticket.

A `SurveyAnswer` is one rating (1 to 5) a customer keyed in, with the
recording of their comment when they left one; `ticket_no` is the ticket
the survey asked about (empty for a market-research or after-agent survey),
`account` the customer's (empty when unknown). A `NoticeAck` is a customer
saying they heard a notice (a planned supply interruption, a rule change).
Neither refers to the call record by key: the record is committed when the
call ends, after the answer. Times are naive UTC.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel


class SurveyAnswer(BaseModel):
    campaign = peewee.CharField(max_length=100, index=True)
    account = peewee.CharField(max_length=20, default="", index=True)
    ticket_no = peewee.CharField(max_length=20, default="", index=True)
    rating = peewee.SmallIntegerField(constraints=[peewee.Check("rating BETWEEN 1 AND 5")])
    comment = peewee.CharField(max_length=500, default="")   # the comment's recording path
    phone = peewee.CharField(max_length=64, default="")
    call_id = peewee.CharField(max_length=64, default="", index=True)
    answered_at = peewee.DateTimeField(index=True)


class NoticeAck(BaseModel):
    notice = peewee.CharField(max_length=100, index=True)    # interruption or notice id
    account = peewee.CharField(max_length=20, index=True)
    phone = peewee.CharField(max_length=64, default="")
    call_id = peewee.CharField(max_length=64, default="")
    acknowledged_at = peewee.DateTimeField()

    class Meta:
        indexes = ((("notice", "account"), True),)


MODELS = (SurveyAnswer, NoticeAck)
