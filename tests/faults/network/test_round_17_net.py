"""Round seventeen of issue 10, ``anchordesk live`` and its outputs (R17hunt17net.md).

Real parts: ``anchordesk live`` in a subprocess, its recording read back by ffprobe.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from packetgen import PacketGenerator

from anchordesk.core.errors import UserError
from anchordesk.live.options import LiveOptions, parse_canvas
from anchordesk.live.session import LiveSession
from anchordesk.media.compositor import Compositor
from anchordesk.media.encoder import Encoder, EncoderSettings
from anchordesk.media.network_child import masked
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState, OutputStatus
from anchordesk.media.pipeline import Pipeline
from anchordesk.media.recording import RecordingOutput
from anchordesk.media.sources import TestPatternSource, ToneSource
from anchordesk.media.stats import StatsReporter
from anchordesk.store.report_streams import StreamEntry, stream_text
from faults.live_runs import SMALL, LiveRun, child_env, format_duration_s

pytestmark = pytest.mark.integration


def test_a_run_started_under_nohup_goes_on_when_its_terminal_hangs_up(tmp_path: Path) -> None:
    """``nohup anchordesk live … &`` (SIGHUP ignored), or the background job of a script
    (SIGINT ignored): the run took those signals anyway and stopped the show at the terminal's
    hang-up (the user logging out of ssh) or at a Ctrl+C meant for another program."""
    record = tmp_path / "a.mkv"
    run = LiveRun(
        *SMALL, "--record", str(record), "--seconds", "3",
        env=child_env(tmp_path), ignoring=(signal.SIGHUP, signal.SIGINT),
    )  # fmt: skip
    try:
        run.wait_for_line("output: recording")
        run.send(signal.SIGHUP)
        run.send(signal.SIGINT)
        code = run.wait()
    finally:
        run.kill()
    assert "stopping cleanly" not in run.stderr, run.stderr
    assert code == 0, run.stderr
    duration_s = format_duration_s(record)
    assert duration_s is not None and duration_s > 2.5, run.stderr


_WINDOW_HOLDS_UNDER_NOHUP = """
import signal
import subprocess
import sys
from anchordesk.cli.main import _hold_closing_signals
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup starts it
held = _hold_closing_signals()
signal.raise_signal(signal.SIGHUP)  # the terminal closes while the window's modules load
print(held, signal.getsignal(signal.SIGHUP) is signal.SIG_IGN)
"""


def test_the_window_started_under_nohup_is_not_closed_by_a_hang_up_while_it_loads(
    tmp_path: Path,
) -> None:
    # Before: the hang-up was held as a request to close: the window never opened.
    done = subprocess.run(
        [sys.executable, "-c", _WINDOW_HOLDS_UNDER_NOHUP],
        capture_output=True, text=True, timeout=60, env=child_env(tmp_path),
    )  # fmt: skip
    assert done.stdout == "[] True\n", done.stderr


def _recording_whose_folder_goes(
    folder: Path, at_media_s: float, replaced_by_a_file: bool, looks_every_s: float
) -> RecordingOutput:
    """A recording of 5 s into ``folder``, which is removed (and a file put at its name) when
    the writer has muxed ``at_media_s`` of media: the writer's own clock does it, so the
    moment is the same in every run."""
    generator = PacketGenerator(width=320, height=180, gop_s=1.0, video_kbps=300)
    made: list[RecordingOutput] = []

    def media_clock() -> float:
        if not made:
            return 0.0
        media_s = made[0]._media_s
        if media_s >= at_media_s and folder.is_dir():
            shutil.rmtree(folder)
            if replaced_by_a_file:
                folder.write_text("not a folder any more", encoding="utf-8")
        return media_s

    recording = RecordingOutput(
        folder / "a.mkv", clock=media_clock, space_guard=None, fsync_interval_s=looks_every_s
    )
    made.append(recording)
    recording.start(generator.templates)
    for packet in generator.packets(5.0):
        recording.send(packet)
    recording.stop(10.0)
    generator.close()
    return recording


def test_a_recording_deleted_that_cannot_be_written_again_is_not_said_to_be_kept(
    tmp_path: Path,
) -> None:
    """Its folder removed (and its name taken by a file; or the disk full with the deleted
    file itself): the run said "the recording stopped at 00:00:03 (0.3 MB kept, it plays up
    to there)", of a file that no longer existed, and kept it in the recording's files."""
    folder = tmp_path / "out"
    folder.mkdir()
    recording = _recording_whose_folder_goes(
        folder, 2.0, replaced_by_a_file=True, looks_every_s=0.5
    )
    fault = recording.fault or ""
    assert "deleted at 00:00:0" in fault and "lost" in fault, fault
    assert "kept" not in fault
    assert recording.files == ()


def test_a_recording_deleted_as_the_run_ends_is_kept_where_the_run_says(
    tmp_path: Path, ffprobe: str
) -> None:
    """Deleted after the writer's last look (it looks at each sync): the run said "Recording
    kept in …/a.mkv" and no file was there."""
    folder = tmp_path / "out"
    folder.mkdir()
    recording = _recording_whose_folder_goes(
        folder, 4.0, replaced_by_a_file=False, looks_every_s=30.0
    )
    assert recording.fault is None
    assert recording.files == (folder / "a.mkv",)
    duration_s = format_duration_s(folder / "a.mkv")
    assert duration_s is not None and duration_s > 4.5


# A Facebook stream key as the platform gives it: its query names the server's own host part.
_FACEBOOK = (
    "rtmps://live-api-s.facebook.com:443/rtmp/FB-1234567890-0-AbCdEfGhIjKl"
    "?s_bl=1&s_psm=1&s_sc=1234567890&s_sw=0&s_vt=api-s&a=AbSecretKeyPart9"
)


def test_a_facebook_key_does_not_mask_the_server_s_name_in_ffmpeg_s_lines() -> None:
    """Every line of FFmpeg naming the server (the one that says why a stream never went
    live) said "the server's name was not found: live-****.facebook.com": "api-s", a value
    of the key's query, was masked wherever it stood."""
    line = (
        "[tcp @ 0x55] Failed to resolve hostname live-api-s.facebook.com: Name or service not "
        "known; publishing FB-1234567890-0-AbCdEfGhIjKl?s_bl=1&s_psm=1&s_sc=1234567890&s_sw=0"
        "&s_vt=api-s&a=AbSecretKeyPart9 (a=AbSecretKeyPart9)"
    )
    shown = masked(line, _FACEBOOK)
    assert "hostname live-api-s.facebook.com:" in shown, shown
    for secret in ("FB-1234567890", "AbSecretKeyPart9", "1234567890"):
        assert secret not in shown, shown


def test_a_recording_that_catches_up_after_a_blocked_write_says_the_stream_s_rate(
    tmp_path: Path,
) -> None:
    """A write that blocks (a pipe's reader that pauses, a disk that hangs 2 s), then the
    packets that waited written at once: "recording rec.mkv: live 3240 kbps" for a 930 kbps
    stream (a real FIFO read with a 2.5 s pause). The writer's clock here is its media time
    with that pause: 2 s on which nothing is written at 3 s of media, then 3 s of media in 1 s."""
    generator = PacketGenerator(width=640, height=360, gop_s=2.0, video_kbps=800)
    rates: list[float] = []
    made: list[RecordingOutput] = []

    def clock() -> float:
        if not made:
            return 0.0
        rates.append(made[0]._bitrate_kbps)
        media_s = made[0]._media_s
        if media_s < 3.0:
            return media_s
        if media_s < 6.0:
            return 5.0 + (media_s - 3.0) / 3.0
        return media_s

    recording = RecordingOutput(tmp_path / "rec.mkv", clock=clock, space_guard=None)
    made.append(recording)
    recording.start(generator.templates)
    sent_bytes = 0
    for packet in generator.packets(12.0):
        recording.send(packet)
        sent_bytes += len(packet.data)
    recording.stop(10.0)
    generator.close()
    stream_kbps = sent_bytes * 8 / 1000 / 12.0
    measured = [rate for rate in rates if rate > 0]
    assert len(measured) >= 10
    assert max(measured) < 1.3 * stream_kbps, (stream_kbps, sorted(measured)[-3:])


def test_a_token_in_a_feed_url_s_fragment_is_not_left_in_the_process_s_arguments(
    tmp_path: Path,
) -> None:
    """A feed URL copied from a browser's address bar after a sign-in carries its token after
    "#" ("…#token=…"): every line dropped that part, but ps and /proc/PID/cmdline showed
    "--feed json=http://…/feed#token=SecretSecretOnly" for the whole show."""
    feed = "json=http://127.0.0.1:9/feed#token=SecretSecretOnly"
    run = LiveRun(
        *SMALL, "--record", str(tmp_path / "a.mkv"), "--feed", feed, env=child_env(tmp_path)
    )
    try:
        run.wait_for_line("feed json: polling")
        arguments = Path(f"/proc/{run.process.pid}/cmdline").read_bytes()
        run.send(signal.SIGTERM)
        run.wait()
    finally:
        run.kill()
    assert b"127.0.0.1:9/feed#token=" in arguments, arguments
    assert b"SecretSecretOnly" not in arguments, arguments
    assert "SecretSecretOnly" not in run.stderr + run.stdout


def test_a_stream_down_for_less_than_a_second_at_the_stop_is_not_said_down_for_0_00(
    tmp_path: Path,
) -> None:
    """The server went away 0.3 s before Ctrl+C (the platform's broadcast ended from its own
    page, then the run): the run and the report said "not live for the last 0:00 of the run:
    the server closed the connection …" (3 runs of 3 with nginx killed, then SIGTERM)."""
    url = "rtmp://127.0.0.1:9/live/key-r17"
    output = NetworkOutput(url)
    kept = OutputStatus(
        name=output.name, kind="network", state=OutputState.RECONNECTING, live_s=12.4,
        down_at_stop_s=0.3, last_error="the server closed the connection",
    )  # fmt: skip
    run = LiveSession(
        LiveOptions(camera="test", microphone="test", record=False, destinations=[url]),
        outputs=[output], video_source=None, audio_source=None,  # type: ignore[arg-type]
    )  # fmt: skip
    run._started_outputs = [output]
    (line,) = run.streams_summary({output.name: kept})
    assert line.endswith("not live for the last 0:01 of the run: the server closed the connection")
    entry = StreamEntry(output.name, 12.4, 0, 0.3, "the server closed the connection")
    assert f"Stream to {stream_text(entry, 'en')}" == line


def test_writers_whose_folder_became_a_file_say_so_and_that_their_file_is_lost(
    tmp_path: Path,
) -> None:
    """The folder of --record and --stats removed and a file put at its name: the run said
    "…/out/a.mkv cannot be written (File exists)", as if the recording's own name were taken,
    and "--stats …: stopped writing: … (File exists)" of a file that was gone."""
    folder = tmp_path / "out"
    folder.mkdir()
    recording = _recording_whose_folder_goes(
        folder, 2.0, replaced_by_a_file=True, looks_every_s=0.5
    )
    assert f"{folder} is now a file, not a folder" in (recording.fault or "")
    folder.unlink()
    folder.mkdir()
    video, audio = TestPatternSource(320, 180), ToneSource()
    pipeline = Pipeline(
        compositor=Compositor(320, 180), encoder=Encoder(EncoderSettings(320, 180, fps=30)),
        video_source=video, audio_source=audio, outputs=[],
    )  # fmt: skip
    stats = StatsReporter(pipeline, [], lambda: video, lambda: audio, folder / "st.jsonl")
    stats.sample()
    shutil.rmtree(folder)
    folder.write_text("not a folder any more", encoding="utf-8")
    stats.sample()
    stats.close()
    fault = stats.fault or ""
    assert "was deleted, or its disk went away, and could not be written again" in fault, fault
    assert f"{folder} is now a file, not a folder" in fault and "samples are lost" in fault


def test_the_log_file_deleted_during_the_run_is_written_again_with_every_line(
    tmp_path: Path,
) -> None:
    """A cleaner of ~/.local/state removed the log folder mid-show: the run's lines went
    into a file with no name, gone at its end, and nothing was said (exit 0), while the
    recording, --stats and the session file are written again when deleted."""
    run = LiveRun(
        *SMALL, "--record", str(tmp_path / "a.mkv"), "--seconds", "3", env=child_env(tmp_path)
    )
    try:
        run.wait_for_line("encoding from")
        log_folder = tmp_path / "xdg_state_home" / "AnchorDesk" / "log"
        shutil.rmtree(log_folder)
        code = run.wait()
    finally:
        run.kill()
    assert code == 0, run.stderr
    assert "was deleted, or its disk went away, while the run wrote it: written again" in run.stderr
    kept = (log_folder / "anchordesk.log").read_text(encoding="utf-8")
    assert "command: live" in kept  # the lines from before the deletion
    assert "stopped 0." in kept and "(--seconds 3 reached)" in kept  # and the last one


@pytest.mark.parametrize("canvas", ["1x1", "2x2", "8x8", "159x90", "99999x99999"])
def test_a_canvas_out_of_range_is_said_out_of_range(canvas: str) -> None:
    # Before: "1x1" and "8x8" were "expected WIDTHxHEIGHT, for example 1280x720"; "159x90"
    # "must be even numbers", as if 160x90 would do.
    with pytest.raises(UserError, match="each side must be between 160 and 4096 pixels"):
        parse_canvas(canvas)


def test_standard_output_on_a_full_disk_is_said_and_is_a_fault(tmp_path: Path) -> None:
    """`anchordesk live … > run.txt` on a full disk (here /dev/full): the run's last lines,
    where the recording is kept and how each stream went, were lost without a word, exit 0,
    while every other writer says so once (exit 3)."""
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
             "--record", str(tmp_path / "a.mkv")],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
            env=child_env(tmp_path),
        )  # fmt: skip
    said = "standard output /dev/full: stopped writing: the disk holding /dev/full is full"
    assert done.stderr.count(said) == 2, done.stderr  # once as it happens, once at the end
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr


def test_a_recording_to_standard_output_goes_where_the_shell_put_it(
    tmp_path: Path, ffprobe: str
) -> None:
    """`--record /dev/stdout > show.mkv` (or `| ffplay -`): the link /dev/stdout "existed",
    so the recording went to a new file /dev/stdout-2 in /dev (as root; refused otherwise),
    and show.mkv held one line, "Recording kept in /dev/stdout-2"."""
    show = tmp_path / "show.mkv"
    with show.open("wb") as output:
        done = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "2",
             "--record", "/dev/stdout", "--stats", str(tmp_path / "s.jsonl")],
            stdout=output, stderr=subprocess.PIPE, text=True, timeout=120,
            env=child_env(tmp_path),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # the run's lines on stderr, naming the file the shell put there (R28hunt28net B3)
    assert f"Recording kept in {show} (" in done.stderr
    assert show.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # Matroska from its first byte
    duration_s = format_duration_s(show)
    assert duration_s is not None and duration_s > 1.5
    assert "stdout-2" not in done.stderr


def test_stats_to_standard_output_in_a_file_are_json_lines_only(tmp_path: Path) -> None:
    """`--stats /dev/stdout > s.jsonl`: the figures went to a new file /dev/stdout-2, and
    s.jsonl held the run's own lines."""
    figures = tmp_path / "s.jsonl"
    with figures.open("w", encoding="utf-8") as output:
        done = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "2",
             "--record", str(tmp_path / "a.mkv"), "--stats", "/dev/stdout"],
            stdout=output, stderr=subprocess.PIPE, text=True, timeout=120,
            env=child_env(tmp_path),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = figures.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 2
    assert all(isinstance(json.loads(line), dict) for line in lines)
    assert "stdout-2" not in done.stderr


def test_a_recording_to_standard_error_is_refused_in_one_line(tmp_path: Path) -> None:
    # Written through the descriptor since F12, the log's lines would be mixed into it.
    done = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
         "--record", "/dev/stderr"],
        capture_output=True, text=True, timeout=60, env=child_env(tmp_path),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: anchordesk live: --record /dev/stderr: the run's messages go to standard "
        "error; record to /dev/stdout or a file"
    )


def test_a_session_to_standard_output_in_a_file_stays_a_session(tmp_path: Path) -> None:
    """`--session /dev/stdout > s.adsession`: the run's "Session: …" lines went into the
    SQLite file, which `report` then refused ("file is not a database")."""
    session = tmp_path / "s.adsession"
    with session.open("wb") as output:
        done = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
             "--record", str(tmp_path / "a.mkv"), "--session", "/dev/stdout"],
            stdout=output, stderr=subprocess.PIPE, text=True, timeout=120,
            env=child_env(tmp_path),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Session kept in" in done.stderr
    report = subprocess.run(
        [sys.executable, "-m", "anchordesk", "report", str(session)],
        capture_output=True, text=True, timeout=60, env=child_env(tmp_path),
    )  # fmt: skip
    assert report.returncode == 0, report.stderr


def test_a_recording_to_a_descriptor_not_open_is_refused_before_the_start(
    tmp_path: Path,
) -> None:
    # `--record /dev/fd/7` without `7>file`: since F12 the show started, then "cannot create
    # the recording", exit 3; refused in one line before anything starts, as a bad path is.
    done = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
         "--record", "/dev/fd/7"],
        capture_output=True, text=True, timeout=60, env=child_env(tmp_path),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "encoding" not in done.stderr
