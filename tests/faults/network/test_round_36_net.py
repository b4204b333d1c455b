"""Round thirty-six, network outputs and recordings: what net36 found or finished
(/work/hunt/R36net36.md).

Each test reproduces one finding with real parts (the network child and FFmpeg against a
scripted RTMP server, nginx-rtmp, whole ``anchordesk live`` runs) and failed before its fix.
"""

from __future__ import annotations

import json
import logging
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import NginxRtmp

from anchordesk.live.session import dropped_frames_total
from anchordesk.media.clock import ManualClock
from anchordesk.media.compositor import Compositor
from anchordesk.media.encoder import Encoder, EncoderSettings
from anchordesk.media.layers import OverlayLayer
from anchordesk.media.network_delay import Backlog, StreamDelay
from anchordesk.media.network_watch import ConnectionPhases, Phase, as_said
from anchordesk.media.pipeline import Pipeline
from anchordesk.media.sources import TestPatternSource, ToneSource

from ..live_runs import SMALL, LiveRun, child_env, run_live
from ..network_helpers import ScriptedRtmpServer
from .test_network_messages import first_failure

pytestmark = pytest.mark.integration

KEY = "sk_live_36netKEYa9c1"


def test_a_server_that_resets_the_connection_at_connect_is_not_said_to_refuse_the_stream(
    packet_generator: PacketGenerator,
) -> None:
    # Before: a server (or a firewall in between) that answers the RTMP handshake and then
    # resets the connection at "connect" was said "the server refused the stream: check the
    # application in the URL's path ('live') and the stream key". Nothing refused anything:
    # FFmpeg's RTMP reader says "Input/output error" for a reset as for a close, so what
    # is known is that the server closed the connection at that request.
    server = ScriptedRtmpServer(reset_at="connect")
    try:
        status = first_failure(server.url(key=KEY), packet_generator)
    finally:
        server.close()
    assert status.last_error == (
        "the server closed the connection when asked for the application ('live'): check the "
        "application in the URL's path and the stream key"
    )
    assert KEY not in repr(status)


_LINES = {
    Phase.APPLICATION: [
        "[tcp @ 0x1] Successfully connected to 127.0.0.1 port 1935",
        "[rtmp @ 0x2] Handshaking...",
        "[rtmp @ 0x2] Server version 0.0.0.0",
        "[rtmp @ 0x2] Proto = rtmp, path = /live/****, app = live, fname = ****",
    ],
}
_LINES[Phase.PUBLISHING] = [*_LINES[Phase.APPLICATION], "[rtmp @ 0x2] Creating stream..."]


@pytest.mark.parametrize(
    ("phase", "english"),
    [
        (
            Phase.APPLICATION,
            "the server reset the connection (connection reset by peer) when asked for the "
            "application ('live'): check the application in the URL's path and the stream key; "
            "a firewall or proxy in between can do this too",
        ),
        (
            Phase.PUBLISHING,
            "the server reset the connection (connection reset by peer) when asked for the "
            "stream: check the stream key and the application name in the URL; a firewall or "
            "proxy in between can do this too",
        ),
    ],
)
def test_a_reset_the_child_says_is_kept_in_the_words(phase: Phase, english: str) -> None:
    # Before: when the child did say the connection was reset ("[Errno 104] Connection reset
    # by peer", a write that met the reset) after "connect", the words were "the server
    # refused the stream …" and the reset was dropped.
    phases = ConnectionPhases("rtmp")
    for line in _LINES[phase]:
        phases.feed(line)
    words = phases.failure_words(as_said("[Errno 104] Connection reset by peer"))
    assert str(words) == english


def _finished_bytes(stderr: str) -> int:
    match = re.search(r"recording \S+ finished: (\d+) bytes", stderr)
    assert match is not None, stderr
    return int(match.group(1))


@pytest.mark.parametrize(
    ("target", "said"),
    [
        (
            "/dev/random",
            "WARNING anchordesk: recording into /dev/random, a device, not a file: the "
            "recording is written into it and no file of it is kept",
        ),
        (
            "/dev/null",
            "INFO anchordesk: recording into /dev/null, the null device: the recording is "
            "thrown away",
        ),
    ],
)
def test_a_recording_into_a_device_says_so_first_and_counts_what_it_wrote(
    tmp_path: Path, target: str, said: str
) -> None:
    # Before: `--record /dev/random` (or /dev/null) ran without a word of where the recording
    # went and ended "recording /dev/random finished: 0 bytes", with no line naming where it
    # was sent: a character device lets a seek "succeed" and tells 0 for ever, and its size
    # was read there.
    if not Path(target).exists():
        pytest.skip(f"{target} is not on this system")
    run = run_live(
        *SMALL, "--record", target, "--seconds", "1",
        env=child_env(tmp_path), timeout_s=60,
    )  # fmt: skip
    assert run.process.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    said_at = next(i for i, line in enumerate(lines) if said in line)
    encoding_at = next(i for i, line in enumerate(lines) if "anchordesk: encoding" in line)
    assert said_at < encoding_at  # before anything starts
    assert _finished_bytes(run.stderr) > 10_000
    assert re.search(
        rf"^Recording sent to {re.escape(target)} \(a device, \d+ kB\): no file of it is kept "
        "here$",
        run.stdout + "\n" + run.stderr,
        re.MULTILINE,
    ), run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def test_a_recording_into_a_pipe_says_so_first_and_its_reader_gets_every_byte(
    tmp_path: Path,
) -> None:
    # The same for a FIFO a player reads: said first (not refused), and the count is what
    # the reader got.
    fifo = tmp_path / "player.mkv"
    os.mkfifo(fifo)
    got = bytearray()

    def read() -> None:
        with fifo.open("rb") as reader:
            while data := reader.read(65536):
                got.extend(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    run = run_live(
        *SMALL, "--record", str(fifo), "--seconds", "1", env=child_env(tmp_path), timeout_s=60
    )
    reader.join(10)
    assert run.process.returncode == 0, run.stderr
    assert (
        f"INFO anchordesk: recording into {fifo}, a pipe, not a file: whoever reads it gets the "
        "recording; no file of it is kept here"
    ) in run.stderr
    assert _finished_bytes(run.stderr) == len(got) > 10_000


def test_a_folder_as_the_recording_is_refused_in_one_line(tmp_path: Path) -> None:
    # Checked, sound before: a folder is refused before anything starts.
    run = run_live(
        *SMALL, "--record", str(tmp_path), "--seconds", "1", env=child_env(tmp_path),
        timeout_s=60,
    )  # fmt: skip
    assert run.process.returncode == 2
    assert run.stderr.strip() == (
        f"error: --record {tmp_path}: is a folder; give a file name such as show.mkv"
    )


def test_a_pause_of_this_program_is_not_said_to_be_the_uplinks(
    tmp_path: Path, nginx_rtmp: NginxRtmp
) -> None:
    # Before: `anchordesk live` stopped for a few seconds (SIGSTOP, Ctrl+Z, a laptop's
    # suspend) and continued said "this program was paused for 3.0 s", then "uplink too slow:
    # dropped 2 frames, delay kept under 1 s" (14 by the next second) while the uplink was
    # fine: the packets made before the pause reached the network child after it, and the
    # child judged them seconds late (against the stream's own timestamps) and dropped them,
    # then every picture up to the next keyframe, as the uplink's doing.
    stats = tmp_path / "stats.jsonl"
    run = LiveRun(
        *SMALL, "--no-record", "--seconds", "9", "--to", nginx_rtmp.url(KEY),
        "--stats", str(stats), env=child_env(tmp_path),
    )  # fmt: skip
    try:
        run.wait_for_line(": live")
        run.process.send_signal(signal.SIGSTOP)
        time.sleep(3.0)  # the pause itself: what this test is about, not a wait for timing
        run.process.send_signal(signal.SIGCONT)
        assert run.wait(60) == 0, run.stderr
    finally:
        run.kill()
    assert "this program was paused for" in run.stderr
    assert "uplink too slow" not in run.stderr, run.stderr
    # Nor were the 3 s of pictures never made counted as any stage's drops ("dropped 89", as
    # the render's or the network's, in the summary, --stats and the window's health): the
    # pipeline says what they were.
    assert re.search(
        r"no picture was made for \d\.\d s \(this program was paused, or given no processor "
        r"time\): \d+ frames skipped, no stage's drop",
        run.stderr,
    ), run.stderr
    last = json.loads(stats.read_text(encoding="utf-8").splitlines()[-1])
    assert dropped_frames_total(last) < 15, last


def _late_frames(waited_s: float) -> int:
    """A stream at 30 fps read in time for 3 s, then 3 s with nothing read; then the 5
    pictures made before that gap come (3 s late against their timestamps), then the stream
    goes on in time from 6 s, as the pipeline skips the pictures of a pause. ``waited_s``:
    how long the child says it waited for input before the late ones."""
    delay = StreamDelay()
    for frame in range(90):
        assert delay.admit("video", frame % 60 == 0, frame / 30, Backlog(0, 0), 10 + frame / 30)
    delay.input_waited(waited_s)
    for frame in range(90, 95):
        delay.admit("video", False, frame / 30, Backlog(0, 0), 16.0)
    for frame in range(180, 240):
        delay.admit("video", frame % 60 == 0, frame / 30, Backlog(0, 0), 10 + frame / 30)
    return delay.dropped_frames


def test_lateness_that_grew_while_the_child_waited_for_input_is_not_the_uplinks() -> None:
    # The rule alone, on an injected clock. The child waited 3 s with nothing to read: the
    # pictures made before the pause are not dropped. Reading them at once after 3 s of
    # writing (a slow uplink: no wait for input) still drops them, and the pictures after
    # them up to the next keyframe (at 6 s: it comes in time).
    assert _late_frames(waited_s=3.0) == 0
    assert _late_frames(waited_s=0.03) == 5


def test_a_recording_into_a_pipe_whose_reader_left_says_what_was_sent_not_kept(
    tmp_path: Path,
) -> None:
    # Before: a player behind a FIFO that closed (the window shut) ended the recording with
    # "the recording stopped at 00:00:03 (1.0 MB kept, it plays up to there)": those bytes
    # went into a pipe and nothing of them was kept by this program.
    fifo = tmp_path / "player.mkv"
    os.mkfifo(fifo)
    got = bytearray()

    def read_then_leave() -> None:
        with fifo.open("rb") as reader:
            while len(got) < 200_000 and (data := reader.read(65536)):
                got.extend(data)

    reader = threading.Thread(target=read_then_leave, daemon=True)
    reader.start()
    run = run_live(
        *SMALL, "--record", str(fifo), "--seconds", "3", env=child_env(tmp_path), timeout_s=60
    )
    reader.join(10)
    assert run.process.returncode == 3, run.stderr
    said = [line for line in run.stderr.splitlines() if line.startswith("error: the recording")]
    assert said, run.stderr
    assert re.fullmatch(
        r"error: the recording stopped at 00:00:0\d \(0\.\d MB sent, none of it kept here\): "
        rf"the program reading {re.escape(str(fifo))} stopped reading it",
        said[0],
    ), said


def _run_with_open_files_limit(
    limit: int, home: Path, record: Path
) -> subprocess.CompletedProcess[str]:
    def lower_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
         "--record", str(record)],
        env=child_env(home), capture_output=True, text=True, timeout=60,
        preexec_fn=lower_limit,
    )  # fmt: skip


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_NOFILE as on Linux")
def test_a_process_out_of_file_descriptors_is_told_before_anything_is_written(
    tmp_path: Path,
) -> None:
    # Before: with few file descriptors left (ulimit -n 16, or used up), the run's event loop
    # was made after the recording and the stream had started: "OSError: [Errno 24] Too many
    # open files" from asyncio's socketpair, a second traceback from the half-made loop's
    # __del__ ('_ssock'), exit 1, and a recording of a few frames left behind. The loop is
    # now made first, and its failure said in one line. The limit at which it fails depends
    # on what the imports hold open: the limits below it fail in the imports themselves.
    said = []
    for limit in range(14, 5, -1):
        record = tmp_path / f"show-{limit}.mkv"
        run = _run_with_open_files_limit(limit, tmp_path, record)
        if "the run cannot start" in run.stderr:
            said.append(limit)
            assert run.returncode == 1, run.stderr
            assert run.stderr.strip().splitlines()[-1] == (
                "error: anchordesk live: the run cannot start: too many open files (this "
                f"process may open {limit}: raise it, ulimit -n)"
            ), run.stderr
            assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr
            assert not list(tmp_path.glob(f"show-{limit}*.mkv"))  # nothing was written
            break
        assert "_ssock" not in run.stderr, run.stderr
    assert said, "no limit made the loop fail"


class _SlowSound:
    """A test tone whose reads take ``delay_s`` of media-clock time at one moment (a sound
    encode that falls behind: the pause's seconds of sound caught up at once)."""

    def __init__(self, clock: ManualClock, slow_at_sample: int, delay_s: float) -> None:
        self._tone = ToneSource(48000)
        self._clock = clock
        self._slow_at_sample = slow_at_sample
        self._delay_s = delay_s
        self._read = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._tone, name)

    def read(self, frames: int) -> object:
        if self._read <= self._slow_at_sample < self._read + frames:
            self._clock.advance(self._delay_s)
        self._read += frames
        return self._tone.read(frames)


def test_a_slow_sound_encode_is_no_network_drop() -> None:
    # Before: the sound's encoding (Pipeline._pull_audio) was timed with the sending of the
    # packets, so frames skipped behind it were counted as network drops (the health's
    # "dropped … network", --stats' dropped_frames_network_total): after a 10 s pause, 8.
    clock = ManualClock()
    settings = EncoderSettings(width=160, height=90, fps=30, video_kbps=200)
    encoder = Encoder(settings)
    pipeline = Pipeline(
        compositor=Compositor(160, 90),
        encoder=encoder,
        video_source=TestPatternSource(160, 90, 30),
        audio_source=_SlowSound(clock, 48000, 0.5),  # type: ignore[arg-type]
        outputs=[],
        fps=30,
        duration_s=2.0,
        clock=clock,
    )
    pipeline.start()
    assert pipeline.finished.wait(60)
    encoder.close()
    counters = pipeline.counters()
    assert counters.dropped_network == 0
    assert counters.dropped_encode >= 10


class _PausedClock(ManualClock):
    """A media clock on which the process is stopped for ``paused_s`` once, at ``at_s``:
    in a sleep (``in_tick`` False) or in the middle of a frame's work (True)."""

    def __init__(self, at_s: float, paused_s: float, *, in_tick: bool) -> None:
        super().__init__()
        self.at_s, self.paused_s, self.in_tick = at_s, paused_s, in_tick

    def sleep_until(self, deadline_s: float, stop: threading.Event) -> bool:
        stopped = super().sleep_until(deadline_s, stop)
        if not self.in_tick and self.paused_s and self.now_s() >= self.at_s:
            self.advance(self.paused_s)
            self.paused_s = 0.0
        return stopped

    def stopped_in_a_tick(self, media_s: float) -> None:
        if self.in_tick and self.paused_s and media_s >= self.at_s:
            self.advance(self.paused_s)
            self.paused_s = 0.0


class _StoppedInATick:
    def __init__(self, clock: _PausedClock) -> None:
        self.clock = clock

    def layers(self, now_s: float, canvas_size: tuple[int, int]) -> Sequence[OverlayLayer]:
        self.clock.stopped_in_a_tick(now_s)
        return ()


@pytest.mark.parametrize("in_tick", [False, True])
def test_frames_not_made_while_the_program_was_paused_are_no_stages_drops(
    in_tick: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # The rule on an injected clock: stopped 3 s at 1 s of a 6 s run, in the sleep between
    # frames or in the middle of a frame's work (no processor time used meanwhile). Before,
    # the 90 frames were counted as the slowest stage's drops.
    caplog.set_level(logging.INFO, logger="anchordesk.media.pipeline")
    clock = _PausedClock(1.0, 3.0, in_tick=in_tick)
    encoder = Encoder(EncoderSettings(width=160, height=90, fps=30, video_kbps=200))
    pipeline = Pipeline(
        compositor=Compositor(160, 90),
        encoder=encoder,
        video_source=TestPatternSource(160, 90, 30),
        audio_source=ToneSource(48000),
        outputs=[],
        overlays=[_StoppedInATick(clock)],  # type: ignore[list-item]
        fps=30,
        duration_s=6.0,
        clock=clock,
    )
    pipeline.start()
    assert pipeline.finished.wait(60)
    encoder.close()
    counters = pipeline.counters()
    dropped = counters.dropped_render + counters.dropped_encode + counters.dropped_network
    assert dropped == 0, counters
    said = [r.getMessage() for r in caplog.records if "no picture was made" in r.getMessage()]
    assert len(said) == 1 and re.fullmatch(
        r"no picture was made for 3\.0 s \(this program was paused, or given no processor "
        r"time\): (89|90) frames skipped, no stage's drop",
        said[0],
    ), said
