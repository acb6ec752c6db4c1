"""Tickets in the store: the flows' desk, the lifecycle service, queries and time limits.

`StoreDesk` (desk.py) opens a flow's ticket; `service.TicketService` moves
tickets through their lifecycle; `queries` lists and shows them as a role may
see them; `sla` keeps their time limits; `watcher` fires their alarms.
"""

from store.tickets.desk import StoreDesk, ticket_number

__all__ = ["StoreDesk", "ticket_number"]
