"""`sendmsg`: run an application on a call, or hang it up.

Every execute carries an `Event-UUID` of its own; FreeSWITCH copies it into
CHANNEL_EXECUTE and CHANNEL_EXECUTE_COMPLETE as `Application-UUID`, and that
UUID is the only thing a completion is matched on (ESL-NOTES §3: greenswitch
matches on the application's name, so a timed-out wait steals the next
completion of the same application). `event-lock: true` makes the switch run
the applications of one call in the order they were sent. The layout is the
one the captures show (outbound-call): no `execute-app-arg` line when there
is no argument.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass

from fsmod.commands import validate
from fsmod.esl.frame import Frame
from fsmod.vocab import HangupCause


@dataclass(frozen=True)
class AppCall:
    """An application and its argument, each already checked by its builder."""

    app: str
    arg: str = ""

    def __post_init__(self) -> None:
        validate.app_name(self.app)
        validate.single_line(f"{self.app} argument", self.arg, validate.MAX_ARG)


@dataclass(frozen=True)
class Execute:
    """A sendmsg execute ready to write, and the UUID its completion will carry."""

    frame: Frame
    event_uuid: str
    call: AppCall


def execute(call: AppCall, *, event_uuid: str | None = None, uuid: str | None = None,
            loops: int = 1) -> Execute:
    """`sendmsg [uuid]` executing `call`; `uuid` is needed on an inbound
    connection, not in the call's own outbound session."""
    event_uuid = validate.uuid("Event-UUID", event_uuid or str(uuidlib.uuid4()))
    command = "sendmsg" if uuid is None else f"sendmsg {validate.uuid('uuid', uuid)}"
    headers = [("call-command", "execute"), ("execute-app-name", call.app)]
    if call.arg:
        headers.append(("execute-app-arg", call.arg))
    if loops != 1:
        headers.append(("loops", str(validate.bounded("loops", loops, 1, 1000))))
    headers += [("event-lock", "true"), ("Event-UUID", event_uuid)]
    return Execute(Frame(tuple(headers), command=command), event_uuid, call)


def hangup(cause: HangupCause = HangupCause.NORMAL_CLEARING, *, uuid: str | None = None) -> Frame:
    """`sendmsg` with `call-command: hangup`: ends the call even while an
    application runs (the running one then completes)."""
    command = "sendmsg" if uuid is None else f"sendmsg {validate.uuid('uuid', uuid)}"
    return Frame(
        (("call-command", "hangup"), ("hangup-cause", HangupCause(cause).value)), command=command)
