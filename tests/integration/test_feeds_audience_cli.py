"""`anchordesk audience` alone: a real server others (or `live --feed json=URL`) can poll."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SHOW = Path(__file__).resolve().parents[2] / "resources" / "shows" / "en" / "show.json"


def test_audience_command_serves_the_generic_protocol_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "anchordesk",
            "audience",
            "--show",
            str(SHOW),
            "--port",
            "0",
            "--seed",
            "4",
            "--rate",
            "50",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.rsplit(" at ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/feed")
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.loads(response.read())
        assert set(body) >= {"items", "next", "poll_ms"}
        assert all({"type", "id"} <= set(item) for item in body["items"])
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Served" in out


def test_audience_with_a_broken_show_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1, "title": ')
    result = subprocess.run(
        [sys.executable, "-m", "anchordesk", "audience", "--show", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "bad.json" in result.stderr
