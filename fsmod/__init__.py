"""Everything FreeSWITCH-specific (docs/fsmod.md).

`fsmod.esl`: the event-socket wire (frames, parser, messages, events);
`fsmod.vocab`: FreeSWITCH's words as types; `fsmod.commands`: builders of
every command, each value checked; `fsmod.originate`: typed originate
results; `fsmod.fake`: a fake FreeSWITCH 1.10.12 for tests and the demo.
"""
