"""The supervisor's wallboard (/supervisor): agents, queues, IVR, today's figures,
help requests, tickets near their time limit, and listening in on calls."""
