"""Plant protocols: Modbus TCP and BACnet/IP pollers whose readings go through the spool."""
