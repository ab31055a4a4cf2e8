"""sensors domain (see README)."""
