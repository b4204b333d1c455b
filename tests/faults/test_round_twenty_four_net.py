"""Round twenty-four of issue 10, outputs and the command line (R24hunt24net.md): what the
command line prints of the settings, the checks of where a show writes for every front end, and
the stop signals' handler."""

from __future__ import annotations

import json

import pytest

from anchordesk.cli.main import main
from anchordesk.live.settings import settings_path

HUGE_NAME = "x" * 5_000_000


def write_settings(destinations: list[dict[str, object]]) -> None:
    path = settings_path()
    path.write_text(json.dumps({"destinations": destinations}), encoding="utf-8")


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("x", "no saved destination of that name (saved: 'xxxx"),  # by name: none
        ("d1", "no stream key saved for 'xxxx"),  # by id: found, no key
        ("twitch", "2 saved destinations are for that platform ('xxxx"),
    ],
)
def test_a_saved_name_of_5_mb_is_cut_in_the_error_line(
    memory_keyring: object, capsys: pytest.CaptureFixture[str], target: str, fragment: str
) -> None:
    # Before: the one error line joined every saved name, 5,000,154 bytes on stderr (R23hunt23in
    # F6); the destination found by its id was named in full in "no stream key saved for".
    write_settings(
        [
            {"id": "d1", "name": HUGE_NAME, "preset": "twitch"},
            {"id": "d2", "name": "\x1b[31mred", "preset": "twitch"},
            *({"id": f"e{n}", "name": f"n{n}", "preset": "custom"} for n in range(10_000)),
        ]
    )
    assert main(["live", "--to", target, "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err and err.count("\n") == 1
    assert len(err) < 1_000, len(err)
    assert "\x1b" not in err
    assert err.rstrip().endswith(
        ("or give rtmp://HOST/APP/<KEY>", "give one of their names", "STREAM_KEY")
    )
    if target == "x":
        assert "and 9,992 more" in err


# Run in a child: it installs the program's stop handlers and may end the process at once.
_SIGNAL_IN_A_LOCKS_HOLD = r"""
import os, signal, sys
from anchordesk.cli import commands, stopping

stops = stopping.install(program=True)
if sys.argv[1] == "starting":
    commands._prepare_end_at_once()
    stops.at_once = commands._end_at_once
with stops._lock:  # as request() or attach() on the main thread, when the signal lands
    os.kill(os.getpid(), signal.SIGTERM)
    for _ in range(3):  # the handler runs at one of these steps
        pass
print("noted:", stops.reason, flush=True)
"""


@pytest.mark.parametrize("when", ["starting", "running"])
def test_a_stop_signal_while_the_main_thread_holds_the_requests_lock_is_taken(when: str) -> None:
    # Before: the handler called request(), which took the lock its own thread held: the
    # process hung for good (here: killed after 60 s), SIGTERM or Ctrl+C changing nothing.
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", _SIGNAL_IN_A_LOCKS_HOLD, when],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    if when == "starting":  # ended at once, both lines said in the console's format
        lines = run.stderr.splitlines()
        assert [line[9:] for line in lines] == [
            "INFO anchordesk: SIGTERM during start-up: stopped before the picture started",
            lines[1][9:],
        ]
        assert lines[1].endswith(" s after the request (SIGTERM)")
        assert run.stdout == ""
    else:
        assert run.stdout == "noted: SIGTERM\n"
