"""Round twenty of issue 10, outputs, the command line, logs and stopping (R20hunt20net.md)."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import Any

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


def test_the_sound_goes_out_while_the_picture_is_dropped_for_delay(tmp_path: Path) -> None:
    # (b) A half-rate uplink on a loaded machine: the viewers fell 4-6 s behind in the first
    # seconds while "delay kept under 1 s" was said. While the network child dropped the video
    # for delay, FFmpeg's FLV muxer held the sound back (up to 10 s) for a video packet to put
    # it in order with: the socket looked empty (the delay measured ~0), the viewers got
    # nothing, and all of it went at once when the video came back. Stream times only.
    import av

    from anchordesk.media.network_child import FLV_OPTIONS

    path = tmp_path / "out.flv"
    # Every packet leaves the muxer's buffer at once, as over the network.
    destination = av.open(
        str(path), "w", format="flv", container_options={**FLV_OPTIONS, "flush_packets": "1"}
    )
    video = destination.add_stream("flv1", rate=30)
    video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
    audio = destination.add_stream("mp3", rate=48000)

    def packet(stream: Any, ms: int, keyframe: bool = False) -> av.Packet:
        made = av.Packet(bytes(200))
        made.stream, made.time_base, made.pts, made.dts = stream, Fraction(1, 1000), ms, ms
        made.is_keyframe = keyframe
        return made

    destination.mux(packet(video, 0, keyframe=True))
    for ms in range(0, 3000, 24):  # three seconds of sound, the picture dropped
        destination.mux(packet(audio, ms))
    written = path.read_bytes()
    destination.close()
    # FLV tags: 11-byte header (type, size, time) and a 4-byte trailer, after a 13-byte head.
    offset, sound_ms = 13, []
    while offset + 11 <= len(written):
        size = int.from_bytes(written[offset + 1 : offset + 4], "big")
        if written[offset] == 8:
            sound_ms.append(int.from_bytes(written[offset + 4 : offset + 7], "big"))
        offset += 11 + size + 4
    assert sound_ms and sound_ms[-1] >= 2800, sound_ms[-3:]


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
