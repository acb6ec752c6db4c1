"""Tickets' time limits (SLA): deterministic deadlines from a ticket's history.

Pure: no database, no clock of its own. The store feeds a ticket's facts
(type, severity, customer class, its ordered events) and the instant to
judge at; the answer is the same every time for the same inputs.
"""
