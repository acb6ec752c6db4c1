"""`api` / `bgapi` commands: originate, the `uuid_*` call controls, callcenter_config.

Each builder returns an `ApiCommand` (the command line, every part checked)
that is sent either way: `api` blocks this connection until the answer
(`api/response`), `bgapi` answers at once with a Job-UUID and delivers the
output later in a BACKGROUND_JOB event carrying that Job-UUID, which is how
slow commands (originate) are run on the control connection. The forms are
the captured ones (inbound-control, inbound-call-control,
inbound-originate-outcomes, inbound-callcenter-control).
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from fsmod.commands import validate
from fsmod.commands.dial import dial_string, variable_block
from fsmod.commands.sendmsg import AppCall
from fsmod.commands.sounds import Sound
from fsmod.esl.frame import Frame
from fsmod.vocab import HangupCause

_ORIGINATE_ARG = re.compile(r"[A-Za-z0-9_.:@/+ -]{0,256}")


@dataclass(frozen=True)
class ApiCommand:
    """A checked api command line (`uuid_kill <uuid> USER_BUSY`)."""

    text: str

    def __post_init__(self) -> None:
        validate.single_line("api command", self.text, validate.MAX_ARG)

    def api(self) -> Frame:
        return Frame(command=f"api {self.text}")

    def bgapi(self, job_uuid: str | None = None) -> tuple[Frame, str]:
        """The bgapi frame and the Job-UUID its BACKGROUND_JOB will carry."""
        job = validate.uuid("Job-UUID", job_uuid or str(uuidlib.uuid4()))
        return Frame((("Job-UUID", job),), command=f"bgapi {self.text}"), job


def originate(
    endpoint: str,
    then: AppCall | str,
    *,
    variables: Mapping[str, str] | None = None,
    leg_vars: Mapping[str, str] | None = None,
    dialplan: str = "XML",
    context: str = "default",
) -> ApiCommand:
    """`originate {vars}[leg]ENDPOINT &app(args)` or `… EXTENSION XML CONTEXT`.

    `then` is the application the answered call runs (`socket(127.0.0.1:8084
    async full)`, `park()`) or an extension to route it to. Caller ID and
    timeouts are channel variables (origination_caller_id_number,
    originate_timeout), campaign and job ids go the same way (sf_campaign …).
    """
    head = "originate " + variable_block(variables or {}) + dial_string(endpoint, leg_vars)
    if isinstance(then, AppCall):
        if not _ORIGINATE_ARG.fullmatch(then.arg):
            raise validate.CommandValueError(
                "originate application", then.arg,
                "only letters, digits, spaces and _ . : @ / + - in its argument")
        token = f"&{then.app}({then.arg})"
        # originate splits its arguments on spaces but keeps a single-quoted one whole
        return ApiCommand(f"{head} '{token}'" if " " in token else f"{head} {token}")
    validate.plain_token("extension", then, 64)
    validate.plain_token("dialplan", dialplan, 32)
    validate.plain_token("context", context, 64)
    return ApiCommand(f"{head} {then} {dialplan} {context}")


def socket_app(host: str, port: int) -> AppCall:
    """`socket HOST:PORT async full`: the answered call joins the outbound server."""
    validate.endpoint("socket host", host)
    validate.bounded("socket port", port, 1, 65535)
    return AppCall("socket", f"{host}:{port} async full")


def uuid_kill(uuid: str, cause: HangupCause | None = None) -> ApiCommand:
    """`uuid_kill UUID [CAUSE]` (NORMAL_CLEARING when no cause is given)."""
    text = f"uuid_kill {validate.uuid('uuid', uuid)}"
    return ApiCommand(text if cause is None else f"{text} {HangupCause(cause).value}")


def uuid_transfer(uuid: str, destination: str, *, context: str = "default",
                  dialplan: str = "XML", leg: str = "") -> ApiCommand:
    """`uuid_transfer UUID [-bleg|-both] DEST XML CONTEXT`."""
    if leg not in ("", "-bleg", "-both"):
        raise validate.CommandValueError("leg", leg, "one of -bleg, -both or none")
    parts = ["uuid_transfer", validate.uuid("uuid", uuid)]
    parts += [leg] if leg else []
    parts += [validate.plain_token("destination", destination, 128),
              validate.plain_token("dialplan", dialplan, 32),
              validate.plain_token("context", context, 64)]
    return ApiCommand(" ".join(parts))


def uuid_bridge(uuid: str, other: str) -> ApiCommand:
    return ApiCommand(f"uuid_bridge {validate.uuid('uuid', uuid)} {validate.uuid('other', other)}")


class Hold(StrEnum):
    ON = ""
    OFF = "off"
    TOGGLE = "toggle"


def uuid_hold(uuid: str, mode: Hold = Hold.ON) -> ApiCommand:
    """`uuid_hold [off|toggle] UUID` (loopback legs keep no hold state:
    capture inbound-call-control)."""
    mode = Hold(mode)
    prefix = f"{mode.value} " if mode.value else ""
    return ApiCommand(f"uuid_hold {prefix}{validate.uuid('uuid', uuid)}")


def uuid_broadcast(uuid: str, sound: Sound, leg: str = "aleg") -> ApiCommand:
    """`uuid_broadcast UUID SOUND aleg|bleg|both`."""
    if leg not in ("aleg", "bleg", "both"):
        raise validate.CommandValueError("leg", leg, "one of aleg, bleg, both")
    return ApiCommand(f"uuid_broadcast {validate.uuid('uuid', uuid)} {Sound(sound.uri).uri} {leg}")


def eavesdrop(endpoint: str, target_uuid: str, *,
              variables: Mapping[str, str] | None = None) -> ApiCommand:
    """A supervisor's phone (`endpoint`) rung and, on answer, listening to `target_uuid`."""
    return originate(endpoint, AppCall("eavesdrop", validate.uuid("target", target_uuid)),
                     variables=variables)


def three_way(endpoint: str, target_uuid: str, *,
              variables: Mapping[str, str] | None = None) -> ApiCommand:
    """A third party rung and joined to `target_uuid`'s call (`three_way` app)."""
    return originate(endpoint, AppCall("three_way", validate.uuid("target", target_uuid)),
                     variables=variables)


def uuid_getvar(uuid: str, name: str) -> ApiCommand:
    """`_undef_` when unset, `-ERR No such channel!` when the call is gone."""
    return ApiCommand(
        f"uuid_getvar {validate.uuid('uuid', uuid)} {validate.variable_name('variable', name)}")


def uuid_setvar(uuid: str, name: str, value: str) -> ApiCommand:
    """`uuid_setvar UUID NAME VALUE`: the api splits its arguments as FreeSWITCH
    does, stripping quotes and backslashes, so those are refused with `$`."""
    validate.no_expansion(name, value)
    if any(ch in value for ch in "'\"\\"):
        raise validate.CommandValueError(name, value, "quotes and backslashes would be stripped")
    return ApiCommand(f"uuid_setvar {validate.uuid('uuid', uuid)} "
                      f"{validate.variable_name('variable', name)} {value}")


def uuid_send_dtmf(uuid: str, keys: str) -> ApiCommand:
    validate.digits("keys", keys, "0123456789*#ABCDwW")
    return ApiCommand(f"uuid_send_dtmf {validate.uuid('uuid', uuid)} {keys}")


# ---- mod_callcenter ---------------------------------------------------------------------

_CC_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}@[A-Za-z0-9_.-]{1,64}")


class AgentStatus(StrEnum):
    LOGGED_OUT = "Logged Out"
    AVAILABLE = "Available"
    AVAILABLE_ON_DEMAND = "Available (On Demand)"
    ON_BREAK = "On Break"


class AgentState(StrEnum):
    IDLE = "Idle"
    WAITING = "Waiting"
    RECEIVING = "Receiving"
    IN_A_QUEUE_CALL = "In a queue call"


def _cc(field: str, value: str) -> str:
    validate.single_line(field, value, 129)
    if not _CC_NAME.fullmatch(value):
        raise validate.CommandValueError(field, value, "a name is NAME@DOMAIN of [A-Za-z0-9_.-]")
    return value


def _quoted(value: str) -> str:
    """A fixed word with spaces (`'On Break'`), as the capture sends it."""
    return f"'{value}'" if " " in value else value


def cc_agent_add(agent: str, kind: str = "callback") -> ApiCommand:
    if kind not in ("callback", "uuid-standby"):
        raise validate.CommandValueError("agent type", kind, "callback or uuid-standby")
    return ApiCommand(f"callcenter_config agent add {_cc('agent', agent)} {kind}")


def cc_agent_del(agent: str) -> ApiCommand:
    return ApiCommand(f"callcenter_config agent del {_cc('agent', agent)}")


def cc_agent_status(agent: str, status: AgentStatus) -> ApiCommand:
    return ApiCommand(
        f"callcenter_config agent set status {_cc('agent', agent)} "
        f"{_quoted(AgentStatus(status).value)}")


def cc_agent_state(agent: str, state: AgentState) -> ApiCommand:
    return ApiCommand(
        f"callcenter_config agent set state {_cc('agent', agent)} "
        f"{_quoted(AgentState(state).value)}")


def cc_agent_contact(agent: str, endpoint: str, leg_vars: Mapping[str, str] | None = None
                     ) -> ApiCommand:
    return ApiCommand(f"callcenter_config agent set contact {_cc('agent', agent)} "
                      f"{dial_string(endpoint, leg_vars)}")


def cc_agent_get(agent: str, what: str) -> ApiCommand:
    if what not in ("status", "state", "uuid"):
        raise validate.CommandValueError("agent get", what, "status, state or uuid")
    return ApiCommand(f"callcenter_config agent get {what} {_cc('agent', agent)}")


def cc_tier_add(queue: str, agent: str, level: int = 1, position: int = 1) -> ApiCommand:
    validate.bounded("tier level", level, 0, 1000)
    validate.bounded("tier position", position, 0, 1000)
    names = f"{_cc('queue', queue)} {_cc('agent', agent)}"
    return ApiCommand(f"callcenter_config tier add {names} {level} {position}")


def cc_tier_del(queue: str, agent: str) -> ApiCommand:
    return ApiCommand(f"callcenter_config tier del {_cc('queue', queue)} {_cc('agent', agent)}")


def cc_queue_list(queue: str, what: str = "members") -> ApiCommand:
    if what not in ("members", "agents", "tiers"):
        raise validate.CommandValueError("queue list", what, "members, agents or tiers")
    return ApiCommand(f"callcenter_config queue list {what} {_cc('queue', queue)}")


def cc_queue_load(queue: str, reload: bool = False) -> ApiCommand:
    verb = "reload" if reload else "load"
    return ApiCommand(f"callcenter_config queue {verb} {_cc('queue', queue)}")
