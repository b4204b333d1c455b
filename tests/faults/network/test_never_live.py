"""A run whose destination never went live is a show nobody saw there: `anchordesk live` says so
in its last lines, with the reason, and its exit code tells a script that something was lost
(3), while the recording, which is then what is left of the show, is named and whole (real
parts: `anchordesk live` in a subprocess, a port nothing listens on, nginx-rtmp, ffprobe)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from servers import NginxRtmp, free_port

from ..live_runs import SMALL, child_env, format_duration_s, run_live

pytestmark = pytest.mark.integration

KEY = "sk_live_51NeverLiveKEY0b5e"


def test_a_destination_that_never_went_live_ends_the_run_with_exit_code_3(
    tmp_path: Path,
) -> None:
    record = tmp_path / "show.mkv"
    port = free_port()  # nothing listens on it
    run = run_live(
        *SMALL, "--record", str(record), "--to", f"rtmp://127.0.0.1:{port}/live/{KEY}",
        "--seconds", "3", env=child_env(tmp_path), timeout_s=60,
    )  # fmt: skip
    # Before: exit 0, and the last line read "Recording kept in …" as if the show had gone out.
    assert run.process.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-2:]
    assert last == [
        f"error: the stream to rtmp://127.0.0.1:{port}/live/**** never went live: nothing is "
        f"listening at 127.0.0.1:{port} (connection refused: check the port, or the server is "
        "down)",
        "error: the show went on, but a stream never went live (exit code 3)",
    ]
    # The recording is what is left of the show: named, and whole.
    assert f"Recording kept in {record}" in run.stdout
    assert format_duration_s(record) == pytest.approx(3.0, abs=0.3)
    assert KEY not in run.stdout + run.stderr


def test_a_run_that_went_live_says_how_long_the_stream_was_out(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    run = run_live(
        *SMALL, "--no-record", "--to", nginx_rtmp.url(KEY), "--seconds", "4",
        env=child_env(tmp_path), timeout_s=60,
    )  # fmt: skip
    assert run.process.returncode == 0, run.stderr
    [line] = [text for text in run.stdout.splitlines() if text.startswith("Stream to ")]
    found = re.fullmatch(r"Stream to (rtmp://\S+): live (\d+):(\d\d)", line)
    assert found is not None, line
    assert found[1] == nginx_rtmp.url("****")
    # Live from its connection (well under a second on loopback) to the end of the 4 s run.
    assert 2 <= int(found[2]) * 60 + int(found[3]) <= 4
    assert KEY not in run.stdout + run.stderr
