"""A fake FreeSWITCH 1.10.12 that speaks the event socket both ways, for tests
and for the demo without a switch.

`FakeFreeSWITCH` (switch.py) is the server and the switch's world; a
`CallScript` (script.py) says what a caller does; `FakeCall` (call.py) and
the applications (media.py) keep FreeSWITCH's rules for keys, prompts and
hangups; sessions.py holds the two kinds of socket; wire.py and events.py
write frames exactly as the captures in ../shared/esl-captures show them;
control.py (mod_callcenter, uuid_* commands), agents.py (the legs that reach
an agent), legs.py (loopback pairs that fail) and conference.py
(mod_conference) hold the rest of the switch's world.
"""

from fsmod.fake.call import FakeCall
from fsmod.fake.script import CallScript, Outcome, Press
from fsmod.fake.switch import FakeFreeSWITCH, Fired

__all__ = ["CallScript", "FakeCall", "FakeFreeSWITCH", "Fired", "Outcome", "Press"]
