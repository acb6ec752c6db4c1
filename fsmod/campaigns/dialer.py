"""engine.campaigns' `Dialer` on FreeSWITCH: `originate` through fsmod's Originator.

Each call is `bgapi originate {…}ENDPOINT '&socket(HOST:PORT async full)'`
with the campaign's caller ID (the same on every try), ring time
(originate_timeout) and the variables that bring the answered call into the
right flow at the campaign's `on answer` node (sf_flow, sf_campaign,
sf_target; sf_number the number dialled; sf_connect_ms and sf_abandon_message in
progressive and predictive mode). The endpoint
is settings [dial] number with the target's number, on the campaign's trunk
when it names one (`sofia/gateway/TRUNK/…`).

The job's answer (`+OK uuid`, `-ERR CAUSE`) is classified by
engine.campaigns.outcomes; a job lost with the control link is Outcome.LOST
(the call may exist). An answered call holds its concurrency place until its
CHANNEL_HANGUP_COMPLETE arrives on the control connection. In progressive
and predictive mode the answered call is watched for mod_callcenter's
`bridge-agent-start` (the flow's `on answer` node queues it at once): none
within the connect threshold and the call counts as abandoned. Both events
can come before the originate's job result has been taken in (the flow queues
the callee while the BACKGROUND_JOB is on its way or still being handed over):
the latest of them for calls not yet known are kept, so an agent who answers
at once is not taken for an abandon, nor a callee who hangs up at once for a
call held for hours.

Every campaign call gets `sf_detect=fax` (`machine`, both detectors, with `on machine`):
the socket session starts mod_spandsp's fax-tone detector, and mod_avmd for
machines, on the answered call (fsmod.channel). The dialer then waits, up to
FAX_WAIT_S after the answer (DETECT_S with `on machine`), for the call's
DETECTED_TONE with `Detected-Fax-Tone: true` (outcome FAX: that number is a
fax line, closed for the target, and its next number is tried), its CUSTOM
avmd::beep (MACHINE, so the flow's `retry … on machine` applies) or its end
(ANSWERED); past the wait the call is ANSWERED (a person talking).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections import OrderedDict
from collections.abc import Callable

import gevent
from gevent.event import AsyncResult, Event

from engine.campaigns.dialler import DialRequest, DialResult
from engine.campaigns.outcomes import from_cause, from_originate
from engine.campaigns.ports import Mode, Outcome
from fsmod.commands.validate import CommandValueError
from fsmod.control.callcenter import CcAction, MemberEvent, cc_event
from fsmod.control.originate import OriginateRequest, Originator
from fsmod.vocab import Subclass

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"\+?[0-9]{3,32}")
MAX_CALL_S = 4 * 3600.0       # an answered call not reported ended by then is let go
EARLY_KEEP = 4096             # events kept for calls whose originate result is not in yet
DETECT_S = 45.0               # a voicemail greeting ends with its beep within this of the answer
FAX_WAIT_S = 8.0              # an answering fax sends its CED tone within this of the answer


class FsDialer:
    """Places campaign calls on the FreeSWITCH nodes the Originator uses."""

    def __init__(self, originator: Originator, template: str, *, default_trunk: str = "",
                 now: Callable[[], dt.datetime] | None = None) -> None:
        """`template` is a dial string with `{target}` (settings [dial] number); its
        `/gateway/DEFAULT/` part is swapped for a campaign's own trunk."""
        self.originator = originator
        self.template = template
        self.default_trunk = default_trunk
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self._ended: dict[str, Event] = {}
        self._agent: dict[str, Event] = {}
        self._tone: dict[str, AsyncResult] = {}     # uuid -> "machine" or "fax", once heard
        self._early: OrderedDict[tuple[str, str], dt.datetime] = OrderedDict()
        originator.control.subscribe(self._event)

    def endpoint(self, number: str, trunk: str = "") -> str:
        if not _NUMBER.fullmatch(number):
            raise CommandValueError("number", number, "3 to 32 digits with an optional +")
        text = self.template
        if trunk and self.default_trunk and trunk != self.default_trunk:
            text = text.replace(f"/gateway/{self.default_trunk}/", f"/gateway/{trunk}/")
        return text.replace("{target}", number)

    def _event(self, node: str, event: object) -> None:
        name = getattr(event, "name", "")
        if name == "CUSTOM" and getattr(event, "subclass", "") == Subclass.AVMD_BEEP:
            self._happened("machine", event.get("Unique-ID") or "")  # type: ignore[attr-defined]
        elif name == "DETECTED_TONE" and event.get("Detected-Fax-Tone") == "true":  # type: ignore[attr-defined]
            self._happened("fax", event.get("Unique-ID") or "")  # type: ignore[attr-defined]
        elif name == "CUSTOM":
            cc = cc_event(node, event)  # type: ignore[arg-type]
            if isinstance(cc, MemberEvent) and cc.action == CcAction.BRIDGE_AGENT_START:
                self._happened("agent", cc.session_uuid)
        elif name == "CHANNEL_HANGUP_COMPLETE":
            self._happened("ended", event.get("Unique-ID") or "")  # type: ignore[attr-defined]

    def _happened(self, kind: str, uuid: str) -> None:
        """Wake whoever waits for `kind` on `uuid`, or keep it for a wait still to come."""
        if kind in ("machine", "fax"):
            heard = self._tone.get(uuid)
            if heard is not None:
                if not heard.ready():
                    heard.set(kind)
            elif uuid:
                self._seen_early(kind, uuid)
            return
        waiter = {"agent": self._agent, "ended": self._ended}[kind].get(uuid)
        if waiter is not None:
            waiter.set()
        elif uuid:
            self._seen_early(kind, uuid)

    def _seen_early(self, kind: str, uuid: str) -> None:
        """`kind` happened to `uuid` before its originate result was taken in (or to a
        call not ours: the oldest are forgotten)."""
        self._early[(kind, uuid)] = self.now()
        while len(self._early) > EARLY_KEEP:
            self._early.popitem(last=False)

    def _tone_heard(self, uuid: str, ended: Event, seconds: float) -> Outcome | None:
        """FAX or MACHINE when a detector hears the answered call's fax tone or a
        voicemail beep before it ends (or `seconds` pass); None: a person."""
        early = [(self._early.pop((kind, uuid), None), kind) for kind in ("fax", "machine")]
        heard_at = [(at, kind) for at, kind in early if at is not None]
        if heard_at:
            return Outcome(min(heard_at)[1])
        heard = self._tone.setdefault(uuid, AsyncResult())
        try:
            gevent.wait([heard, ended], timeout=seconds, count=1)
            return Outcome(heard.get_nowait()) if heard.ready() else None
        finally:
            self._tone.pop(uuid, None)

    def place(self, request: DialRequest) -> DialResult:
        variables = {"sf_number": request.number.lstrip("+")}
        if request.mode in (Mode.PROGRESSIVE, Mode.PREDICTIVE):
            # the engine's queue gives an agent this long from the answer, then plays the
            # message and ends the call (engine.actions.queue.connect_limit)
            variables["sf_connect_ms"] = str(max(1, round(request.connect_threshold_s * 1000)))
            if request.abandon_message:
                variables["sf_abandon_message"] = request.abandon_message
        # fsmod.channel starts mod_spandsp's fax-tone detector, and mod_avmd for machines
        variables["sf_detect"] = "machine" if request.on_machine else "fax"
        try:
            originate = OriginateRequest(
                self.endpoint(request.number, request.trunk), flow=request.flow,
                caller_id_number=request.caller_id, timeout_s=math.ceil(request.timeout_s),
                campaign=request.campaign, target=str(request.target_id), variables=variables)
            originate.channel_variables()
        except CommandValueError as exc:
            # a bad number or caller ID: the same next time, so it is the number's fault
            return DialResult(Outcome.UNALLOCATED, "INVALID_NUMBER_FORMAT", detail=str(exc))
        report = self.originator.originate(originate)
        if report.lost:
            return DialResult(Outcome.LOST, node=report.node, detail=report.result.text)
        result = report.result
        if not result.answered:
            cause = result.cause.value if result.cause is not None else ""
            outcome = from_cause(cause) if cause else from_originate(result.text)[0]
            return DialResult(outcome, cause or result.outcome.value, node=report.node,
                              ended_at=self.now(), detail=result.text.strip()[:200])
        uuid = result.uuid
        answered = self.now()
        waiter = self._ended.setdefault(uuid, Event())
        if self._early.pop(("ended", uuid), None) is not None:
            waiter.set()
        agent_at = self._early.pop(("agent", uuid), None)
        if agent_at is not None:
            answered = min(answered, agent_at)     # the answer came before the agent
        tracked = request.mode in (Mode.PROGRESSIVE, Mode.PREDICTIVE)
        if tracked and agent_at is None:
            # the flow queues the callee at once; mod_callcenter's bridge-agent-start for
            # this channel within the connect threshold is an agent, else it is abandoned
            bridged = self._agent.setdefault(uuid, Event())
            try:
                if bridged.wait(request.connect_threshold_s):
                    agent_at = self.now()
            finally:
                self._agent.pop(uuid, None)

        outcome = self._tone_heard(uuid, waiter, DETECT_S if request.on_machine
                                   else FAX_WAIT_S) or Outcome.ANSWERED

        def ended() -> None:
            try:
                waiter.wait(MAX_CALL_S)
            finally:
                self._ended.pop(uuid, None)
        return DialResult(outcome, uuid=uuid, node=report.node,
                          answered_at=answered, agent_at=agent_at, ended=ended,
                          agent_tracked=tracked)
