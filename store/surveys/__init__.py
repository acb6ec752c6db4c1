"""Survey answers and notice acknowledgements, stored against the customer and the ticket.

`record_answer` and `record_ack` are what the flows' `survey_answer(...)`
and `notice_ack(...)` functions write (store/lookups.py); `answers_for` and
`acks_for` are what `customer show` and `ticket show` read.
"""

from store.surveys.answers import (
    AckView,
    AnswerView,
    SurveyInputError,
    acks_for,
    answers_for,
    record_ack,
    record_answer,
)

__all__ = ["AckView", "AnswerView", "SurveyInputError", "acks_for", "answers_for",
           "record_ack", "record_answer"]
