"""The domain packages, in dependency order, and the optional modules each may provide.

The app factory, the CLI and Alembic find routers, pages, tables and jobs here, so adding a
domain's module needs no edit elsewhere.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

DOMAINS = ("rooms", "booking", "sensors", "maintenance")


def domain_modules(name: str) -> list[ModuleType]:
    """Import `facility.<domain>.<name>` for every domain that has it, in dependency order."""
    found = []
    for domain in DOMAINS:
        module_name = f"facility.{domain}.{name}"
        if importlib.util.find_spec(f"facility.{domain}") and importlib.util.find_spec(module_name):
            found.append(importlib.import_module(module_name))
    return found


def import_all_models() -> None:
    """Register every table on SQLModel.metadata (for Alembic and for test clean-up)."""
    importlib.import_module("facility.core.models")
    domain_modules("models")
