"""FreeSWITCH's answer to an originate, as the dialler's `Outcome`.

An originate ends as `+OK <uuid>` (answered) or `-ERR CAUSE`, CAUSE one of
FreeSWITCH's hangup cause names (switch_call_cause_t, the Q.850 causes plus
its own above 127). What the dialler does next depends only on the class:
busy is retried soon and never counts against the number, no answer later,
an unallocated number never again, network trouble after a pause.

One real-switch quirk decides a class here: in the capture
inbound-originate-outcomes a far end answering `respond 486` over loopback
came back as `-ERR NORMAL_CLEARING`, not USER_BUSY. An originate that did
not answer is never a success, so NORMAL_CLEARING (and the other "normal"
causes) without an answer is a no-answer-like, retryable failure.
"""

from __future__ import annotations

from engine.campaigns.ports import Outcome

# hangup cause name -> outcome; a cause not listed is NETWORK (retry later, counted)
CAUSES: dict[str, Outcome] = {
    # the callee is there but busy: retried soon, never the number's fault
    "USER_BUSY": Outcome.BUSY,
    "NORMAL_CIRCUIT_CONGESTION": Outcome.NETWORK,
    # it rang (or nobody responded) and nobody answered
    "NO_ANSWER": Outcome.NO_ANSWER,
    "NO_USER_RESPONSE": Outcome.NO_ANSWER,
    "ALLOTTED_TIMEOUT": Outcome.NO_ANSWER,
    "PROGRESS_TIMEOUT": Outcome.NO_ANSWER,
    "RECOVERY_ON_TIMER_EXPIRE": Outcome.NO_ANSWER,
    "SUBSCRIBER_ABSENT": Outcome.NO_ANSWER,       # phone off or out of coverage
    "USER_NOT_REGISTERED": Outcome.NO_ANSWER,
    "ORIGINATOR_CANCEL": Outcome.NO_ANSWER,
    # "normal" clearing before an answer (the loopback 486 of the capture): not a success
    "NORMAL_CLEARING": Outcome.NO_ANSWER,
    "NORMAL_UNSPECIFIED": Outcome.NO_ANSWER,
    "NONE": Outcome.NO_ANSWER,
    "UNSPECIFIED": Outcome.NO_ANSWER,
    # the callee (or the network for them) declined
    "CALL_REJECTED": Outcome.REJECTED,
    "OUTGOING_CALL_BARRED": Outcome.REJECTED,
    "INCOMING_CALL_BARRED": Outcome.REJECTED,
    "FACILITY_REJECTED": Outcome.REJECTED,
    # the number does not exist as dialled: final for that number
    "UNALLOCATED_NUMBER": Outcome.UNALLOCATED,
    "NO_ROUTE_DESTINATION": Outcome.UNALLOCATED,
    "NO_ROUTE_TRANSIT_NET": Outcome.UNALLOCATED,
    "INVALID_NUMBER_FORMAT": Outcome.UNALLOCATED,
    "NUMBER_CHANGED": Outcome.UNALLOCATED,
    "REDIRECTION_TO_NEW_DESTINATION": Outcome.UNALLOCATED,
    "INCOMPATIBLE_DESTINATION": Outcome.UNALLOCATED,
    # network, trunk or switch trouble: try again after a pause
    "NETWORK_OUT_OF_ORDER": Outcome.NETWORK,
    "NORMAL_TEMPORARY_FAILURE": Outcome.NETWORK,
    "SWITCH_CONGESTION": Outcome.NETWORK,
    "DESTINATION_OUT_OF_ORDER": Outcome.NETWORK,
    "EXCHANGE_ROUTING_ERROR": Outcome.NETWORK,
    "REQUESTED_CHAN_UNAVAIL": Outcome.NETWORK,
    "SERVICE_UNAVAILABLE": Outcome.NETWORK,
    "GATEWAY_DOWN": Outcome.NETWORK,
    "MEDIA_TIMEOUT": Outcome.NETWORK,
    "SYSTEM_SHUTDOWN": Outcome.NETWORK,
    "CRASH": Outcome.NETWORK,
    "LOSE_RACE": Outcome.NETWORK,
    "MANAGER_REQUEST": Outcome.NETWORK,
    "CHANNEL_UNACCEPTABLE": Outcome.NETWORK,
    "BEARERCAPABILITY_NOTAVAIL": Outcome.NETWORK,
    "BEARERCAPABILITY_NOTAUTH": Outcome.NETWORK,
    "INTERWORKING": Outcome.NETWORK,
    "PROTOCOL_ERROR": Outcome.NETWORK,
}

# outcomes after which a number is never dialled again: a fax line answers every
# voice call with its tone, so the target's next number is tried at once
FINAL_FOR_NUMBER = frozenset({Outcome.UNALLOCATED, Outcome.DNC, Outcome.FAX})
# outcomes that reached someone: the target is done (the flow decides the rest)
REACHED = frozenset({Outcome.ANSWERED, Outcome.MACHINE})
# outcomes that do not count as a failure of the number (max tries per number)
NOT_THE_NUMBERS_FAULT = frozenset({Outcome.BUSY, Outcome.NETWORK, Outcome.LOST,
                                   Outcome.ABANDONED})
# the fake FreeSWITCH's and the flows' spellings of an outcome (retry ... on busy, noanswer)
WORDS: dict[str, Outcome] = {
    "busy": Outcome.BUSY, "noanswer": Outcome.NO_ANSWER, "no_answer": Outcome.NO_ANSWER,
    "rejected": Outcome.REJECTED, "reject": Outcome.REJECTED,
    "unallocated": Outcome.UNALLOCATED, "network": Outcome.NETWORK,
    "failed": Outcome.NETWORK, "fail": Outcome.NETWORK, "error": Outcome.NETWORK,
    "machine": Outcome.MACHINE, "fax": Outcome.FAX, "abandoned": Outcome.ABANDONED,
    "lost": Outcome.LOST, "answered": Outcome.ANSWERED, "answer": Outcome.ANSWERED,
}


def from_cause(cause: str | None) -> Outcome:
    """The outcome of an originate that failed with hangup cause `cause`."""
    name = (cause or "").strip().upper()
    return CAUSES.get(name, Outcome.NETWORK)


def from_originate(body: str) -> tuple[Outcome, str, str]:
    """(outcome, cause, uuid) from an originate's job body or api answer.

    `+OK <uuid>` is ANSWERED; `-ERR CAUSE` is classified by cause; `-USAGE`
    or anything else (a command our side got wrong) is NETWORK with the text
    as cause, so it is retried later and shows up in the report.
    """
    text = body.strip()
    if text.startswith("+OK"):
        return Outcome.ANSWERED, "", text[3:].strip().split(" ")[0]
    if text.startswith("-ERR"):
        cause = text[4:].strip().split(" ")[0]
        return from_cause(cause), cause, ""
    return Outcome.NETWORK, text[:80], ""


def from_word(word: str) -> Outcome:
    """A flow's or a setting's name for an outcome (`busy`, `noanswer` …); ValueError else."""
    key = word.strip().lower()
    if key in WORDS:
        return WORDS[key]
    try:
        return Outcome(key)
    except ValueError:
        known = ", ".join(sorted(WORDS))
        raise ValueError(f"unknown outcome `{word}` (known: {known})") from None
