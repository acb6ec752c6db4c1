"""A menu node: prompt, read a key, branch; nomatch/noinput between tries."""

from __future__ import annotations

from dataclasses import dataclass

from engine.control import EndCall

from .base import Op
from .keys import menu_keys, read_entry


@dataclass
class Misses:
    """Failed attempts since the menu was entered or a key last took a branch."""

    noinput: int = 0
    nomatch: int = 0

    @property
    def total(self) -> int:
        return self.noinput + self.nomatch

    def count(self, event: str) -> None:
        if event == "noinput":
            self.noinput += 1
        else:
            self.nomatch += 1

    def used_up(self, node: Op) -> bool:
        """`tries` counts both kinds; `max_noinput` / `max_nomatch` each one kind."""
        return (self.total >= node["tries"]
                or self.noinput >= (node.get("max_noinput") or node["tries"])
                or self.nomatch >= (node.get("max_nomatch") or node["tries"]))


def run_menu(call, node: Op) -> None:
    """FreeSWITCH: `play_and_get_digits` with one try per command, so the
    engine can play the nomatch/noinput branch before the next try.

    The first attempt plays `prompt`, later ones `reprompt` when there is
    one (type-ahead answers the first attempt without a prompt, so the full
    prompt comes next). A key whose branch comes back to the menu starts the
    count afresh. The key pressed is the variable `key` in its branch.
    A prompt written as a sentence (`prompt "您输入的读数是{reading|number}…"`)
    is rendered each time it is played, so a branch that changed a value
    and came back is read the new one.
    """
    reprompt = call.prompt(node["reprompt"]) if node.get("reprompt") else None
    invalid = call.prompt(node["invalid"]) if node.get("invalid") else None
    keys = menu_keys(tuple(node["keys"]))
    digits = node["digits"]
    misses = Misses()
    heard = False          # the full prompt since the count began
    while True:
        call.tick()
        heard_now = not call.typeahead
        again = heard and misses.total and reprompt is not None
        entry = read_entry(call, reprompt if again else call.spoken(node["prompt"]), 1, digits,
                           node["timeout"], node["interdigit"], "#" if digits > 1 else "")
        heard = heard or heard_now
        branch = keys.branch(entry.digits)
        if branch is not None:
            call.vars["key"] = entry.digits
            call.record.keys.append((call.node, branch))
            call.observe("key", (call.node, entry.digits))
            call.run_ops(node["keys"][branch])
            misses, heard = Misses(), False
            continue  # a branch that falls through hears the menu again
        event = "nomatch" if entry.digits else "noinput"
        misses.count(event)
        call.observe("menu", event)
        if misses.used_up(node):
            call.run_ops(node["exhausted"] or [])
            call.channel.hangup()
            raise EndCall("no_input", f"menu `{call.node}`: every try used up")
        if entry.digits and invalid is not None:
            call.channel.play(invalid)
        call.run_ops(node[event] or [])
