"""The command-line contract: one-line errors with exit code 2, no traceback, keys never echoed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from anchordesk.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anchordesk", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["live", "--bogus"], "unrecognized arguments: --bogus"),
        (["live", "--canvas", "12x3"], "--canvas '12x3'"),
        (["live", "--canvas", "1281x720"], "even"),
        (["live", "--fps", "0"], "--fps"),
        (["live", "--autoplay"], "--autoplay needs --show"),
        (["live", "--studio", "--show", "s.json"], "--studio needs --show FILE and --control"),
        (["live", "--feed", "twitter=http://x"], "KIND must be one of"),
        (["live", "--to", "http://example.com/live/SECRETKEY"], "rtmp://HOST/APP/<KEY>"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert "SECRETKEY" not in err


def test_bad_arguments_in_a_real_process_print_no_traceback() -> None:
    result = run_cli("live", "--canvas", "big")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("gui", "live", "devices", "show", "report", "audience"):
        assert command in result.stdout


def test_window_without_a_display_says_so_in_one_line() -> None:
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    result = subprocess.run(
        [sys.executable, "-m", "anchordesk"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == 1
    assert "no display" in result.stderr and "anchordesk live" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_a_show_file_alone_opens_the_window_on_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from anchordesk.cli import commands
    from anchordesk.core.paths import resources_dir

    opened: list[object] = []
    monkeypatch.setattr(commands, "run_gui", lambda path: opened.append(path) or 0)
    sample = resources_dir() / "shows" / "zh" / "show.json"
    assert main([str(sample)]) == 0  # what the desktop entry's Exec=anchordesk %f runs
    assert main(["gui", str(sample)]) == 0
    assert main(["-v", "gui", "--show", str(sample)]) == 0
    assert main([]) == 0
    assert opened == [sample, sample, sample, None]


def test_a_missing_show_file_goes_to_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # The window lists why it cannot open it, with the sample running (tests/ui/test_start_show);
    # from the file manager ("Open with") there is no console to print a line on.
    from anchordesk.cli import commands

    opened: list[object] = []
    monkeypatch.setattr(commands, "run_gui", lambda path: opened.append(path) or 0)
    assert main(["missing.show.json"]) == 0
    assert main(["gui", "missing.json"]) == 0
    assert opened == [Path("missing.show.json"), Path("missing.json")]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["nothing-like-a-command"], "is neither a command (gui, live"),
    ],
)
def test_a_wrong_show_file_is_one_line(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1


def test_version_names_the_parts_a_bug_report_needs() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    for part in ("anchordesk 0.", "Python: ", "Qt: PySide6 ", "FFmpeg ", "OpenCV ", "System: "):
        assert part in result.stdout, part


def test_every_run_is_in_the_log_file_and_errors_too(isolated_user_dirs: object) -> None:
    from anchordesk.core import paths

    result = run_cli("live", "--to", "nowhere-saved")
    assert result.returncode == 2
    log = (paths.user_log_dir() / "anchordesk.log").read_text(encoding="utf-8")
    assert "command: live" in log and "nowhere-saved: no saved destination" in log
    assert result.stderr.count("\n") == 1  # the console still gets the one line only


def test_live_help_documents_the_exit_codes_and_the_recording_rule() -> None:
    result = run_cli("live", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for line in (
        "0 the run ended and every file is whole",
        "2 a mistake in the command",
        "3 the show went on, but something was lost: a file stopped being written",
        "A recording never overwrites a file",
        "SIGHUP or --seconds end the run within 2 s",
    ):
        assert line in text, result.stdout
