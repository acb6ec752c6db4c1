"""What can go wrong with a ticket change, worded for the person making it."""

from __future__ import annotations


class TicketError(Exception):
    """A change or look-up that cannot be done; the message says why and what to do.

    `usage` marks a name that does not exist or bad input (the CLI's exit 2);
    the rest are refusals of a well-formed request (exit 1).
    """

    usage = False


class UnknownTicket(TicketError):
    usage = True

    def __init__(self, number: str) -> None:
        super().__init__(f"no ticket {number}: `switchflow ticket list` shows the open ones")


class BadTicketInput(TicketError):
    usage = True


class IllegalTransition(TicketError):
    """The ticket's status (or pause) does not allow the change."""


class StaleVersion(TicketError):
    """The change was based on a version of the ticket that is no longer current."""


class NotVisible(TicketError):
    """The role may not see this (confidential) ticket."""
