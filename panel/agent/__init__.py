"""The agent's call screen (blueprint at /agent)."""
