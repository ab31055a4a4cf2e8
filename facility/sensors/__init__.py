"""sensors domain (see docs/sensors.md)."""
