"""Hostile show files and CSVs for the fault tests: a small valid show to spoil, and
`anchordesk show check` run as a user runs it, in a child with a deadline so that a hang fails
its test instead of the suite."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

CHECK_DEADLINE_S = 30  # a check of these small files takes well under a second


def valid_show() -> dict[str, Any]:
    return {
        "format": 1,
        "title": "Hostile night",
        "currency": "USD",
        "language": "en",
        "products": [
            {"sku": "MUG", "title": "Travel mug", "price": 24.0, "stock": 200},
            {"sku": "KETTLE", "title": "Gooseneck kettle", "price": 59.0, "stock": 50},
        ],
        "rundown": [
            {"title": "Opening", "seconds": 60},
            {
                "title": "The mug",
                "sku": "MUG",
                "seconds": 180,
                "script": "Line one.\nLine two.",
                "deal": {"price": 19.0, "seconds": 120, "stock": 30},
            },
        ],
    }


def write_show(folder: Path, data: dict[str, Any] | str, name: str = "show.json") -> Path:
    path = folder / name
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def with_raw_number(data: dict[str, Any], marker: str, literal: str) -> str:
    """The show's JSON with the string `marker` replaced by a bare number literal."""
    text = json.dumps(data, ensure_ascii=False)
    assert f'"{marker}"' in text
    return text.replace(f'"{marker}"', literal)


def anchordesk(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command in a child process, killed at the deadline (then the test fails)."""
    return subprocess.run(
        [sys.executable, "-m", "anchordesk", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=CHECK_DEADLINE_S,
        cwd=cwd,
    )


def assert_clean_output(result: subprocess.CompletedProcess[str]) -> None:
    """No traceback, and nothing a terminal would obey (ESC, NUL, BEL...)."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-2000:]
    for control in ("\x1b", "\x00", "\x07", "\x9b"):
        assert control not in output
