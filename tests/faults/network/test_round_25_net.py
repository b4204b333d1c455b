"""Round twenty-five of issue 10, outputs and the command line (R25hunt25net.md, fixed by
hunt25netfix): the stop at once with a pipe at the log's name, keys in a --to that is no URL,
what a full disk kept of the recording, the session's name, a relative XDG_DATA_HOME."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from packetgen import PacketGenerator


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_stop_at_once_with_a_pipe_at_the_logs_name_ends_the_process(tmp_path: Path) -> None:
    # Before (R25 F1): the log file removed and a pipe made at its name (to follow the log),
    # then SIGTERM during `live`'s start-up: "stopped 0.00 s after the request", then the
    # process hung for good in the blocking open of the pipe from the signal handler.
    program = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from anchordesk.core.logs import exit_now, setup_logging

        folder = Path({str(tmp_path / "log")!r})
        setup = setup_logging(log_dir=folder, native_crashes=False)
        os.unlink(setup.log_file)
        os.mkfifo(setup.log_file)
        exit_now(0, ["SIGTERM during start-up: stopped before the picture started"])
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "stopped before the picture started" in run.stderr


def test_a_stop_at_once_still_writes_its_lines_in_the_log_file(tmp_path: Path) -> None:
    program = textwrap.dedent(
        f"""
        from pathlib import Path
        from anchordesk.core.logs import exit_now, setup_logging

        setup_logging(log_dir=Path({str(tmp_path / "log")!r}), native_crashes=False)
        exit_now(0, ["stopped 0.10 s after the request"])
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    logged = (tmp_path / "log" / "anchordesk.log").read_text(encoding="utf-8")
    assert "stopped 0.10 s after the request" in logged


@pytest.mark.parametrize(
    "target",
    [
        "rtmp//a.b/app/k-SeCrEtKeY11",  # the colon missing
        "rtmps;//x.example/app/SeCrEtKeY9",  # a semicolon for the colon
        "live.twitch.tv/app/live_1_SeCrEtKeY10",  # server and key pasted without a scheme
        "a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop-qrst",  # longer than the 40 shown
    ],
)
def test_a_key_in_a_to_that_is_no_url_is_masked_on_stderr_and_in_the_log(
    tmp_path: Path, target: str
) -> None:
    # Before (R25 F2): "error: --to rtmp//a.b/app/k-SeCrEtKeY11: no saved destination of that
    # name", the whole key on stderr and in the log file (a longer one cut at 40 characters,
    # half a YouTube key shown): the URL rule needs a real "scheme:".
    from faults.live_runs import SMALL, child_env

    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1", "--no-record",
         "--to", target],
        capture_output=True, text=True, timeout=120, env=child_env(tmp_path),
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    server, _, key = target.rpartition("/")
    assert f"--to {server}/****: no saved destination" in run.stderr, run.stderr
    logged = b"".join(p.read_bytes() for p in (tmp_path / "xdg_state_home").rglob("*.log"))
    assert b"no saved destination" in logged
    for said in (run.stderr.encode(), run.stdout.encode(), logged):
        assert key[:6].encode() not in said


def test_a_session_written_through_dev_fd_1_names_its_real_file(tmp_path: Path) -> None:
    # Before (R25 F6): "Session kept in /dev/fd/1; report: anchordesk report /dev/fd/1", a
    # command that reads the new shell's own output, not the file the session went to.
    from faults.live_runs import SMALL, child_env

    kept = tmp_path / "s.adsession"
    with kept.open("wb") as out:
        run = subprocess.run(
            [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1",
             "--no-record", "--to", "rtmp://127.0.0.1:1/app/k", "--session", "/dev/fd/1"],
            stdout=out, stderr=subprocess.PIPE, text=True, timeout=120, env=child_env(tmp_path),
        )  # fmt: skip
    assert "anchordesk report /dev/fd/1" not in run.stderr, run.stderr
    assert f"report: anchordesk report {kept}" in run.stderr, run.stderr


def test_a_relative_xdg_data_home_is_ignored_by_desktop_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before (R25 F7): XDG_DATA_HOME=rel wrote the menu entry under ./rel of the current folder
    # and said "AnchorDesk is in the menu"; the XDG spec says a relative value is ignored.
    from anchordesk.cli import desktop
    from anchordesk.cli.main import main

    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(desktop, "this_executable", lambda: Path(sys.executable))
    monkeypatch.setenv("XDG_DATA_HOME", "rel")
    assert main(["desktop", "install"]) == 0
    assert not (tmp_path / "rel").exists()
    entry = home / ".local/share/applications/io.github.anchordesk.AnchorDesk.desktop"
    assert entry.is_file()
    assert str(entry.parent) in capsys.readouterr().out


def last_video_pts_s(path: Path, ffprobe: str) -> float:
    """The time of the last picture ffprobe reads in ``path`` (a file cut short included)."""
    out = subprocess.run(
        [ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time",
         "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    ).stdout  # fmt: skip
    return max(float(line) for line in out.split() if line.strip() not in ("", "N/A"))


def test_a_full_disk_says_how_far_the_file_on_it_plays(
    tmp_path: Path, generator: PacketGenerator, ffprobe: str
) -> None:
    # Before (R25 F8): "the recording stopped at 00:00:03 (0.6 MB kept, it plays up to there)"
    # of a file that played to 2.23 s: the time of the last packet handed to the muxer, whose
    # cluster (a second of media, held in memory) the full disk lost.
    from anchordesk.media.packets import OutputState
    from anchordesk.media.recording import RecordingOutput

    from ..disks import fill, tmpfs

    with tmpfs(tmp_path / "disk", 1024) as disk:
        fill(disk, leave_bytes=200_000)
        path = disk / "show.mkv"
        recording = RecordingOutput(path)
        recording.start(generator.templates)
        for packet in generator.packets(10.0):
            recording.send(packet)
        recording.stop(timeout_s=10)
        status = recording.status()
        assert status.state is OutputState.FAILED
        said = status.last_error or ""
        found = re.search(r"the recording stopped at 00:00:(\d\d) \(.*it plays up to there", said)
        assert found, said
        plays_s = last_video_pts_s(path, ffprobe)
        assert 1.0 < plays_s < 9.0, plays_s
        assert int(found.group(1)) <= plays_s + 0.5, (said, plays_s)
        assert int(found.group(1)) >= plays_s - 1.5, (said, plays_s)
