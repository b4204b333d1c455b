"""A stream key given on stdin reaches the RTMP server and no process's arguments, log or
output: ``anchordesk live --to SERVER --to-key-stdin`` end to end, against nginx-rtmp."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from servers import NginxRtmp, codecs, wait_until

pytestmark = pytest.mark.integration

STREAM_KEY = "stdin_key_5e1f0c_SECRET"


def command_lines_of_tree(pid: int) -> list[str]:
    """The command lines of ``pid`` and its descendants, as ``ps`` shows them to anyone."""
    parents: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = next(line for line in text.splitlines() if line.startswith("PPid:"))
        parents[int(status.parent.name)] = int(ppid.split()[1])
    tree = {pid}
    grew = True
    while grew:
        grown = {child for child, parent in parents.items() if parent in tree} | tree
        grew, tree = grown != tree, grown
    lines = []
    for member in sorted(tree):
        try:
            lines.append(Path(f"/proc/{member}/cmdline").read_bytes().replace(b"\0", b" "))
        except OSError:
            continue
    return [line.decode(errors="replace") for line in lines]


def test_a_key_from_stdin_is_pushed_and_never_in_the_process_arguments(
    nginx_rtmp: NginxRtmp, tmp_path: Path, isolated_user_dirs: Path
) -> None:
    server = nginx_rtmp.url("").rstrip("/")  # rtmp://127.0.0.1:PORT/live, no key
    output = tmp_path / "output.txt"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "anchordesk",
            "live",
            "--to",
            server,
            "--to-key-stdin",
            "--camera",
            "test",
            "--mic",
            "test",
            "--canvas",
            "640x360",
            "--video-kbps",
            "600",
            "--seconds",
            "4",
            "--no-record",
        ],
        stdin=subprocess.PIPE,
        stdout=output.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert process.stdin is not None
    process.stdin.write(STREAM_KEY + "\n")
    process.stdin.close()
    try:
        nginx_rtmp.wait_for_recording(min_bytes=20_000, timeout_s=30)
        # While it pushes, with its network child running: no command line holds the key.
        wait_until(lambda: len(command_lines_of_tree(process.pid)) >= 2, 10, what="children")
        lines = command_lines_of_tree(process.pid)
        assert all(STREAM_KEY not in line for line in lines), lines
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    printed = output.read_text(encoding="utf-8")
    assert process.returncode == 0, printed
    received = nginx_rtmp.recordings()[-1]
    assert STREAM_KEY in received.name  # nginx names the file after the stream: the key arrived
    assert codecs(received) == {"video": "h264", "audio": "aac"}
    assert STREAM_KEY not in printed
    log_files = list((isolated_user_dirs / "state").rglob("anchordesk.log"))
    assert log_files and all(STREAM_KEY not in p.read_text(encoding="utf-8") for p in log_files)
    assert "/live/****" in log_files[0].read_text(encoding="utf-8")
