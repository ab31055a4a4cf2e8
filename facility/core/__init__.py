"""Shared plumbing: settings, database, auth, audit, errors, the web shell. Knows no domain."""
