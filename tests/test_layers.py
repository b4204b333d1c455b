"""The layer rule of DESIGN.md, checked by import-linter as `make lint` does, so that CI fails on
an upward import (say, ``show/`` importing ``store/``, or ``live/`` importing the window)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> str:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("lint-imports is not installed (pip install -e '.[test]')")
    return found


def test_no_layer_imports_upwards() -> None:
    result = subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """The contract is live: a copy of the package where ``show`` imports ``store`` fails."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "src", copy)
    model = copy / "anchordesk" / "show" / "model.py"
    model.write_text(model.read_text() + "\nimport anchordesk.store  # noqa\n")
    result = subprocess.run(
        [_lint_imports(), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "anchordesk.show.model -> anchordesk.store" in result.stdout
