"""What the engine hands to the outside world, one module per concern.

- tickets: `TicketDesk` opens work orders and mints their numbers.
- records: `CommittingSink` retries call-record writes and keeps failures in an `Outbox`.
- documents: `DocumentRenderer` turns a fax document into a file `txfax` can send.
- faxjobs: `FaxJobs` takes faxes to other numbers (`fax DOC: to NUMBER`).
- backoffice: `BackOffice` takes writes other than tickets (`submit NAME(…)`).

Each has an in-memory (or simulator) implementation used by flow tests and
the demo; the store and the campaign/fax issues implement the real ones.
"""
