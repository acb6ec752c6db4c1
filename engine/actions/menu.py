"""A menu node: prompt, read a key, branch; nomatch/noinput between tries."""

from __future__ import annotations

from engine.channel.contract import DigitRequest
from engine.control import EndCall

from .base import Op


def run_menu(call, node: Op) -> None:
    """FreeSWITCH: `play_and_get_digits` with one try per command, so the
    engine can play the nomatch/noinput branch before the next try."""
    prompt = call.prompt(node["prompt"])
    invalid = call.prompt(node["invalid"]) if node.get("invalid") else None
    keys = node["keys"]
    digits = node["digits"]
    failures = 0
    while True:
        call.tick()
        request = DigitRequest(prompt=prompt, min_digits=1, max_digits=digits,
                               timeout_ms=node["timeout"], interdigit_ms=node["interdigit"],
                               terminators="#" if digits > 1 else "")
        key = call.channel.collect(request)
        if key in keys:
            call.record.keys.append((call.node, key))
            call.observe("key", (call.node, key))
            call.run_ops(keys[key])
            continue  # a branch that falls through hears the menu again
        failures += 1
        event = "nomatch" if key else "noinput"
        call.observe("menu", event)
        if failures >= node["tries"]:
            call.run_ops(node["exhausted"] or [])
            call.channel.hangup()
            raise EndCall("no_input", f"menu `{call.node}`: every try used up")
        if key and invalid is not None:
            call.channel.play(invalid)
        call.run_ops(node[event] or [])
