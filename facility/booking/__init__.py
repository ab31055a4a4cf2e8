"""booking domain (see README)."""
