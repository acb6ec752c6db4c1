"""Originate outbound calls that land in the engine, with a typed outcome.

`bgapi originate {vars}ENDPOINT '&socket(HOST:PORT async full)'`: when the
far end answers, the call runs the `socket` application and reaches the
outbound server like any inbound call, carrying its channel variables
(`sf_flow` chooses the flow, `sf_campaign` / `sf_job` / `sf_target` tie it
to the campaign). The BACKGROUND_JOB body says how it went (capture
inbound-originate-outcomes: `+OK <uuid>`, `-ERR USER_BUSY`, `-ERR NO_ANSWER`,
`-ERR CALL_REJECTED`, `-ERR NO_ROUTE_DESTINATION`, `-ERR NORMAL_CLEARING`);
fsmod.originate.parse_originate types it. A job whose link was lost while
it ran is reported as `lost`: the call may or may not have been placed.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from fsmod.commands import validate
from fsmod.commands.api import originate, socket_app
from fsmod.commands.sendmsg import AppCall
from fsmod.control.link import ControlError, JobTimeout, LinkLost
from fsmod.control.nodes import Control
from fsmod.originate import OriginateResult, parse_originate
from fsmod.vocab import OriginateOutcome

_NUMBER = re.compile(r"\+?[0-9]{1,32}")
_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
ALLOWED = frozenset({"ignore_early_media", "hangup_after_bridge", "absolute_codec_string",
                     "sip_h_X-Campaign", "effective_caller_id_number",
                     "effective_caller_id_name",
                     # mod_spandsp, for fax calls (fsmod.faxsend)
                     "fax_ident", "fax_use_ecm", "fax_enable_t38", "fax_disable_v17",
                     "fax_verbose"})
"""Channel variables a request may set besides `sf_*` (the rest are set from
the request's own fields, checked)."""


@dataclass(frozen=True)
class OriginateRequest:
    """One outbound call. `endpoint` is a dial string (`sofia/gateway/pstn/0123…`,
    `loopback/7000`); `flow` the flow the answered call runs; `timeout_s` how
    long it may ring (originate_timeout)."""

    endpoint: str
    flow: str = ""
    caller_id_number: str = ""
    caller_id_name: str = ""
    timeout_s: int = 30
    campaign: str = ""
    job: str = ""
    target: str = ""
    variables: Mapping[str, str] = field(default_factory=dict)

    def channel_variables(self) -> dict[str, str]:
        """The `{…}` block, every value checked (CommandValueError names the field)."""
        out: dict[str, str] = {}
        if self.caller_id_number:
            if not _NUMBER.fullmatch(self.caller_id_number):
                raise validate.CommandValueError("caller_id_number", self.caller_id_number,
                                                 "digits with an optional leading +")
            out["origination_caller_id_number"] = self.caller_id_number
        if self.caller_id_name:
            validate.plain_token("caller_id_name", self.caller_id_name, 64)
            out["origination_caller_id_name"] = self.caller_id_name
        validate.bounded("timeout_s", self.timeout_s, 1, 600)
        out["originate_timeout"] = str(self.timeout_s)
        for key, value in (("sf_flow", self.flow), ("sf_campaign", self.campaign),
                           ("sf_job", self.job), ("sf_target", self.target)):
            if value:
                if not _ID.fullmatch(value):
                    raise validate.CommandValueError(key, value, "letters, digits and _ . -")
                out[key] = value
        for name, value in self.variables.items():
            if not (name.startswith("sf_") or name in ALLOWED):
                raise validate.CommandValueError(
                    "channel variable", name, "only sf_* and " + ", ".join(sorted(ALLOWED)))
            if name in out:
                raise validate.CommandValueError("channel variable", name,
                                                 "set by the request's own field")
            out[name] = str(value)
        return out


@dataclass(frozen=True)
class OriginateReport:
    """How one originate went: `result` typed (ANSWERED with the call's uuid, or
    the failure), the node that placed it, its Job-UUID, seconds it took.
    `lost`: the link went down (or the job's result never came) before the
    outcome was known; the call may exist (look for its `sf_job`)."""

    result: OriginateResult
    node: str
    job_uuid: str = ""
    seconds: float = 0.0
    lost: bool = False

    @property
    def outcome(self) -> OriginateOutcome:
        return self.result.outcome

    @property
    def answered(self) -> bool:
        return self.result.answered


class Originator:
    """Places originates on the nodes that are up, in turn."""

    def __init__(self, control: Control, *, switch: object | None = None,
                 socket_host: str | None = None, socket_port: int | None = None) -> None:
        self.control = control
        self.switch = switch
        self.socket_host = socket_host or control.config.outbound_host
        self.socket_port = socket_port or control.config.outbound_port
        self._turn = itertools.count()

    def command(self, request: OriginateRequest, application: AppCall | None = None):
        """The checked `originate` api command for `request`; the answered call runs
        `application` (default: `socket` to the engine's outbound server; a fax job
        gives `txfax(FILE)`)."""
        then = application or socket_app(self.socket_host, self.socket_port)
        return originate(request.endpoint, then, variables=request.channel_variables())

    def _node(self) -> str:
        up = [name for name, link in self.control.links.items() if link.is_up]
        if not up:
            raise LinkLost("no FreeSWITCH node is up to place the call")
        return up[next(self._turn) % len(up)]

    def originate(self, request: OriginateRequest, node: str | None = None,
                  timeout: float | None = None, *,
                  application: AppCall | None = None) -> OriginateReport:
        """Place the call and wait for its outcome (at most `timeout`, by default
        the ring time plus 30 s). Bad request values raise CommandValueError
        before anything is sent; link trouble is a `lost` report, not an error."""
        command = self.command(request, application)
        started = time.monotonic()
        try:
            node = node or self._node()
            job = self.control.bgapi(command, node)
        except ControlError as error:
            return OriginateReport(
                OriginateResult(OriginateOutcome.OTHER_FAILURE, text=str(error)),
                node or "", seconds=time.monotonic() - started, lost=True)
        try:
            body = job.wait(timeout if timeout is not None else request.timeout_s + 30)
        except (LinkLost, JobTimeout) as error:
            return OriginateReport(
                OriginateResult(OriginateOutcome.OTHER_FAILURE, text=str(error)), node,
                job.job_uuid, time.monotonic() - started, lost=True)
        result = parse_originate(body)
        if result.answered and self.switch is not None and hasattr(self.switch, "attribute"):
            self.switch.attribute(result.uuid, node)
        return OriginateReport(result, node, job.job_uuid, time.monotonic() - started)
