"""maintenance domain (see README)."""
