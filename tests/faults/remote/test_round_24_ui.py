"""Round twenty-four of issue 10, found from the window (hunt24ui): the command line's side."""

from __future__ import annotations

from pathlib import Path

from tests.faults.show_inputs import anchordesk, assert_clean_output


def test_a_camera_file_named_too_long_for_the_system_is_a_one_line_mistake(tmp_path: Path) -> None:
    """`anchordesk live --camera /tmp/<300 characters>.mp4`: a traceback ("[Errno 36] File name
    too long" from Path.is_file) and exit 1, for a user's mistake; the window, with that
    camera in its settings, opened with no show and no picture. One line, exit 2."""
    camera = tmp_path / ("y" * 300 + ".mp4")
    run = anchordesk(
        "live", "--camera", camera, "--record", tmp_path / "show.mkv", "--seconds", "1"
    )
    assert run.returncode == 2, run.stderr[-2000:]
    assert_clean_output(run)
    assert "--camera" in run.stderr and "File name too long" in run.stderr


def test_a_show_file_named_too_long_for_the_system_is_a_one_line_mistake(tmp_path: Path) -> None:
    """`anchordesk live --show /tmp/<300 characters>.json`: a traceback ("[Errno 36] File name
    too long" from the check that each file of the run is its own) and exit 1. One line naming
    --show, exit 2, as --record and --stats already were."""
    show = tmp_path / ("z" * 300 + ".json")
    run = anchordesk(
        "live", "--camera", "test", "--mic", "none", "--show", show, "--no-record",
        "--to", "rtmp://127.0.0.1:1/live/x", "--seconds", "1",
    )  # fmt: skip
    assert run.returncode == 2, run.stderr[-2000:]
    assert_clean_output(run)
    assert "--show" in run.stderr and "too long" in run.stderr
