"""Supervision data of the panel: agents' help requests, the recordings a
supervisor finds and scores on the quality form, and their retention.

help: raise, list open, mark handled. form: the quality form's criteria.
reviews: score a recording, scores per agent over time. recordings: find
recordings as a role may see them. retention: which expired recordings to
archive or delete, never one attached to an open complaint.
"""
