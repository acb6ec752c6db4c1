"""Frozen copies of tables as an applied migration created them.

A migration that created a table from a model must keep creating the same
table when the model later changes; the old definition lives here, and the
later migration alters it (store/schema.py).
"""
