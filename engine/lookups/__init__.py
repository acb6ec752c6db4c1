"""The lookup registry: the only Python a flow can reach, with typed, coerced results."""
