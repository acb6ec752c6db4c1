"""Preview dialling from the call screen: the next large customer to call, then
accept (the call is placed) or skip (due again later).

The preview desks are those this serve process runs (engine.campaigns.preview
DESKS, one per preview campaign); a panel without them offers nothing.
"""

from __future__ import annotations

from engine.campaigns import preview
from panel.agent.actions import Outcome, Refused

STEPS = ("next", "accept", "skip")


def campaigns() -> list[str]:
    """The preview campaigns dialled by this process."""
    return sorted(preview.DESKS)


def _target_id(value: str) -> int:
    if not value.isdigit():
        raise Refused("the preview target is a number")
    return int(value)


def step(name: str, campaign: str, target: str, agent: str) -> Outcome:
    """`next`: the next target offered to `agent`; `accept` / `skip` it."""
    if name not in STEPS:
        raise Refused(f"no preview step {name!r}: one of {', '.join(STEPS)}", 404)
    if campaign not in preview.DESKS:
        raise Refused(f"campaign {campaign!r} is not dialled in preview mode here", 404)
    try:
        if name == "next":
            found = preview.preview_next(campaign, agent)
            if found is None:
                return Outcome(True, "nobody is due to be called now", data={"target": None})
            return Outcome(True, f"next: {found.name}", data={"target": {
                "id": found.id, "name": found.name, "account": found.account,
                "phones": list(found.phones)}})
        if name == "accept":
            preview.preview_accept(campaign, _target_id(target), agent)
            return Outcome(True, "the call is placed as soon as the campaign's caps allow")
        preview.preview_skip(campaign, _target_id(target), agent)
        return Outcome(True, "skipped; the customer is due again later")
    except preview.PreviewError as exc:
        raise Refused(str(exc), 409) from None
