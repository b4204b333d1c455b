"""The network output against real servers: nginx-rtmp, stunnel (rtmps), a black hole."""

from __future__ import annotations

import itertools
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import (
    BlackHole,
    NginxRtmp,
    Stunnel,
    audio_rms_db,
    codecs,
    duration_s,
    free_port,
    keyframe_times_s,
    media_packet_times_s,
    probe_streams,
    video_frame_times_s,
    wait_until,
)

import anchordesk
from anchordesk.core.backoff import Backoff
from anchordesk.core.errors import UserError
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState

pytestmark = pytest.mark.integration

KEY = "sk-live-7f3a9c2e51"


class Feeder:
    """Sends generated packets at the real-time pace of a pipeline, on its own thread, and
    counts what it sent; a heartbeat thread counts ticks to show no thread was frozen."""

    def __init__(self, output: NetworkOutput, generator: PacketGenerator) -> None:
        self.output = output
        self.generator = generator
        self.sent_packets = 0
        self.sent_s = 0.0
        self.heartbeats = 0
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._feed, name="test-feeder", daemon=True),
            threading.Thread(target=self._beat, name="test-heartbeat", daemon=True),
        ]

    def _feed(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            for packet in self.generator.packets(0.1):
                self.output.send(packet)
                self.sent_packets += 1
            self.sent_s += 0.1
            self._stop.wait(max(0.0, start + self.sent_s - time.monotonic()))

    def _beat(self) -> None:
        while not self._stop.wait(0.01):
            self.heartbeats += 1

    def __enter__(self) -> Feeder:
        self.started_s = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)


def assert_no_key(*texts: object) -> None:
    for text in texts:
        assert KEY not in str(text)


def test_stream_reaches_nginx_as_h264_and_aac(
    nginx_rtmp: NginxRtmp, packet_generator: PacketGenerator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    output = NetworkOutput(nginx_rtmp.url(KEY))
    output.start(packet_generator.templates)
    with Feeder(output, packet_generator) as feeder:
        wait_until(lambda: output.status().state is OutputState.LIVE, 15, what="LIVE")
        wait_until(lambda: feeder.sent_s >= 4.0, 20, what="4 s of media")
    live_status = output.status()
    started = time.monotonic()
    output.stop(timeout_s=5)
    stop_s = time.monotonic() - started
    assert stop_s < 6.0
    assert output.status().state is OutputState.STOPPED
    assert live_status.bytes_written > 20_000
    assert live_status.dropped_packets == 0

    [recording] = nginx_rtmp.recordings()
    assert codecs(recording) == {"video": "h264", "audio": "aac"}
    video = next(s for s in probe_streams(recording) if s.codec_type == "video")
    assert (video.width, video.height) == (320, 240)
    keyframes = keyframe_times_s(recording)
    assert all(b - a <= 2.0 + 1e-3 for a, b in itertools.pairwise(keyframes))
    # Everything sent before stop() arrived: stop() drains the queue and writes the trailer.
    assert duration_s(recording) == pytest.approx(feeder.sent_s, abs=0.15)
    assert audio_rms_db(recording) > -30.0  # the 440 Hz tone, not silence
    assert_no_key(caplog.text, live_status)


def test_audio_before_the_first_keyframe_never_costs_the_keyframe(
    nginx_rtmp: NginxRtmp, capsys: pytest.CaptureFixture[str]
) -> None:
    # A frame-threaded encoder hands out the first video packet (the keyframe) four frames
    # late, so the connection sees audio first. Only that audio may be left out: the server's
    # file must start at the first keyframe, not at the next one 2 s later.
    generator = PacketGenerator(video_delay_frames=4)
    output = NetworkOutput(nginx_rtmp.url(KEY))
    output.start(generator.templates)
    try:
        with Feeder(output, generator) as feeder:
            wait_until(lambda: output.status().state is OutputState.LIVE, 15, what="LIVE")
            wait_until(lambda: feeder.sent_s >= 4.0, 20, what="4 s of media")
        output.stop(timeout_s=5)
    finally:
        generator.close()
    video_sent_s = feeder.sent_s - generator.video_delay_frames / generator.fps

    [recording] = nginx_rtmp.recordings()
    frames = video_frame_times_s(recording)
    assert frames[0] == (0.0, True), f"the server's first picture is {frames[0]}"
    assert duration_s(recording) == pytest.approx(video_sent_s, abs=0.15)
    audio_start_s = min(t for t, _ in media_packet_times_s(recording, "a"))
    # The audio queued before the keyframe but timed after it goes out right behind it.
    assert 0.0 <= audio_start_s <= 0.03
    # Audio timed before the stream's first picture is not a loss: nothing is counted.
    assert output.status().dropped_packets == 0
    with capsys.disabled():
        print(
            f"\n[audio first] server file: video from {frames[0][0]:.3f} s for "
            f"{duration_s(recording):.2f} s of {video_sent_s:.2f} s sent, audio from "
            f"{audio_start_s:.3f} s"
        )


def test_frozen_app_pushes_through_its_own_executable_in_child_mode(
    nginx_rtmp: NginxRtmp,
    packet_generator: PacketGenerator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # A PyInstaller app has no ``python -m``: its own executable (here a script that, like
    # packaging/anchordesk_entry.py, only calls anchordesk.cli.main) runs the child.
    package_root = Path(anchordesk.__file__).resolve().parents[1]
    app = tmp_path / "anchordesk"
    app.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(package_root)!r})\n"
        "from anchordesk.cli import main\nraise SystemExit(main())\n",
        encoding="utf-8",
    )
    app.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app))
    output = NetworkOutput(nginx_rtmp.url(KEY))
    output.start(packet_generator.templates)
    with Feeder(output, packet_generator):
        pid = wait_until(lambda: output.child_pid, 10, what="a child process")
        # The kernel runs the script through its interpreter: [python, app, --network-child].
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        wait_until(lambda: output.status().state is OutputState.LIVE, 15, what="LIVE")
        nginx_rtmp.wait_for_recording(min_bytes=30_000)
    output.stop(timeout_s=5)
    assert arguments[-2:] == [str(app).encode(), b"--network-child"]
    assert not any(KEY.encode() in argument for argument in arguments)
    [recording] = nginx_rtmp.recordings()
    assert codecs(recording) == {"video": "h264", "audio": "aac"}


def test_rtmps_through_a_tls_terminator(
    nginx_rtmp: NginxRtmp, stunnel_rtmps: Stunnel, packet_generator: PacketGenerator
) -> None:
    output = NetworkOutput(stunnel_rtmps.url(key=KEY))
    output.start(packet_generator.templates)
    with Feeder(output, packet_generator):
        wait_until(lambda: output.status().state is OutputState.LIVE, 15, what="LIVE")
        nginx_rtmp.wait_for_recording(min_bytes=30_000)
    output.stop(timeout_s=5)
    [recording] = nginx_rtmp.recordings()
    assert codecs(recording) == {"video": "h264", "audio": "aac"}
    assert output.name.startswith("rtmps://") and KEY not in output.name


def test_server_killed_and_restarted_the_stream_resumes_at_a_keyframe(
    nginx_rtmp: NginxRtmp,
    packet_generator: PacketGenerator,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    output = NetworkOutput(nginx_rtmp.url(KEY))  # the real schedule: first retry after ~2 s
    output.start(packet_generator.templates)
    with Feeder(output, packet_generator) as feeder:
        wait_until(lambda: output.status().state is OutputState.LIVE, 15, what="LIVE")
        nginx_rtmp.wait_for_recording(min_bytes=40_000)
        killed_at_media_s = feeder.sent_s
        killed_s = time.monotonic()
        nginx_rtmp.kill()
        down = wait_until(
            lambda: (s := output.status()).state is OutputState.RECONNECTING and s,
            10,
            what="RECONNECTING",
        )
        detected_s = time.monotonic() - killed_s
        nginx_rtmp.start()  # same port
        wait_until(lambda: output.status().state is OutputState.LIVE, 30, what="LIVE again")
        live_again_s = time.monotonic() - killed_s
        files = nginx_rtmp.wait_for_recording(min_bytes=40_000, count=2)
        resumed_s = time.monotonic() - killed_s
    output.stop(timeout_s=5)
    status = output.status()

    with capsys.disabled():
        print(
            f"\n[reconnect] failure detected in {detected_s:.2f} s, live again "
            f"{live_again_s:.2f} s after the kill (backoff {down.next_retry_in_s} s), "
            f"40 kB recorded by the server {resumed_s:.2f} s after the kill"
        )
    assert down.attempt == 1
    assert down.last_error is not None
    assert status.reconnects == 1
    assert_no_key(caplog.text, down, status)

    second = files[-1]
    assert codecs(second) == {"video": "h264", "audio": "aac"}
    frames = video_frame_times_s(second)
    assert frames[0][1], "the resumed stream must start with a keyframe"
    # A new connection is a new stream for the server: it starts at zero, not at the media
    # time it went out at (before: at killed_at_media_s and more, so the platform's recording
    # of a 4 s stream said it was minutes long).
    assert frames[0][0] == pytest.approx(0.0, abs=0.05)
    assert frames[-1][0] < feeder.sent_s - killed_at_media_s


def test_a_child_that_falls_behind_for_a_while_loses_no_frame_and_keeps_their_order(
    nginx_rtmp: NginxRtmp,
) -> None:
    # The child stops reading for a moment (stopped: a loaded machine), so the pipe fills while
    # send() writes to it directly: the direct path must hand over to the supervisor (queue,
    # wait for room) and come back, with every frame delivered once and in order. (Until round
    # twenty-six the child started 2 s late; its media now waits for its "ready".)
    generator = PacketGenerator(video_kbps=3000, noise=True)  # fills the 64 kB pipe at once
    output = NetworkOutput(nginx_rtmp.url(KEY))
    output.start(generator.templates)
    try:
        with Feeder(output, generator) as feeder:
            wait_until(lambda: output.status().state is OutputState.LIVE, 15, what="LIVE")
            child = output._child
            assert child is not None and child.origin is not None
            origin_s = float(child.origin)  # the media time the connection starts at
            wait_until(lambda: output._direct is not None, 10, what="the direct path")
            os.kill(child.process.pid, signal.SIGSTOP)
            try:
                wait_until(lambda: output._direct is None, 10, what="a full pipe")
            finally:
                os.kill(child.process.pid, signal.SIGCONT)
            wait_until(lambda: feeder.sent_s >= 5.0, 20, what="5 s of media")
        output.stop(timeout_s=5)
    finally:
        generator.close()
    status = output.status()
    assert status.dropped_packets == 0
    assert status.reconnects == 0
    [recording] = nginx_rtmp.recordings()
    times_s = [time_s for time_s, _ in video_frame_times_s(recording)]
    assert len(times_s) == round((feeder.sent_s - origin_s) * generator.fps)
    steps = [b - a for a, b in itertools.pairwise(times_s)]
    assert all(0 < step < 1.5 / generator.fps for step in steps)


def test_server_that_stops_reading_mid_stream_is_detected_and_retried(
    nginx_rtmp: NginxRtmp, capsys: pytest.CaptureFixture[str]
) -> None:
    # A hung server (SIGSTOP): the connection stays open, nothing is read. FFmpeg keeps writing
    # into the socket buffers for 10 s and more, then blocks for ever; the stall detector must
    # act as soon as the server's kernel stops acknowledging (its receive buffer is full).
    generator = PacketGenerator(video_kbps=3000, noise=True)  # fills the buffers quickly
    output = NetworkOutput(
        nginx_rtmp.url(KEY), stall_timeout_s=2.0, backoff=Backoff(initial_delay_s=0.5)
    )
    output.start(generator.templates)
    try:
        with Feeder(output, generator):
            wait_until(lambda: output.status().state is OutputState.LIVE, 15, what="LIVE")
            nginx_rtmp.wait_for_recording(min_bytes=100_000)
            nginx_rtmp.freeze()
            frozen_s = time.monotonic()
            stalled = wait_until(
                lambda: (s := output.status()).state is OutputState.RECONNECTING and s,
                60,
                what="the stall detector",
            )
            detected_s = time.monotonic() - frozen_s
            nginx_rtmp.thaw()
            wait_until(lambda: output.status().state is OutputState.LIVE, 30, what="LIVE again")
        output.stop(timeout_s=3)
    finally:
        nginx_rtmp.thaw()
        generator.close()
    with capsys.disabled():
        print(f"\n[stall] hung server detected {detected_s:.1f} s after it stopped reading")
    # Seen from the bytes the server acknowledged, not from FFmpeg's writes into buffers.
    assert stalled.last_error == "the server stopped taking the stream (nothing read for 2 s)"
    assert output.status().reconnects >= 1


def test_black_hole_server_never_freezes_the_program(
    black_hole: BlackHole, packet_generator: PacketGenerator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    output = NetworkOutput(
        black_hole.url(key=KEY),
        queue_packets=100,
        connect_timeout_s=1.5,
        backoff=Backoff(initial_delay_s=0.5, max_delay_s=1.0),
    )
    output.start(packet_generator.templates)
    with Feeder(output, packet_generator) as feeder:
        pid = wait_until(lambda: output.child_pid, 10, what="a child process")
        wait_until(lambda: black_hole.accepted >= 1, 10, what="a connection")
        # The key travels on the child's stdin only: not in its arguments or environment.
        for part in ("cmdline", "environ"):
            proc_file = Path(f"/proc/{pid}/{part}")
            if proc_file.exists():
                assert KEY.encode() not in proc_file.read_bytes()
        # The stall detector kills the stuck child and the destination is retried.
        # (Counted by the output: since round nineteen each attempt unanswered for 1 s also
        # gets a look of its own at what answers there, a connection the black hole counts.)
        wait_until(lambda: output.status().reconnects >= 2, 30, what="two retries")
        sent_at_check = feeder.sent_packets
        media_s = feeder.sent_s
        heartbeats = feeder.heartbeats
    status = output.status()
    started = time.monotonic()
    output.stop(timeout_s=2)
    stop_s = time.monotonic() - started

    assert status.reconnects >= 2
    assert status.state is OutputState.RECONNECTING
    assert status.last_error is not None and "no answer" in status.last_error
    # send() never blocked: the feeder kept its pace (every 0.1 s chunk of media sent) and
    # the heartbeat thread kept ticking (a frozen GIL would stop both).
    assert sent_at_check >= media_s * 70  # 30 video + ~47 audio packets per second
    assert heartbeats >= media_s * 100 * 0.5
    # The queue stayed bounded: what could not be sent was dropped and counted.
    assert status.dropped_packets > status.dropped_video_frames > 0
    assert stop_s < 3.5
    assert output.child_pid is None
    assert_no_key(caplog.text, status)


def test_refused_connection_is_retried_and_errors_never_show_the_key(
    packet_generator: PacketGenerator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"rtmp://127.0.0.1:{free_port()}/live/{KEY}"
    output = NetworkOutput(url, backoff=Backoff(initial_delay_s=30.0, max_delay_s=60.0))
    output.start(packet_generator.templates)
    with Feeder(output, packet_generator):
        status = wait_until(
            lambda: (s := output.status()).state is OutputState.RECONNECTING and s,
            15,
            what="RECONNECTING",
        )
        assert status.attempt == 1
        assert status.next_retry_in_s is not None and status.next_retry_in_s > 20
        # "Reconnect now" skips the 30 s wait.
        output.reconnect_now()
        wait_until(lambda: output.status().reconnects == 1, 10, what="an immediate retry")
        wait_until(lambda: output.status().attempt == 2, 10, what="the second failure")
    output.stop(timeout_s=2)
    assert status.last_error is not None
    assert_no_key(caplog.text, status, output.status())
    assert "****" in caplog.text  # the URL was logged, masked


@pytest.mark.parametrize(
    "url", [f"http://example.com/live/{KEY}", f"srt://example.com/{KEY}", "rtmp:///live/x"]
)
def test_bad_destination_is_a_one_line_user_error_without_the_key(url: str) -> None:
    with pytest.raises(UserError) as error:
        NetworkOutput(url)
    message = str(error.value)
    assert "\n" not in message
    assert KEY not in message


def test_a_new_connection_asks_for_a_fresh_keyframe_instead_of_starting_behind_live(
    packet_generator: PacketGenerator,
) -> None:
    """1.5 s queued since the last keyframe: starting there would keep the viewers 1.5 s behind
    for the whole connection. When the pipeline honours keyframe requests, the connection asks
    for one and starts at it; otherwise it starts at the queued keyframe, as before."""
    packets = list(packet_generator.packets(1.5))  # one keyframe, at 0 s (one every 2 s)
    for honoured in (True, False):
        output = NetworkOutput("rtmp://127.0.0.1:9/live/KEY")
        if honoured:
            assert output.wants_keyframe() is False  # the pipeline polls every frame
        for packet in packets:
            output.send(packet)
        output._trim_queue_to_newest_keyframe()  # what a connection does when it starts
        queued_video = [p for p in output._queue if p.kind == "video"]
        if honoured:
            assert queued_video == []
            assert output.wants_keyframe() is True
            assert output.wants_keyframe() is False  # once per connection
        else:
            assert queued_video[0].is_keyframe and queued_video[0].pts_s == 0.0
