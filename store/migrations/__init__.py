"""Frozen copies of tables as an applied migration created them.

A migration that created a table from a model must keep creating the same
table after the model changes; the later migration then alters it. Each
module here holds only the tables whose models have since changed.
"""
