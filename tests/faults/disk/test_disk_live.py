"""``anchordesk live`` with its files on a disk that fills up or is read-only: the show goes on,
each writer that failed says so once, the exit code tells that something was lost (3), and a
folder that cannot be written is refused before anything starts (2)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from servers import NginxRtmp, codecs, decoded_video_frames, duration_s, wait_until

from ..disks import dev_full, fill, tmpfs
from ..live_runs import SMALL, LiveRun, child_env, format_duration_s, run_live

pytestmark = pytest.mark.integration

SHOW = Path(__file__).resolve().parents[3] / "resources" / "shows" / "en" / "show.json"


def assert_no_traceback(run: LiveRun) -> None:
    assert "Traceback" not in run.stderr and "Logging error" not in run.stderr, run.stderr


def error_lines(run: LiveRun) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("error: ")]


def test_a_full_disk_stops_the_recording_and_stats_but_not_the_push(
    tmp_path: Path, nginx_rtmp: NginxRtmp
) -> None:
    seconds = 5.0
    with tmpfs(tmp_path / "disk", 1024) as disk:
        fill(disk, leave_bytes=200_000)  # about 2 s of the recording
        record, stats = disk / "show.mkv", disk / "stats.jsonl"
        run = run_live(
            *SMALL,
            "--to",
            nginx_rtmp.url("disk-full"),
            "--record",
            str(record),
            "--stats",
            str(stats),
            "--seconds",
            str(seconds),
            env=child_env(tmp_path),
        )
        assert run.process.returncode == 3, run.stderr
        assert_no_traceback(run)
        recording_fault = f"the disk holding {record} is full"
        # Said once while it happened, once in the summary at the end.
        assert run.stderr.count(recording_fault) == 2, run.stderr
        errors = error_lines(run)
        assert errors[-1].endswith("not whole (exit code 3)")
        assert any(recording_fault in line for line in errors)
        # What the recording holds before the disk filled plays.
        assert decoded_video_frames(record) >= 30
        # The stats file, when it stopped too, ends on a whole sample.
        for line in stats.read_text().splitlines():
            json.loads(line)
    # The push went on to the end.
    received = nginx_rtmp.wait_for_recording()[-1]
    assert codecs(received) == {"video": "h264", "audio": "aac"}
    assert duration_s(received) == pytest.approx(seconds, abs=0.2)


def test_stats_on_dev_full_is_said_once_and_the_recording_is_whole(tmp_path: Path) -> None:
    record = tmp_path / "show.mkv"
    run = run_live(
        *SMALL,
        "--record",
        str(record),
        "--stats",
        str(dev_full()),
        "--seconds",
        "3",
        env=child_env(tmp_path),
    )
    assert run.process.returncode == 3, run.stderr
    assert_no_traceback(run)
    fault = "--stats /dev/full: stopped writing: the disk holding /dev/full is full"
    assert run.stderr.count(fault) == 2, run.stderr  # when it happened, and in the summary
    assert error_lines(run)[-1].endswith("(exit code 3)")
    assert format_duration_s(record) == pytest.approx(3.0, abs=0.1)
    assert decoded_video_frames(record) == 90


def test_the_session_store_and_log_on_a_disk_that_fills_during_the_show(tmp_path: Path) -> None:
    record = tmp_path / "show.mkv"
    with tmpfs(tmp_path / "disk", 2048) as disk:
        session = disk / "show.sqlite"
        run = LiveRun(
            *SMALL,
            "--show",
            str(SHOW),
            "--autoplay",
            "--feed",
            "rehearsal",
            "--record",
            str(record),
            "--session",
            str(session),
            "--seconds",
            "6",
            env=child_env(tmp_path, XDG_STATE_HOME=str(disk / "state")),
        )
        try:
            run.wait_for_line("Session: ")
            fill(disk)
            code = run.wait(60)
        finally:
            run.kill()
        assert code == 3, run.stderr
        assert_no_traceback(run)
        store_fault = f"session store {session}: stopped writing: the disk holding {session}"
        said = [line for line in run.stderr.splitlines() if "ERROR anchordesk.store" in line]
        assert len(said) == 1 and store_fault in said[0], run.stderr
        assert f"error: {store_fault} is full" in error_lines(run)
        log_fault = "log file " + str(disk / "state")
        assert run.stderr.count(log_fault) in (0, 2), run.stderr  # it may still have had room
        (disk / "filler.bin").unlink()
        with sqlite3.connect(session) as db:  # what was kept before is a sound session file
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The recording (on another disk) is whole: the show went on.
    assert format_duration_s(record) == pytest.approx(6.0, abs=0.1)


@pytest.mark.parametrize("option", ["--record", "--stats", "--session"])
def test_a_read_only_folder_is_refused_before_anything_starts(tmp_path: Path, option: str) -> None:
    with tmpfs(tmp_path / "ro", 64, read_only=True) as folder:
        target = folder / ("show.mkv" if option == "--record" else "file")
        others = [] if option == "--record" else ["--record", str(tmp_path / "show.mkv")]
        run = run_live(*SMALL, option, str(target), *others, "--seconds", "2",
                       env=child_env(tmp_path))  # fmt: skip
    assert run.process.returncode == 2, run.stderr
    assert_no_traceback(run)
    errors = error_lines(run)
    assert len(errors) == 1 and option in errors[0] and "read-only" in errors[0], run.stderr
    assert not (tmp_path / "show.mkv").exists()  # nothing was started, nothing left behind


def test_a_stop_before_the_first_packet_leaves_no_empty_file(tmp_path: Path) -> None:
    record = tmp_path / "show.mkv"
    run = LiveRun(*SMALL, "--record", str(record), "--seconds", "30", env=child_env(tmp_path))
    try:
        wait_until(record.exists, 60, what="the recording's file to be created")
        run.process.terminate()
        code = run.wait(30)
    finally:
        run.kill()
    assert code == 0, run.stderr
    assert not record.exists() or decoded_video_frames(record) > 0
