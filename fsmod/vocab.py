"""FreeSWITCH's words, typed: hangup causes, channel states, event names, results.

One place instead of string literals scattered through fsmod, so a typo is a
NameError and a cause the switch sends that we did not expect is visible.
Sources: switch_types.h (`switch_call_cause_t`, `switch_channel_state_t`,
`switch_channel_callstate_t`, `switch_event_types_t`), switch_channel.c
(the cause names and `switch_channel_cause_q850`), mod_dptools.c and
switch_ivr_play_say.c (application results), and what the captures in
../shared/esl-captures show a 1.10.12 switch sending.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class HangupCause(StrEnum):
    """A hangup cause by the name FreeSWITCH writes (`Hangup-Cause`,
    `variable_hangup_cause`, `-ERR USER_BUSY`); `.code` is FreeSWITCH's own
    number, `.q850` what it reports as `hangup_cause_q850`."""

    NONE = "NONE"
    UNALLOCATED_NUMBER = "UNALLOCATED_NUMBER"
    NO_ROUTE_TRANSIT_NET = "NO_ROUTE_TRANSIT_NET"
    NO_ROUTE_DESTINATION = "NO_ROUTE_DESTINATION"
    CHANNEL_UNACCEPTABLE = "CHANNEL_UNACCEPTABLE"
    CALL_AWARDED_DELIVERED = "CALL_AWARDED_DELIVERED"
    NORMAL_CLEARING = "NORMAL_CLEARING"
    USER_BUSY = "USER_BUSY"
    NO_USER_RESPONSE = "NO_USER_RESPONSE"
    NO_ANSWER = "NO_ANSWER"
    SUBSCRIBER_ABSENT = "SUBSCRIBER_ABSENT"
    CALL_REJECTED = "CALL_REJECTED"
    NUMBER_CHANGED = "NUMBER_CHANGED"
    REDIRECTION_TO_NEW_DESTINATION = "REDIRECTION_TO_NEW_DESTINATION"
    EXCHANGE_ROUTING_ERROR = "EXCHANGE_ROUTING_ERROR"
    DESTINATION_OUT_OF_ORDER = "DESTINATION_OUT_OF_ORDER"
    INVALID_NUMBER_FORMAT = "INVALID_NUMBER_FORMAT"
    FACILITY_REJECTED = "FACILITY_REJECTED"
    RESPONSE_TO_STATUS_ENQUIRY = "RESPONSE_TO_STATUS_ENQUIRY"
    NORMAL_UNSPECIFIED = "NORMAL_UNSPECIFIED"
    NORMAL_CIRCUIT_CONGESTION = "NORMAL_CIRCUIT_CONGESTION"
    NETWORK_OUT_OF_ORDER = "NETWORK_OUT_OF_ORDER"
    NORMAL_TEMPORARY_FAILURE = "NORMAL_TEMPORARY_FAILURE"
    SWITCH_CONGESTION = "SWITCH_CONGESTION"
    ACCESS_INFO_DISCARDED = "ACCESS_INFO_DISCARDED"
    REQUESTED_CHAN_UNAVAIL = "REQUESTED_CHAN_UNAVAIL"
    PRE_EMPTED = "PRE_EMPTED"
    FACILITY_NOT_SUBSCRIBED = "FACILITY_NOT_SUBSCRIBED"
    OUTGOING_CALL_BARRED = "OUTGOING_CALL_BARRED"
    INCOMING_CALL_BARRED = "INCOMING_CALL_BARRED"
    BEARERCAPABILITY_NOTAUTH = "BEARERCAPABILITY_NOTAUTH"
    BEARERCAPABILITY_NOTAVAIL = "BEARERCAPABILITY_NOTAVAIL"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    BEARERCAPABILITY_NOTIMPL = "BEARERCAPABILITY_NOTIMPL"
    CHAN_NOT_IMPLEMENTED = "CHAN_NOT_IMPLEMENTED"
    FACILITY_NOT_IMPLEMENTED = "FACILITY_NOT_IMPLEMENTED"
    SERVICE_NOT_IMPLEMENTED = "SERVICE_NOT_IMPLEMENTED"
    INVALID_CALL_REFERENCE = "INVALID_CALL_REFERENCE"
    INCOMPATIBLE_DESTINATION = "INCOMPATIBLE_DESTINATION"
    INVALID_MSG_UNSPECIFIED = "INVALID_MSG_UNSPECIFIED"
    MANDATORY_IE_MISSING = "MANDATORY_IE_MISSING"
    MESSAGE_TYPE_NONEXIST = "MESSAGE_TYPE_NONEXIST"
    WRONG_MESSAGE = "WRONG_MESSAGE"
    IE_NONEXIST = "IE_NONEXIST"
    INVALID_IE_CONTENTS = "INVALID_IE_CONTENTS"
    WRONG_CALL_STATE = "WRONG_CALL_STATE"
    RECOVERY_ON_TIMER_EXPIRE = "RECOVERY_ON_TIMER_EXPIRE"
    MANDATORY_IE_LENGTH_ERROR = "MANDATORY_IE_LENGTH_ERROR"
    PROTOCOL_ERROR = "PROTOCOL_ERROR"
    INTERWORKING = "INTERWORKING"
    SUCCESS = "SUCCESS"
    ORIGINATOR_CANCEL = "ORIGINATOR_CANCEL"
    CRASH = "CRASH"
    SYSTEM_SHUTDOWN = "SYSTEM_SHUTDOWN"
    LOSE_RACE = "LOSE_RACE"
    MANAGER_REQUEST = "MANAGER_REQUEST"
    BLIND_TRANSFER = "BLIND_TRANSFER"
    ATTENDED_TRANSFER = "ATTENDED_TRANSFER"
    ALLOTTED_TIMEOUT = "ALLOTTED_TIMEOUT"
    USER_CHALLENGE = "USER_CHALLENGE"
    MEDIA_TIMEOUT = "MEDIA_TIMEOUT"
    PICKED_OFF = "PICKED_OFF"
    USER_NOT_REGISTERED = "USER_NOT_REGISTERED"
    PROGRESS_TIMEOUT = "PROGRESS_TIMEOUT"
    INVALID_GATEWAY = "INVALID_GATEWAY"
    GATEWAY_DOWN = "GATEWAY_DOWN"
    INVALID_URL = "INVALID_URL"
    INVALID_PROFILE = "INVALID_PROFILE"
    NO_PICKUP = "NO_PICKUP"
    SRTP_READ_ERROR = "SRTP_READ_ERROR"
    BOWOUT = "BOWOUT"
    BUSY_EVERYWHERE = "BUSY_EVERYWHERE"
    DECLINE = "DECLINE"
    DOES_NOT_EXIST_ANYWHERE = "DOES_NOT_EXIST_ANYWHERE"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    UNWANTED = "UNWANTED"
    NO_IDENTITY = "NO_IDENTITY"
    BAD_IDENTITY_INFO = "BAD_IDENTITY_INFO"
    UNSUPPORTED_CERTIFICATE = "UNSUPPORTED_CERTIFICATE"
    INVALID_IDENTITY = "INVALID_IDENTITY"
    STALE_DATE = "STALE_DATE"
    REJECT_ALL = "REJECT_ALL"

    @property
    def code(self) -> int:
        """FreeSWITCH's number for the cause (switch_types.h): the Q.850 value up
        to 127, its own above (SYSTEM_SHUTDOWN 501, ALLOTTED_TIMEOUT 602)."""
        return _CAUSE_CODES[self]

    @property
    def q850(self) -> int:
        """`hangup_cause_q850`: the code up to 127, else 16 (NORMAL_CLEARING), as
        switch_channel_cause_q850 maps it (captures: SYSTEM_SHUTDOWN and
        ALLOTTED_TIMEOUT both report 16)."""
        code = self.code
        return code if code <= 127 else 16

    @classmethod
    def parse(cls, text: str) -> HangupCause | None:
        """The cause a header or `-ERR CAUSE` names, or None if FreeSWITCH
        sent a name this table does not hold."""
        try:
            return cls(text.strip())
        except ValueError:
            return None


_CAUSE_CODES: dict[HangupCause, int] = {
    HangupCause.NONE: 0, HangupCause.UNALLOCATED_NUMBER: 1,
    HangupCause.NO_ROUTE_TRANSIT_NET: 2, HangupCause.NO_ROUTE_DESTINATION: 3,
    HangupCause.CHANNEL_UNACCEPTABLE: 6, HangupCause.CALL_AWARDED_DELIVERED: 7,
    HangupCause.NORMAL_CLEARING: 16, HangupCause.USER_BUSY: 17,
    HangupCause.NO_USER_RESPONSE: 18, HangupCause.NO_ANSWER: 19,
    HangupCause.SUBSCRIBER_ABSENT: 20, HangupCause.CALL_REJECTED: 21,
    HangupCause.NUMBER_CHANGED: 22, HangupCause.REDIRECTION_TO_NEW_DESTINATION: 23,
    HangupCause.EXCHANGE_ROUTING_ERROR: 25, HangupCause.DESTINATION_OUT_OF_ORDER: 27,
    HangupCause.INVALID_NUMBER_FORMAT: 28, HangupCause.FACILITY_REJECTED: 29,
    HangupCause.RESPONSE_TO_STATUS_ENQUIRY: 30, HangupCause.NORMAL_UNSPECIFIED: 31,
    HangupCause.NORMAL_CIRCUIT_CONGESTION: 34, HangupCause.NETWORK_OUT_OF_ORDER: 38,
    HangupCause.NORMAL_TEMPORARY_FAILURE: 41, HangupCause.SWITCH_CONGESTION: 42,
    HangupCause.ACCESS_INFO_DISCARDED: 43, HangupCause.REQUESTED_CHAN_UNAVAIL: 44,
    HangupCause.PRE_EMPTED: 45, HangupCause.FACILITY_NOT_SUBSCRIBED: 50,
    HangupCause.OUTGOING_CALL_BARRED: 52, HangupCause.INCOMING_CALL_BARRED: 54,
    HangupCause.BEARERCAPABILITY_NOTAUTH: 57, HangupCause.BEARERCAPABILITY_NOTAVAIL: 58,
    HangupCause.SERVICE_UNAVAILABLE: 63, HangupCause.BEARERCAPABILITY_NOTIMPL: 65,
    HangupCause.CHAN_NOT_IMPLEMENTED: 66, HangupCause.FACILITY_NOT_IMPLEMENTED: 69,
    HangupCause.SERVICE_NOT_IMPLEMENTED: 79, HangupCause.INVALID_CALL_REFERENCE: 81,
    HangupCause.INCOMPATIBLE_DESTINATION: 88, HangupCause.INVALID_MSG_UNSPECIFIED: 95,
    HangupCause.MANDATORY_IE_MISSING: 96, HangupCause.MESSAGE_TYPE_NONEXIST: 97,
    HangupCause.WRONG_MESSAGE: 98, HangupCause.IE_NONEXIST: 99,
    HangupCause.INVALID_IE_CONTENTS: 100, HangupCause.WRONG_CALL_STATE: 101,
    HangupCause.RECOVERY_ON_TIMER_EXPIRE: 102, HangupCause.MANDATORY_IE_LENGTH_ERROR: 103,
    HangupCause.PROTOCOL_ERROR: 111, HangupCause.INTERWORKING: 127,
    HangupCause.SUCCESS: 142, HangupCause.ORIGINATOR_CANCEL: 487,
    HangupCause.CRASH: 500, HangupCause.SYSTEM_SHUTDOWN: 501,
    HangupCause.LOSE_RACE: 502, HangupCause.MANAGER_REQUEST: 503,
    HangupCause.BLIND_TRANSFER: 600, HangupCause.ATTENDED_TRANSFER: 601,
    HangupCause.ALLOTTED_TIMEOUT: 602, HangupCause.USER_CHALLENGE: 603,
    HangupCause.MEDIA_TIMEOUT: 604, HangupCause.PICKED_OFF: 605,
    HangupCause.USER_NOT_REGISTERED: 606, HangupCause.PROGRESS_TIMEOUT: 607,
    HangupCause.INVALID_GATEWAY: 608, HangupCause.GATEWAY_DOWN: 609,
    HangupCause.INVALID_URL: 610, HangupCause.INVALID_PROFILE: 611,
    HangupCause.NO_PICKUP: 612, HangupCause.SRTP_READ_ERROR: 613,
    HangupCause.BOWOUT: 614, HangupCause.BUSY_EVERYWHERE: 615, HangupCause.DECLINE: 616,
    HangupCause.DOES_NOT_EXIST_ANYWHERE: 617, HangupCause.NOT_ACCEPTABLE: 618,
    HangupCause.UNWANTED: 619, HangupCause.NO_IDENTITY: 620,
    HangupCause.BAD_IDENTITY_INFO: 621, HangupCause.UNSUPPORTED_CERTIFICATE: 622,
    HangupCause.INVALID_IDENTITY: 623, HangupCause.STALE_DATE: 624,
    HangupCause.REJECT_ALL: 625,
}


class ChannelState(IntEnum):
    """`Channel-State` (switch_channel_state_t), numbered as switch_types.h."""

    CS_NEW = 0
    CS_INIT = 1
    CS_ROUTING = 2
    CS_SOFT_EXECUTE = 3
    CS_EXECUTE = 4
    CS_EXCHANGE_MEDIA = 5
    CS_PARK = 6
    CS_CONSUME_MEDIA = 7
    CS_HIBERNATE = 8
    CS_RESET = 9
    CS_HANGUP = 10
    CS_REPORTING = 11
    CS_DESTROY = 12
    CS_NONE = 13

    @classmethod
    def from_freeswitch(cls, text: str) -> ChannelState | None:
        """The state a `Channel-State` header names (`CS_EXECUTE`), else None."""
        return cls.__members__.get(text.strip())


class CallState(StrEnum):
    """`Channel-Call-State` (switch_channel_callstate_t)."""

    DOWN = "DOWN"
    DIALING = "DIALING"
    RINGING = "RINGING"
    EARLY = "EARLY"
    ACTIVE = "ACTIVE"
    HELD = "HELD"
    RING_WAIT = "RING_WAIT"
    HANGUP = "HANGUP"
    UNHELD = "UNHELD"


class AnswerState(StrEnum):
    """`Answer-State` of a channel event."""

    RINGING = "ringing"
    EARLY = "early"
    ANSWERED = "answered"
    HANGUP = "hangup"


class EventName(StrEnum):
    """`Event-Name` values (switch_event.c's EVENT_NAMES); `event plain NAMES`
    takes them too, and `ALL`."""

    CUSTOM = "CUSTOM"
    CLONE = "CLONE"
    CHANNEL_CREATE = "CHANNEL_CREATE"
    CHANNEL_DESTROY = "CHANNEL_DESTROY"
    CHANNEL_STATE = "CHANNEL_STATE"
    CHANNEL_CALLSTATE = "CHANNEL_CALLSTATE"
    CHANNEL_ANSWER = "CHANNEL_ANSWER"
    CHANNEL_HANGUP = "CHANNEL_HANGUP"
    CHANNEL_HANGUP_COMPLETE = "CHANNEL_HANGUP_COMPLETE"
    CHANNEL_EXECUTE = "CHANNEL_EXECUTE"
    CHANNEL_EXECUTE_COMPLETE = "CHANNEL_EXECUTE_COMPLETE"
    CHANNEL_HOLD = "CHANNEL_HOLD"
    CHANNEL_UNHOLD = "CHANNEL_UNHOLD"
    CHANNEL_BRIDGE = "CHANNEL_BRIDGE"
    CHANNEL_UNBRIDGE = "CHANNEL_UNBRIDGE"
    CHANNEL_PROGRESS = "CHANNEL_PROGRESS"
    CHANNEL_PROGRESS_MEDIA = "CHANNEL_PROGRESS_MEDIA"
    CHANNEL_OUTGOING = "CHANNEL_OUTGOING"
    CHANNEL_PARK = "CHANNEL_PARK"
    CHANNEL_UNPARK = "CHANNEL_UNPARK"
    CHANNEL_APPLICATION = "CHANNEL_APPLICATION"
    CHANNEL_ORIGINATE = "CHANNEL_ORIGINATE"
    CHANNEL_UUID = "CHANNEL_UUID"
    CHANNEL_DATA = "CHANNEL_DATA"
    API = "API"
    LOG = "LOG"
    INBOUND_CHAN = "INBOUND_CHAN"
    OUTBOUND_CHAN = "OUTBOUND_CHAN"
    STARTUP = "STARTUP"
    SHUTDOWN = "SHUTDOWN"
    PUBLISH = "PUBLISH"
    UNPUBLISH = "UNPUBLISH"
    TALK = "TALK"
    NOTALK = "NOTALK"
    SESSION_CRASH = "SESSION_CRASH"
    MODULE_LOAD = "MODULE_LOAD"
    MODULE_UNLOAD = "MODULE_UNLOAD"
    DTMF = "DTMF"
    MESSAGE = "MESSAGE"
    PRESENCE_IN = "PRESENCE_IN"
    NOTIFY_IN = "NOTIFY_IN"
    PRESENCE_OUT = "PRESENCE_OUT"
    PRESENCE_PROBE = "PRESENCE_PROBE"
    MESSAGE_WAITING = "MESSAGE_WAITING"
    MESSAGE_QUERY = "MESSAGE_QUERY"
    ROSTER = "ROSTER"
    CODEC = "CODEC"
    BACKGROUND_JOB = "BACKGROUND_JOB"
    DETECTED_SPEECH = "DETECTED_SPEECH"
    DETECTED_TONE = "DETECTED_TONE"
    PRIVATE_COMMAND = "PRIVATE_COMMAND"
    HEARTBEAT = "HEARTBEAT"
    TRAP = "TRAP"
    ADD_SCHEDULE = "ADD_SCHEDULE"
    DEL_SCHEDULE = "DEL_SCHEDULE"
    EXE_SCHEDULE = "EXE_SCHEDULE"
    RE_SCHEDULE = "RE_SCHEDULE"
    RELOADXML = "RELOADXML"
    NOTIFY = "NOTIFY"
    PHONE_FEATURE = "PHONE_FEATURE"
    PHONE_FEATURE_SUBSCRIBE = "PHONE_FEATURE_SUBSCRIBE"
    SEND_MESSAGE = "SEND_MESSAGE"
    RECV_MESSAGE = "RECV_MESSAGE"
    REQUEST_PARAMS = "REQUEST_PARAMS"
    GENERAL = "GENERAL"
    COMMAND = "COMMAND"
    SESSION_HEARTBEAT = "SESSION_HEARTBEAT"
    CLIENT_DISCONNECTED = "CLIENT_DISCONNECTED"
    SERVER_DISCONNECTED = "SERVER_DISCONNECTED"
    SEND_INFO = "SEND_INFO"
    RECV_INFO = "RECV_INFO"
    RECV_RTCP_MESSAGE = "RECV_RTCP_MESSAGE"
    CALL_SECURE = "CALL_SECURE"
    NAT = "NAT"
    RECORD_START = "RECORD_START"
    RECORD_STOP = "RECORD_STOP"
    PLAYBACK_START = "PLAYBACK_START"
    PLAYBACK_STOP = "PLAYBACK_STOP"
    CALL_UPDATE = "CALL_UPDATE"
    FAILURE = "FAILURE"
    SOCKET_DATA = "SOCKET_DATA"
    MEDIA_BUG_START = "MEDIA_BUG_START"
    MEDIA_BUG_STOP = "MEDIA_BUG_STOP"
    CONFERENCE_DATA_QUERY = "CONFERENCE_DATA_QUERY"
    CONFERENCE_DATA = "CONFERENCE_DATA"
    CALL_SETUP_REQ = "CALL_SETUP_REQ"
    CALL_SETUP_RESULT = "CALL_SETUP_RESULT"
    CALL_DETAIL = "CALL_DETAIL"
    DEVICE_STATE = "DEVICE_STATE"
    ALL = "ALL"


MYEVENTS: frozenset[EventName] = frozenset({
    EventName.CHANNEL_ANSWER, EventName.CHANNEL_APPLICATION, EventName.CHANNEL_BRIDGE,
    EventName.CHANNEL_CREATE, EventName.CHANNEL_DATA, EventName.CHANNEL_DESTROY,
    EventName.CHANNEL_EXECUTE, EventName.CHANNEL_EXECUTE_COMPLETE, EventName.CHANNEL_HANGUP,
    EventName.CHANNEL_HANGUP_COMPLETE, EventName.CHANNEL_ORIGINATE, EventName.CHANNEL_UUID,
    EventName.CHANNEL_OUTGOING, EventName.CHANNEL_PARK, EventName.CHANNEL_PROGRESS,
    EventName.CHANNEL_PROGRESS_MEDIA, EventName.CHANNEL_STATE, EventName.CHANNEL_UNBRIDGE,
    EventName.CHANNEL_UNPARK, EventName.DETECTED_SPEECH, EventName.DTMF, EventName.NOTALK,
    EventName.TALK,
})
"""What `myevents` subscribes an outbound session to (filtered to its call);
RECORD_*, PLAYBACK_* and CUSTOM are not among them (capture outbound-recording)."""


class Subclass(StrEnum):
    """`Event-Subclass` of the CUSTOM events switchflow listens to."""

    CALLCENTER_INFO = "callcenter::info"
    CONFERENCE_MAINTENANCE = "conference::maintenance"
    TXFAX_RESULT = "spandsp::txfaxresult"
    RXFAX_RESULT = "spandsp::rxfaxresult"
    TXFAX_PAGE_RESULT = "spandsp::txfaxpageresult"
    TXFAX_NEGOTIATE_RESULT = "spandsp::txfaxnegociateresult"   # sic, as FreeSWITCH spells it
    AVMD_BEEP = "avmd::beep"     # mod_avmd heard a voicemail beep on the call (Unique-ID)


class ContentType(StrEnum):
    """`Content-Type` of every message FreeSWITCH sends on the event socket."""

    AUTH_REQUEST = "auth/request"
    COMMAND_REPLY = "command/reply"
    API_RESPONSE = "api/response"
    EVENT_PLAIN = "text/event-plain"
    EVENT_JSON = "text/event-json"
    EVENT_XML = "text/event-xml"
    LOG_DATA = "log/data"
    DISCONNECT_NOTICE = "text/disconnect-notice"
    RUDE_REJECTION = "text/rude-rejection"


class ReadResult(StrEnum):
    """`read_result` after play_and_get_digits / read (switch_ivr_play_say.c)."""

    SUCCESS = "success"
    TIMEOUT = "timeout"
    FAILURE = "failure"


class PlaybackResponse(StrEnum):
    """playback's `Application-Response` (capture outbound-call)."""

    PLAYED = "FILE PLAYED"
    NOT_FOUND = "FILE NOT FOUND"
    ERROR = "PLAYBACK ERROR"


NO_RESPONSE = "_none_"
"""`Application-Response` of an application that reported nothing."""

UNDEFINED = "_undef_"
"""What `uuid_getvar` answers for an unset variable (capture inbound-call-control)."""


class OriginateOutcome(StrEnum):
    """How an `originate` ended, as the job body or the api answer says:
    `+OK <uuid>` is ANSWERED; `-ERR CAUSE` one of the failures the captures show
    (inbound-originate-outcomes); any other cause is OTHER_FAILURE with the
    cause kept beside it by whoever parses the line."""

    ANSWERED = "ANSWERED"
    USER_BUSY = "USER_BUSY"
    NO_ANSWER = "NO_ANSWER"
    CALL_REJECTED = "CALL_REJECTED"
    NO_ROUTE_DESTINATION = "NO_ROUTE_DESTINATION"
    UNALLOCATED_NUMBER = "UNALLOCATED_NUMBER"
    NORMAL_CLEARING = "NORMAL_CLEARING"
    OTHER_FAILURE = "OTHER_FAILURE"
    USAGE = "USAGE"
