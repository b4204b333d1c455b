"""Round twenty of issue 10, outputs, the command line, logs and stopping (R20hunt20net.md)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from anchordesk.core import logs
from anchordesk.media.network_watch import ConnectionPhases, as_said


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        # A handshake broken off on a plain rtmp:// address.
        (
            [
                "[tcp @ 0x1] Successfully connected to 127.0.0.1 port 1935",
                "[rtmp @ 0x2] Handshaking...",
            ],
            "(if this is an RTMPS port, use rtmps://)",
        ),
        # A server that asks for a login.
        (
            ["[rtmp @ 0x2] No credentials set"],
            "(rtmp://USER:PASSWORD@HOST/…)",
        ),
    ],
)
def test_the_advice_of_a_network_line_is_logged_as_written(
    lines: list[str], said: str, caplog: pytest.LogCaptureFixture
) -> None:
    # (a) The log said "use rtmps:)" (the scheme's "//" taken as a URL's, cut with its ")")
    # and "(rtmp://****@HOST/…)": the advice's placeholders masked as a login.
    phases = ConnectionPhases("rtmp")
    for line in lines:
        phases.feed(line)
    words = str(phases.failure_words(as_said("Connection reset by peer")))
    assert said in words
    logs.install_masking()
    with caplog.at_level(logging.INFO, logger="anchordesk"):
        logging.getLogger("anchordesk").info("rtmp://h/live/****: %s", words)
    assert said in caplog.records[-1].getMessage()
    # A login in a URL is still masked wherever it sits.
    assert logs.mask_text("use rtmp://bob:hunter2@h/live)") == "use rtmp://****@h/live)"


_SLOW_AFTER_THE_RECORDING_IS_MADE = """
import runpy, sys, time
from anchordesk.media import recording

made = recording.RecordingOutput.__init__

def slow(self, *args, **kwargs):
    # The outputs are built before the picture starts; opening the devices after them takes
    # seconds on a loaded machine.
    made(self, *args, **kwargs)
    print("recording made", file=sys.stderr, flush=True)
    time.sleep(60)

recording.RecordingOutput.__init__ = slow
runpy.run_module("anchordesk", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("number", ["SIGINT", "SIGTERM"])
def test_a_stop_during_start_up_leaves_no_empty_recording(tmp_path: Path, number: str) -> None:
    # A stop while `anchordesk live` started, once the show's recording was made (its outputs
    # are built before the picture starts), ended the process at once (R19 F9) and left an
    # empty a.mkv that no player opens: the next run then recorded into a-2.mkv (2 runs of 28
    # with double signals under load).
    import signal
    import subprocess
    import sys

    from faults.live_runs import SMALL, child_env

    run = subprocess.Popen(
        [sys.executable, "-c", _SLOW_AFTER_THE_RECORDING_IS_MADE, "live", *SMALL,
         "--seconds", "60", "--record", str(tmp_path / "a.mkv")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(tmp_path),
    )  # fmt: skip
    try:
        assert run.stderr is not None
        while (line := run.stderr.readline()) != "recording made\n":
            assert line, "the run ended before its recording was made"
        assert (tmp_path / "a.mkv").exists()
        run.send_signal(getattr(signal, number))
        _, errors = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, errors
    assert f"{number} during start-up: stopped before the picture started" in errors
    assert "Traceback" not in errors
    assert not (tmp_path / "a.mkv").exists()
