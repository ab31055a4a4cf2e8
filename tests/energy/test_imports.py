"""Energy sits above booking and sensors: it imports them, and only the wiring imports it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "facility"
# Where the domains meet (docs/architecture.md, "Wiring").
# The demo's loader sits above every domain too: it loads each one's demo past.
WIRING = {"app.py", "domains.py", "cli.py", "scheduler.py", "demo/load.py"}
ABOVE_ENERGY = ("facility.maintenance", "facility.gateway", "facility.imports", "facility.app", "facility.cli")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_nothing_but_the_wiring_imports_energy_and_energy_imports_nothing_above_it() -> None:
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "energy" not in path.relative_to(PACKAGE).parts[:1]
        and any(name.startswith("facility.energy") for name in imported(path))
    )
    assert set(importers) <= WIRING, importers
    for path in (PACKAGE / "energy").glob("*.py"):
        assert not [n for n in imported(path) if n.startswith(ABOVE_ENERGY)], path.name
