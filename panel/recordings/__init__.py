"""/recordings: find recorded calls, play them, score them on the quality form,
and see each agent's scores over time."""
