"""Evaluating flow expressions: our own evaluator, never Python's eval."""
