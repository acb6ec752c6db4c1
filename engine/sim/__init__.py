"""The simulator phone and the flow-test runner built on it."""
