"""`switchflow serve`: the one process that takes calls, watches tickets, reports on itself.

`service.py` (the process, its shutdown), `logs.py` (structured logs with
the call's fields), `metrics.py` (Prometheus), `http.py` (/metrics and
/status), `status.py` (what `switchflow status` shows).
"""
