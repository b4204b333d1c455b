"""A recording never overwrites a file (issue 10: "a restart wipes the recording").

The rule, one for every case: when the file a recording would be written to exists (the
``--record`` file of a show that crashed, run again with the same command; an automatic name
taken in the same second), the recording goes to the next free ``NAME-2.mkv``, ``NAME-3.mkv``...
and the run says so; the existing file is left byte for byte as it was.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import decoded_video_frames, duration_s, wait_until

from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShow, LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.media.recording import RecordingOutput

from ..live_runs import SMALL, LiveRun, child_env, format_duration_s


def test_an_existing_file_gets_the_next_numbered_name(tmp_path: Path) -> None:
    path = tmp_path / "show.mkv"
    path.write_bytes(b"the crashed show")
    (tmp_path / "show-2.mkv").write_bytes(b"the one before")
    generator = PacketGenerator(width=320, height=240, fps=30)
    try:
        recording = RecordingOutput(path)
        assert recording.renamed and recording.path == tmp_path / "show-3.mkv"
        recording.start(generator.templates)
        for packet in generator.packets(1.0):
            recording.send(packet)
        recording.stop(timeout_s=10)
    finally:
        generator.close()
    assert path.read_bytes() == b"the crashed show"
    assert (tmp_path / "show-2.mkv").read_bytes() == b"the one before"
    assert decoded_video_frames(tmp_path / "show-3.mkv") == 30


def recorded_bytes(show: LiveShow) -> int:
    assert show.recording_switch is not None
    return show.recording_switch.status().bytes_written


def test_the_windows_recordings_never_share_a_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two sessions in the same second (rehearse again at once) used to get the same name.
    monkeypatch.setattr(
        "anchordesk.live.show.recording_file_name", lambda mode: f"{mode}_same-second.mkv"
    )
    options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
    show = build_live_show(
        options,
        LiveShowPlan(show=None, sessions_dir=tmp_path / "sessions", recordings_dir=tmp_path),
        switched=True,
    )
    show.media.start()
    try:
        paths = []
        for _ in range(2):
            show.begin_session(SessionMode.REHEARSAL)
            paths.append(show.recording_path)
            # A few frames after the first keyframe (the header alone is under 1 kB).
            wait_until(lambda: recorded_bytes(show) > 10_000, 30, what="some frames")
            asyncio.run(show.end_session())
    finally:
        show.media.stop()
    assert paths == [tmp_path / f"rehearsal_same-second{n}.mkv" for n in ("", "-2")]
    assert all(decoded_video_frames(path) > 0 for path in paths)


@pytest.mark.integration
def test_a_restart_after_kill_9_keeps_the_crashed_recording(tmp_path: Path) -> None:
    record, session = tmp_path / "show.mkv", tmp_path / "show.sqlite"
    command = (*SMALL, "--record", str(record), "--session", str(session))
    crashed = LiveRun(*command, "--seconds", "60", env=child_env(tmp_path))
    try:
        crashed.wait_for_line("Session: ")
        wait_until(lambda: record.stat().st_size > 150_000, 60, what="2 s of recording")
        crashed.process.send_signal(signal.SIGKILL)
        assert crashed.wait(10) == -signal.SIGKILL
    finally:
        crashed.kill()
    crashed_bytes = record.read_bytes()
    crashed_s = duration_s(record)
    assert crashed_s > 1.0

    again = LiveRun(*command, "--seconds", "2", env=child_env(tmp_path))
    try:
        code = again.wait(60)
    finally:
        again.kill()
    assert code == 0, again.stderr
    renamed = tmp_path / "show-2.mkv"
    notice = f"{record} exists and is kept (a recording never overwrites a file): recording into"
    assert f"{notice} {renamed}" in again.stderr
    assert record.read_bytes() == crashed_bytes  # truncated to the new run before
    assert format_duration_s(renamed) == pytest.approx(2.0, abs=0.1)
    assert f"Session: {session}" in again.stdout
    with sqlite3.connect(session) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
