"""The wheel that `pip install .` builds holds every file of the package that git tracks: the
templates, catalogues, samples, data files and migrations the code reads at run time. (An
editable install reads them from the checkout, so only the wheel shows what is missing.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("facility", "gateway")


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--", *PACKAGES, "pyproject.toml", "README.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.split()


@pytest.fixture(scope="session")
def wheel_contents(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Build the wheel once, from a copy of the tracked files only (an untracked file in the
    checkout must not hide one that a clone would lack)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout")
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for name in tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check", "-w", str(out), "."],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = out.glob("facility-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_every_tracked_file_of_the_package(wheel_contents: set[str]) -> None:
    package_files = [name for name in tracked_files() if name.startswith(tuple(f"{p}/" for p in PACKAGES))]
    assert "facility/maintenance/data/templates.yaml" in package_files
    missing = [name for name in package_files if name not in wheel_contents]
    assert missing == []


def test_the_wheel_holds_no_bytecode_or_build_leftovers(wheel_contents: set[str]) -> None:
    stray = [name for name in wheel_contents if "__pycache__" in name or name.endswith(".pyc")]
    assert stray == []
