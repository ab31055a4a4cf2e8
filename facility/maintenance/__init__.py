"""maintenance domain (see docs/maintenance.md)."""
