"""mod_conference as capture inbound-call-control shows it: the `conference
NAME@PROFILE` application, `conference NAME list|kick ID`, and the CUSTOM
`conference::maintenance` events with their header blocks.

What the default profile does, as recorded (no sound files installed, so
the alone sound and the hold music fail with `Error: File could not be
played`, and only the tones play):
- the first member: conference-create, play-file of the alone sound,
  add-member, floor-change to that member, play-file of the hold music;
- a later member: add-member, and once the enter tone has played
  play-file-done (no play-file event for it);
- a member kicked: kick-member (after the api's `+OK kicked ID`), del-member,
  the leg's extension ends; the exit tone's play-file-done follows;
- a member that hangs up: floor-change to none if it held the floor, the
  alone sound again when one member remains, del-member with the
  channel's Hangup-Cause; when nobody remains, conference-destroy.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gevent

from fsmod.vocab import EventName

if TYPE_CHECKING:
    from fsmod.fake.call import FakeCall
    from fsmod.fake.switch import FakeFreeSWITCH

SOUNDS = "/usr/local/freeswitch/share/freeswitch/sounds/en/us/callie"
ALONE = f"{SOUNDS}/conference/conf-alone.wav"
HOLD_MUSIC = "local_stream://moh"
ENTER_TONE = ("tone_stream://%(200,0,500,600,700)", 0.6, 400)
EXIT_TONE = ("tone_stream://%(500,0,300,200,100,50,25)", 0.5, 1000)
"""(file, seconds until play-file-done as recorded, milliseconds it reports)."""
NOT_PLAYED = "File could not be played"
FRAME = 0.02

_ORIGIN = {
    "conference-create": ("mod_conference.c", "conference_new", 3848),
    "conference-destroy": ("mod_conference.c", "conference_thread_run", 863),
    "play-file": ("conference_file.c", "conference_file_play", 268),
    "play-file-done": ("conference_file.c", "conference_file_close", 52),
    "add-member": ("conference_member.c", "conference_member_add", 962),
    "del-member": ("conference_member.c", "conference_member_del", 1355),
    "floor-change": ("conference_member.c", "conference_member_set_floor_holder", 1158),
    "kick-member": ("conference_api.c", "conference_api_sub_kick", 902),
}


@dataclass
class Member:
    id: int
    call: FakeCall
    kicked: bool = False


class Conference:
    """One conference room and its members (newest last)."""

    def __init__(self, switch: FakeFreeSWITCH, name: str, profile: str) -> None:
        self.switch = switch
        self.name = name
        self.profile = profile
        self.uuid = str(uuidlib.uuid4())
        self.members: list[Member] = []
        self.floor: Member | None = None

    def block(self) -> list[tuple[str, str]]:
        return [("Conference-Name", self.name),
                ("Conference-Domain", self.switch.identity.ipv4),
                ("Conference-Size", str(len(self.members))), ("Conference-Ghosts", "0"),
                ("Conference-Profile-Name", self.profile), ("Conference-Unique-ID", self.uuid)]

    def member_block(self, member: Member) -> list[tuple[str, str]]:
        floor = "true" if self.floor is member else "false"
        return [("Floor", floor), *member.call.channel_headers(),
                ("Video", "false"), ("Hear", "true"), ("See", "true"), ("Speak", "true"),
                ("Talking", "false"), ("Mute-Detect", "false"), ("Hold", "false"),
                ("Member-ID", str(member.id)), ("Member-Type", "member"),
                ("Member-Ghost", "false"), ("Energy-Level", "100"), ("Current-Energy", "0")]

    def fire(self, action: str, rows: list[tuple[str, str]] = (),
             member: Member | None = None) -> None:
        headers = self.switch.identity.core(EventName.CUSTOM.value, "conference::maintenance",
                                            _ORIGIN[action])
        headers += self.block()
        if member is not None:
            headers += self.member_block(member)
        headers += [*rows, ("Action", action)] if action != "floor-change" else rows
        self.switch.fire(EventName.CUSTOM.value, headers, "",
                         member.call.uuid if member is not None else "")

    def play(self, file: str, asynchronous: bool) -> None:
        self.fire("play-file", [("File", file), ("Async", str(asynchronous).lower()),
                                ("Error", NOT_PLAYED)])

    def played(self, tone: tuple[str, float, int]) -> None:
        file, seconds, ms = tone

        def done() -> None:
            if self.members:
                self.fire("play-file-done", [("seconds", str(ms // 1000)),
                                             ("milliseconds", str(ms)),
                                             ("samples", str(ms * 8)), ("File", file)])
                if tone is EXIT_TONE and len(self.members) == 1:
                    gevent.sleep(FRAME * self.switch.scale)
                    self.play(HOLD_MUSIC, True)

        gevent.spawn_later(seconds * self.switch.scale, done)

    def set_floor(self, member: Member | None) -> None:
        self.floor = member
        if member is None:
            self.fire("floor-change", [("Action", "floor-change"), ("Old-ID", "none"),
                                       ("New-ID", "none")])
        else:
            headers = [("Action", "floor-change"), ("Old-ID", "none"),
                       *self.member_block(member), ("New-ID", str(member.id))]
            self.fire("floor-change", headers)

    def join(self, call: FakeCall) -> Member:
        member = Member(self.switch.next_member_id(), call)
        self.members.append(member)
        if len(self.members) == 1:
            self.play(ALONE, False)
            self.fire("add-member", member=member)
            call.sleep(FRAME)
            self.set_floor(member)
            self.play(HOLD_MUSIC, True)
        else:
            self.fire("add-member", member=member)
            self.played(ENTER_TONE)
        return member

    def leave(self, member: Member) -> None:
        if member not in self.members:
            return
        if member.kicked:
            member.call.sleep(FRAME)
        self.members.remove(member)
        if self.floor is member:
            self.set_floor(None)
        if len(self.members) == 1 and not member.kicked:
            self.play(ALONE, False)
        self.fire("del-member", member=member)
        if self.members:
            self.played(EXIT_TONE)
        else:
            self.switch.conferences.pop(self.name, None)
            gevent.spawn_later(2 * FRAME * self.switch.scale, self.fire, "conference-destroy")


def conference_app(call: FakeCall, arg: str) -> str:
    """`conference NAME@PROFILE`: join (the room is made for the first one),
    stay until the call ends or the member is kicked."""
    from fsmod.fake.media import run_app, until_started

    name, _, profile = arg.partition("@")
    switch = call.switch
    # a loopback leg's media flows once its other half runs an application (an
    # originated a-leg: after the job), and only then is the member added
    peer = call.peer
    if peer is not None:
        until_started(peer, lambda: peer.running is not None)
    call.pause(FRAME)
    if call.gone:
        return "_none_"
    room = switch.conferences.get(name)
    if room is None:
        room = switch.conferences[name] = Conference(switch, name, profile or "default")
        room.fire("conference-create")
    member = room.join(call)
    while not member.kicked and call.wait(None, keys=False) == "inject" and not call.moving:
        if call.injected:
            run_app(call, call.injected.popleft())  # a broadcast plays to the member
    room.leave(member)
    return "_none_"


class Conferences:
    """`api_conference` (a mixin of FakeFreeSWITCH): `list` and `kick`."""

    @property
    def conferences(self) -> dict[str, Conference]:
        found = self.__dict__.get("_conferences")
        if found is None:
            found = self.__dict__["_conferences"] = {}
        return found

    last_member_id = 0
    """mod_conference numbers members switch-wide, from 1 at start-up (a test
    replaying a capture sets where the recorded switch was)."""

    def next_member_id(self) -> int:
        self.last_member_id += 1
        return self.last_member_id

    def api_conference(self, args: str) -> str:
        words = args.split()
        room = self.conferences.get(words[0]) if words else None
        if room is None:
            # UNVERIFIED: not in the captures; mod_conference's wording for a missing room
            return f"Conference {words[0] if words else ''} not found\n"
        if words[1:] == ["list"]:
            return "".join(
                f"{m.id};{m.call.name};{m.call.uuid};{m.call.script.caller_name};"
                f"{m.call.script.caller};hear|speak{'|floor' if room.floor is m else ''};"
                "0;0;100\n" for m in reversed(room.members))
        if len(words) == 3 and words[1] == "kick":
            for member in room.members:
                if str(member.id) == words[2] and not member.kicked:
                    room.fire("kick-member", member=member)
                    member.kicked = True
                    member.call.interrupt()
                    return f"+OK kicked {member.id}\n"
            return f"Non-Existent ID {words[2]}\n"      # UNVERIFIED wording
        return "-ERR the fake conference knows only list and kick\n"
