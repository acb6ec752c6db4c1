"""Dial strings and their channel-variable blocks: `{a=1,b=2}` and `[leg_timeout=10]`.

FreeSWITCH reads `{…}` before an originate's endpoints (variables for every
leg) and `[…]` before one endpoint (that leg only), splits the block on `,`,
honours quotes and `^^` delimiter changes inside it, and expands `${…}` in
the values. Instead of reproducing those rules in an escaper, a value here
may contain none of `, { } [ ] ' " \\ $ ^` nor spaces: campaign and job ids,
numbers and names of the kind switchflow sets all fit, and anything else is
refused by name (CommandValueError), so no value can end the block early,
add a variable or run an API.
"""

from __future__ import annotations

from collections.abc import Mapping

from fsmod.commands import validate


def variable_block(variables: Mapping[str, str], opening: str = "{", closing: str = "}") -> str:
    """`{k=v,k2=v2}` (or with `[` `]`); empty when there are no variables."""
    if not variables:
        return ""
    items = []
    for name, value in variables.items():
        validate.variable_name("channel variable", name)
        validate.plain_token(name, str(value), validate.MAX_VALUE)
        items.append(f"{name}={value}")
    return opening + ",".join(items) + closing


def dial_string(endpoint: str, leg_vars: Mapping[str, str] | None = None) -> str:
    """One endpoint with its own variables: `[leg_timeout=10]loopback/7100`."""
    validate.endpoint("endpoint", endpoint)
    return variable_block(leg_vars or {}, "[", "]") + endpoint
