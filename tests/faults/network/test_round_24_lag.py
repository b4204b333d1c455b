"""Round twenty-four of issue 10, the first seconds of a connection on a slow uplink under load
(R24hunt24lag.md; left by R17hunt17lag and R20hunt20net, item b).

Real parts: nginx-rtmp on loopback recording what it takes, behind test_round_seventeen_lag's
slow path (a relay taking the stream at half its rate); the real network child, started late as
on a loaded machine (its Python start and the connect took 1-3 s beside busy processes): a
child command that waits before it runs, not a timing of the test.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from packetgen import PacketGenerator
from servers import NginxRtmp, video_frame_times_s, wait_until

from anchordesk.media.network_delay import Backlog, StreamDelay
from anchordesk.media.network_output import NetworkOutput
from faults.network.test_round_17_lag import STREAM_BYTES_PER_S, SlowPath, stream_time_received_s
from faults.network_helpers import Feeder

# The child as a loaded machine starts it: 1.5 s before it reads its first byte.
LATE_CHILD = [
    sys.executable,
    "-c",
    "import sys, time; time.sleep(1.5); "
    "from anchordesk.media.network_child import run; sys.exit(run())",
]


def first_seconds_behind_a_slow_path(
    tmp_path: Path, seconds: float
) -> tuple[list[tuple[float, float, str | None]], NetworkOutput, list[tuple[float, bool]]]:
    """Stream through a path at half the stream's rate into nginx with a late child; every
    quarter second: (time since the first tag arrived, how far the stream nginx has is behind
    the stream made, the output's notice then); the output; the pictures nginx recorded
    (their times, keyframe or not)."""
    # A keyframe every 4 s: the connection starts at the stream's first one (50 kB, more than
    # the path's receive window) however late the child starts on a loaded machine. With one
    # every 2 s, a child that took over 2 s to start began at the one of 2 s (11 kB): it fit in
    # the path's kernel buffer, was acknowledged at once, and the link looked fast (a relay's
    # window, not a link's rate: a real slow link acknowledges at its rate).
    generator = PacketGenerator(
        width=320, height=240, fps=30, gop_s=4.0, video_kbps=800, noise=True
    )
    samples: list[tuple[float, float, str | None]] = []
    try:
        with NginxRtmp(tmp_path / "nginx") as nginx:
            path = SlowPath(nginx.port, STREAM_BYTES_PER_S // 2)
            output = NetworkOutput(path.url(), child_command=LATE_CHILD)
            try:
                output.start(generator.templates)
                with Feeder(output, generator) as feeder:
                    recording = wait_until(
                        lambda: (nginx.recordings() or [None])[-1], 20, what="nginx's recording"
                    )
                    first_s = time.monotonic()
                    while (now_s := time.monotonic()) < first_s + seconds:
                        received_s = stream_time_received_s(recording)
                        if received_s is not None:
                            # The stream made (wall time since the feeder began: the stream's
                            # first keyframe was made then) against the stream nginx has.
                            notice = output.status().notice
                            samples.append(
                                (
                                    now_s - first_s,
                                    feeder.sent_s - received_s,
                                    None if notice is None else str(notice),
                                )
                            )
                        time.sleep(0.25)  # sampling the server's file, not waiting for an outcome
            finally:
                output.stop()
                path.close()
            pictures = video_frame_times_s(recording)
    finally:
        generator.close()
    return samples, output, pictures


@pytest.mark.integration
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads sock_diag")
def test_a_late_child_on_a_slow_uplink_does_not_send_the_viewers_seconds_behind(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Beside busy processes the child took 1-3 s to start and connect; the packets queued in
    # the meantime reached it in one burst and were measured against the earliest of them:
    # 0.06 s "late". All went into the socket, which the half-rate path drained for seconds:
    # the viewers were 2.3-6.5 s behind for the first 4-7 s of every connection, while the
    # log said "uplink too slow: dropped N frames, delay kept under 1 s".
    caplog.set_level(logging.WARNING, logger="anchordesk.media.network_output")
    samples, output, pictures = first_seconds_behind_a_slow_path(tmp_path, 9.0)
    shown = " ".join(f"{a:.1f}:{d:.2f}" for a, d, _ in samples)
    assert len([at_s for at_s, _, _ in samples if at_s <= 7.0]) >= 10, shown
    # The burst is judged by how late it is: its pictures go only from a keyframe in time, so
    # what nginx has after the connection's first keyframe is a later keyframe (0.0, then
    # 4.0, 4.033...).
    # Before: every picture of the burst (0.0, 0.033, 0.067...) went into the socket and
    # drained at half rate. The rule itself is tested on an injected clock below; how far
    # behind the viewers were (median of the first 7 s: 4.0-5.6 s before, 1.1-1.6 s after,
    # and 2.9-4.2 s after at a load of 8-9: a figure of the machine, not of the rule) is
    # benchmarks/first_seconds_lag.py's figure.
    (first_s, first_is_key), (second_s, second_is_key) = pictures[:2]
    assert first_is_key and first_s == pytest.approx(0.0, abs=0.05), pictures[:3]
    assert second_is_key and second_s >= 4.0 - 0.05, pictures[:3]
    # Whatever the notice says, it is not "kept under 1 s" while the viewers are far behind.
    claims = [(a, d, n) for a, d, n in samples if n is not None and "kept under" in n]
    assert not [c for c in claims if c[1] > 2.5], claims
    said = [r.getMessage() for r in caplog.records if "uplink too slow" in r.getMessage()]
    assert said and "kept under 1 s" not in said[0], said
    assert output.status().dropped_video_frames > 0


def test_the_burst_a_late_child_reads_is_measured_from_the_parents_keyframe() -> None:
    # The rule alone, on an injected clock: the parent was handed the stream's first keyframe
    # at 100.0; the child reads it at 102.5 (it started late), the server takes 0.4 s to
    # acknowledge it (a slow link), then the child reads the 2.5 s of stream queued meanwhile
    # at once, then the stream in time. Before, the baseline was the burst itself: nothing
    # late, all of it written.
    def burst(stream_zero_s: float | None, keyframe_waited_s: float = 0.4) -> StreamDelay:
        delay = StreamDelay(stream_zero_s=stream_zero_s)
        assert delay.admit("video", True, 0.0, Backlog(0, 0), 102.5, first=True)
        delay.first_keyframe_waited(40_000, keyframe_waited_s)
        for frame in range(1, 120):  # a keyframe every 2 s (the one at 0 went first)
            pts_s = frame / 30
            # 2.5 s of stream read at once at 102.5, then each frame in time.
            now_s = max(102.5 + frame / 10_000, 100.01 + pts_s)
            delay.admit("video", frame % 60 == 0, pts_s, Backlog(0, 0), now_s)
            delay.admit("audio", False, pts_s, Backlog(0, 0), now_s)
        return delay

    late = burst(100.0)
    # The pictures of the burst go until its keyframe at 2.0 s, which is 0.5 s late: in time.
    assert late.dropped_frames == 59
    # The sound goes on (under 4 s late); so does the picture after that keyframe.
    assert late.dropped_packets == late.dropped_frames
    assert late.admit("video", False, 4.1, Backlog(0, 0), 104.11)
    assert burst(None).dropped_frames == 0  # the parent said nothing: as before
    # A fast link took the keyframe at once: it takes the burst as fast, nothing is lost.
    assert burst(100.0, keyframe_waited_s=0.003).dropped_frames == 0
    # A time from a clock that disagrees (in the future, or a day ago) is not believed.
    assert burst(103.0).dropped_frames == 0
    assert burst(100.0 - 86_400).dropped_frames == 0


def test_the_first_keyframe_measures_the_link_before_the_rest_is_written() -> None:
    # The server acknowledged the connection's first keyframe (40 kB) in 0.5 s: 80 kB a second.
    # 100 kB then waiting is 1.25 s: the picture goes. Before, a connection's first half
    # second was judged blind (no rate yet) and all of it went into the socket.
    delay = StreamDelay(stream_zero_s=10.0)
    delay.admit("video", False, 0.033, Backlog(0, 0), 10.2)
    delay.first_keyframe_waited(40_000, 0.5)
    assert not delay.admit("video", False, 0.067, Backlog(100_000, 40_000), 10.7)
    assert delay.admit("audio", False, 0.07, Backlog(100_000, 40_000), 10.7)
    # The keyframe's own wait counts in the most delay the notice says.
    assert delay.take_most_delay_s() > 1.0
    # A fast path acknowledges it at once: no rate is taken from that (nothing changes).
    fast = StreamDelay()
    fast.first_keyframe_waited(40_000, 0.002)
    assert fast.admit("video", False, 0.1, Backlog(100_000, 40_000), 0.1)


def test_the_notice_says_how_far_behind_when_it_was_not_kept_under_a_second() -> None:
    # The words come from what the child measured of the packets it wrote: "kept under 1 s"
    # only while none of the last 10 s went later than that.
    now_s = [50.0]
    output = NetworkOutput("rtmp://127.0.0.1:1/live/key", clock=lambda: now_s[0])
    child = cast(Any, SimpleNamespace(late_frames=0, late_packets=0))
    output._count_late(child, {"late_frames": 5, "late_packets": 5, "most_delay_ms": 2_340}, 50.0)
    assert str(output.status().notice) == "uplink too slow: dropped 5 frames, delay up to 2.4 s"
    now_s[0] = 58.0
    output._count_late(child, {"late_frames": 9, "late_packets": 9, "most_delay_ms": 800}, 58.0)
    assert "delay up to 2.4 s" in str(output.status().notice)  # within the last 10 s
    now_s[0] = 61.0
    output._count_late(child, {"late_frames": 12, "late_packets": 12, "most_delay_ms": 900}, 61.0)
    assert str(output.status().notice) == "uplink too slow: dropped 12 frames, delay kept under 1 s"
