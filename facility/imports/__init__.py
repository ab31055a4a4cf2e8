"""Import and export of a campus's own data: buildings, rooms, assets, users, fees, blackouts and
the training timetable, as CSV (UTF-8, UTF-8 with BOM, CP949/EUC-KR) or XLSX. See docs/import.md."""
