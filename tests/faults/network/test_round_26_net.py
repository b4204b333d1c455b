"""Round twenty-six of issue 10, outputs and the command line (R26hunt26net.md): the leftovers
of rounds 24-25 (help into a full disk, stop signals in start-up, a broken image as the camera,
device names, a closed standard output, a half-made desktop install) and what the round found."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("asked", [["--help"], ["live", "--help"], ["report", "--help"]])
def test_help_into_a_full_disk_with_unbuffered_output_is_said(
    tmp_path: Path, asked: list[str]
) -> None:
    # Before: with PYTHONUNBUFFERED set (as on this machine and in many containers) argparse
    # wrote --help straight to /dev/full, swallowed the error itself and the run exited 0.
    from faults.live_runs import child_env

    env = child_env(tmp_path, PYTHONUNBUFFERED="1")
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "anchordesk", *asked],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=120, env=env,
        )  # fmt: skip
    assert run.returncode == 1
    assert run.stderr == "error: the output is incomplete: the disk holding /dev/full is full\n"


@pytest.mark.parametrize(
    ("command", "printed"),
    [
        (["report", "SESSION"], "anchordesk report: standard output is closed (>&-): nowhere to "
         "print the report"),
        (["report", "--json", "SESSION"], "anchordesk report: standard output is closed"),
        (["devices"], "anchordesk devices: standard output is closed (>&-): nowhere to print the "
         "device list"),
        (["show", "check", "SHOW"], "anchordesk show: standard output is closed"),
        (["--help"], "anchordesk: standard output is closed (>&-): nowhere to print the help"),
        (["--version"], "anchordesk: standard output is closed (>&-): nowhere to print the "
         "versions"),
    ],
)  # fmt: skip
def test_a_command_that_prints_with_its_output_closed_says_so(
    tmp_path: Path, command: list[str], printed: str
) -> None:
    # Before: `anchordesk report S >&-` printed the report into the null device the program
    # puts on a closed descriptor at start, and exited 0, having written nowhere.
    from report_sessions import write_big_session

    from anchordesk.showfile.samples import sample_show_path
    from faults.live_runs import child_env

    session = tmp_path / "s.adsession"
    write_big_session(session)
    show = sample_show_path("en")
    assert show is not None
    argv = [{"SESSION": str(session), "SHOW": str(show)}.get(word, word) for word in command]
    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", *argv],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
        env=child_env(tmp_path), preexec_fn=_close_standard_output,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("error: " + printed), run.stderr
    assert run.stderr.count("\n") == 1


def _close_standard_output() -> None:
    import os

    os.close(1)


def test_a_device_name_with_control_characters_is_listed_escaped(tmp_path: Path) -> None:
    # Before: `anchordesk devices` printed the names as the sound system gave them: an ALSA PCM
    # named with an ESC sequence in ~/.asoundrc (any program may write one) coloured or drove
    # the terminal. A real device: PortAudio lists the configuration's PCMs.
    from faults.live_runs import child_env

    (tmp_path / ".asoundrc").write_text('pcm."ev\\033[31mil\\007mic" {\n type null\n}\n')
    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "devices"],
        capture_output=True, text=True, timeout=120, env=child_env(tmp_path, HOME=str(tmp_path)),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    if "mic" not in run.stdout:
        pytest.skip("PortAudio lists no ALSA device here")
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout
    assert "  ev\\x1b[31mil\\x07mic  (" in run.stdout


@pytest.mark.parametrize("extension", ["png", "tiff", "bmp"])
def test_a_broken_picture_as_the_camera_is_our_one_line_only(
    tmp_path: Path, extension: str
) -> None:
    # Before: a PNG cut short as --camera printed "libpng error: PNG input buffer is
    # incomplete" (a TIFF: Qt's and OpenCV's four lines; a BMP: OpenCV's two) before the
    # program's own line: the image libraries write straight to descriptor 2.
    import cv2
    import numpy as np

    from faults.live_runs import child_env

    whole = tmp_path / f"whole.{extension}"
    noise = np.random.default_rng(7).integers(0, 255, (360, 640, 3), dtype=np.uint8)
    assert cv2.imwrite(str(whole), noise)
    cut = tmp_path / f"cut.{extension}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", "--camera", str(cut), "--mic", "none",
         "--seconds", "1", "--record", str(tmp_path / "r.mkv")],
        capture_output=True, text=True, timeout=120, env=child_env(tmp_path),
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr == f"error: --camera {cut}: not an image OpenCV can read\n"


def test_a_stop_at_once_while_a_decoder_is_quieted_is_said(tmp_path: Path) -> None:
    # The picture is read in start-up with descriptor 2 into a pipe (its decoder's noise): a
    # stop at once then (cli/stopping.end_at_once gives stderr back, says, and exits) must
    # reach the terminal, not the pipe that nobody reads after the exit.
    import textwrap

    program = textwrap.dedent(
        """
        import os
        from anchordesk.media.portaudio import give_back_stderr, library_noise_filtered

        with library_noise_filtered():
            give_back_stderr()
            os.write(2, b"stopped 0.10 s after the request\\n")
            os._exit(0)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )
    assert run.stderr == "stopped 0.10 s after the request\n"


@pytest.mark.parametrize("installed_before", [False, True])
def test_desktop_install_on_a_full_disk_leaves_nothing_half_installed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    installed_before: bool,
) -> None:
    # Before: a disk that filled up halfway kept the menu entry, the MIME type, the metainfo
    # and the SVG (4 of 13 files) and said only "the disk holding …512x512…png is full", exit 2
    # (a full disk is no mistake of the user's).
    from anchordesk.cli import desktop
    from anchordesk.cli.main import main
    from faults.disks import fill, tmpfs

    monkeypatch.setattr(desktop, "this_executable", lambda: Path(sys.executable))
    with tmpfs(tmp_path / "disk", 1024) as disk:
        share = disk / "share"
        monkeypatch.setenv("XDG_DATA_HOME", str(share))
        if installed_before:
            assert main(["desktop", "install"]) == 0
        before = {p: p.read_bytes() for p in share.rglob("*") if p.is_file()}
        folders = sorted(p for p in share.rglob("*") if p.is_dir()) if share.exists() else []
        capsys.readouterr()
        # Room for the first files of the install, not for all of them.
        fill(disk, leave_bytes=12 * 1024)
        monkeypatch.setattr(desktop, "desktop_entry", lambda _: "[Desktop Entry]\nNew=1\n")
        code = main(["desktop", "install"])
        err = capsys.readouterr().err
        after = {p: p.read_bytes() for p in share.rglob("*") if p.is_file()}
        after_folders = sorted(p for p in share.rglob("*") if p.is_dir()) if share.exists() else []
    assert code == 1
    assert err.count("\n") == 1 and err.endswith("is full; nothing was installed\n"), err
    assert after == before  # no new file, no temporary one, every old one as it was
    assert after_folders == folders


def test_a_stop_while_the_options_modules_load_ends_the_run_at_once(tmp_path: Path) -> None:
    # Before: the stop at once of the start-up was armed in run_live, after the options' and
    # the command's modules had loaded (httpx, rich, the feeds: 0.6 s at a low priority on a
    # loaded machine); a SIGHUP right after the log's first line waited for them (2.14 s once
    # in CI). Here their load is made to last 30 s, and the signal comes at its start.
    import textwrap
    import time

    from faults.live_runs import SMALL, child_env

    program = textwrap.dedent(
        f"""
        import importlib.abc, os, signal, sys, time

        class SlowOptions(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name == "anchordesk.live.options":
                    os.kill(os.getpid(), signal.SIGHUP)
                    time.sleep(30)
                return None

        sys.meta_path.insert(0, SlowOptions())
        sys.argv = ["anchordesk", "live", *{SMALL!r}, "--seconds", "5",
                    "--record", {str(tmp_path / "show.mkv")!r}]
        from anchordesk.cli.main import main
        sys.exit(main())
        """
    )
    started_s = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True, text=True, timeout=120, env=child_env(tmp_path),
    )  # fmt: skip
    took_s = time.monotonic() - started_s
    assert run.returncode == 0, run.stderr
    assert "SIGHUP during start-up: stopped before the picture started" in run.stderr
    assert took_s < 20, run.stderr  # not after the 30 s load
    assert not (tmp_path / "show.mkv").exists()


@pytest.mark.parametrize("command", ["report", "import-csv"])
def test_a_full_disk_under_a_commands_file_is_a_fault_not_a_mistake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    # Before: `report --html PAGE` and `show import-csv … -o SHOW` on a full disk exited 2, "a
    # mistake in the command; nothing was started": a script told its user to fix the command.
    from report_sessions import write_big_session

    from anchordesk.cli.main import main
    from anchordesk.showfile.samples import sample_show_path
    from faults.disks import fill, tmpfs

    show = sample_show_path("en")
    assert show is not None
    session = tmp_path / "s.adsession"
    write_big_session(session)
    with tmpfs(tmp_path / "disk", 256) as disk:
        fill(disk)
        target = disk / ("page.html" if command == "report" else "show.json")
        if command == "report":
            argv = ["report", str(session), "--html", str(target)]
        else:
            argv = ["show", "import-csv", str(show.parent / "products.csv"), "--into",
                    str(show), "-o", str(target)]  # fmt: skip
        code = main(argv)
        assert not target.exists()
    said = capsys.readouterr()
    assert code == 1, said
    assert (
        "cannot write" in said.out + said.err and "No space left on device" in said.out + said.err
    )


def test_a_ctrl_c_during_desktop_install_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Ctrl+C halfway (KeyboardInterrupt, no OSError) left the files written whole so far
    # beside their names as hidden temporary files, and the folders made for them.
    from anchordesk.cli import desktop
    from anchordesk.core import files

    monkeypatch.setattr(desktop, "this_executable", lambda: Path(sys.executable))
    written = files._written_beside
    count = [0]

    def interrupted(*args: object) -> str:
        count[0] += 1
        if count[0] == 3:
            raise KeyboardInterrupt
        return written(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(files, "_written_beside", interrupted)
    with pytest.raises(KeyboardInterrupt):
        desktop.install(home=tmp_path / "share")
    assert not (tmp_path / "share").exists()


@pytest.mark.parametrize("form", ["text", "json", "html"])
def test_a_key_kept_whole_in_a_session_is_masked_by_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    # Before: a session of an older version (or someone else's) keeping the destination with
    # its key whole: `anchordesk report` printed rtmp://u:PW@host/app/KEY in its text, its
    # JSON and its page (the run writes them masked; the report took them as they were).
    import json
    import sqlite3

    from anchordesk.cli.main import main
    from anchordesk.store import SessionStore

    session = tmp_path / "s.adsession"
    SessionStore(session).close()
    data = {
        "kind": "stream_ended",
        "destination": "rtmp://u:SeCrEtP@h.example/live/SeCrEtK?x=SeCrEtQ",
        "live_s": 0.0, "live_again": 0, "down_at_end_s": 0.0,
        "last_error": "refused by rtmp://h.example/live/SeCrEtE",
    }  # fmt: skip
    with sqlite3.connect(session) as db:
        db.execute(
            "INSERT INTO show_events(source, id, at, kind, data)"
            " VALUES ('show', 'stream:1:0', 1800000000, 'stream_ended', ?)",
            (json.dumps(data),),
        )
    db.close()
    page = tmp_path / "r.html"
    argv = {"text": [], "json": ["--json"], "html": ["--html", str(page)]}[form]
    assert main(["report", str(session), "--lang", "en", *argv]) == 0
    shown = capsys.readouterr().out + (page.read_text() if form == "html" else "")
    assert "h.example/live/****" in shown
    assert "SeCrEt" not in shown


def test_the_report_command_suggested_for_a_session_can_be_pasted(tmp_path: Path) -> None:
    # Before: "report: anchordesk report my show's night.adsession": pasted in a shell, two
    # words and an open quote.
    import shlex

    from faults.live_runs import SMALL, child_env

    session = tmp_path / "my show's night.adsession"
    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", *SMALL, "--seconds", "1", "--no-record",
         "--to", "rtmp://127.0.0.1:1/app/k", "--session", str(session)],
        capture_output=True, text=True, timeout=120, env=child_env(tmp_path),
    )  # fmt: skip
    said = (run.stdout + run.stderr).splitlines()
    line = next(line for line in said if "; report: " in line)
    assert shlex.split(line.split("; report: ")[1]) == ["anchordesk", "report", str(session)]


def test_a_recording_name_that_is_not_utf8_leaves_the_run_and_its_files_whole(
    tmp_path: Path,
) -> None:
    # Before: `--record $'r\xff\xc2\x9b.mkv' --stats s.jsonl`: the run ended with exit 1 and
    # "CRITICAL uncaught exception" (UnicodeEncodeError: the --stats line held the name's lone
    # surrogate); without --stats, a "--- Logging error ---" traceback on stderr (the log
    # file's line held the recording thread's name); the C1 control went raw into both files.
    import json
    import os

    from faults.live_runs import SMALL, child_env

    record = os.fsencode(tmp_path) + b"/r\xff\xc2\x9b.mkv"
    stats = tmp_path / "s.jsonl"
    run = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"anchordesk", b"live", *map(os.fsencode, SMALL),
         b"--seconds", b"1", b"--record", record, b"--stats", os.fsencode(stats)],
        capture_output=True, timeout=120, env=child_env(tmp_path),
    )  # fmt: skip
    err = run.stderr.decode("utf-8", "backslashreplace")
    assert run.returncode == 0, err
    assert "Traceback" not in err and "Logging error" not in err
    assert os.path.getsize(record) > 0
    lines = stats.read_bytes()
    assert b"\xc2\x9b" not in lines
    first = json.loads(lines.splitlines()[0])
    assert first["outputs"][0]["files"] == [os.fsdecode(record)]
    log = next(tmp_path.glob("**/anchordesk.log")).read_bytes()
    assert b"\xc2\x9b" not in log and b"\\udcff" in log
