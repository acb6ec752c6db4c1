"""Received faxes: what came in on the fax number, for agents to read and act on."""
