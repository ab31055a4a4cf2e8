"""facility: operations system of a public training campus."""
