"""Tickets' time limits (SLA): deterministic deadlines from a ticket's history.

Pure: no database, no clock of its own. The store feeds a ticket's facts
(type, severity, customer class, its ordered events) and the instant to
judge at; the answer is the same every time for the same inputs.

- model.py: the typed contract (TicketEvent, TicketFacts, ClockState, Alarm, SlaResult)
- policy.py: the policy file (conf/sla.toml): load_policies, PolicySet.choose
- businesstime.py: business-time arithmetic over a calendar's day frames
- clocks.py: evaluate(facts, policies, now) -> SlaResult
- explain.py: the supervisor's wording (local times with their zone)
- quiet.py: notify_at, quiet hours for notifications
"""
