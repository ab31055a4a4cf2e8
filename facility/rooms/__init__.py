"""The campus catalogue: campuses, buildings, floors, rooms, equipment and opening hours."""
