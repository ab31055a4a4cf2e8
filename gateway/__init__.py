"""MQTT gateway: broker connection, durable spool, writer."""
