"""Voice dispatch (语音派单): who on the crew is called for a dispatched ticket, and when.

`roster` reads the crew and their on-duty hours (conf/crew.toml); `policy`
decides, from the calls made so far, whom to call next, when, or that
nobody will accept (pure, on any clock); `worker` runs the decisions against
the store and places the calls through a `Placer` (fsmod/dispatch.py puts
them on FreeSWITCH's originate; tests use a fake on a virtual clock).
"""

from engine.dispatch.policy import Attempt, Call, DispatchPolicy, GiveUp, Wait, next_action
from engine.dispatch.roster import CrewMember, Roster, RosterError, load_roster, parse_roster

__all__ = ["Attempt", "Call", "CrewMember", "DispatchPolicy", "GiveUp", "Roster",
           "RosterError", "Wait", "load_roster", "next_action", "parse_roster"]
