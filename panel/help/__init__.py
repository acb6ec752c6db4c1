"""Help requests: an agent asks (POST /help), supervisors see it at once on the
wallboard (bus topic `help`) and mark it handled."""
