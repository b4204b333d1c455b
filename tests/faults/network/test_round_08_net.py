"""Round eight, network / disk / stopping / secrets: what the eighth hostile round found.

Each test reproduces one finding with real parts (files on the real disk, SQLite, real
``anchordesk live`` processes) and failed before its fix (R8net.md).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from anchordesk.cli.main import main
from anchordesk.show.feed_items import Comment
from anchordesk.store.session import SessionStore, StoreError
from anchordesk.store.writer import StoreWriter

from ..disks import ext4_turning_read_only, tmpfs
from ..live_runs import SMALL, LiveRun, child_env


def _run(folder: Path) -> list[str]:
    return ["live", *SMALL, "--record", str(folder / "show.mkv"), "--seconds", "1"]


def _out_of_inodes(folder: Path, free: int) -> None:
    """Use up the disk's free inodes but ``free`` (it keeps all its free bytes)."""
    total = os.statvfs(folder).f_ffree
    for number in range(total - free):
        (folder / f"note{number}").touch()
    assert os.statvfs(folder).f_ffree == free


def test_a_new_session_on_a_disk_out_of_free_inodes_is_said_to_be_full(tmp_path: Path) -> None:
    # Before: "S.adsession cannot be written (unable to open database file)": SQLite's words.
    # The disk had megabytes free and room for the session file, not for its write-ahead log.
    with tmpfs(tmp_path / "disk", 1024, inodes=8) as disk:
        _out_of_inodes(disk, 3)  # room for some of the files SQLite makes, not all
        with pytest.raises(StoreError) as refused:
            SessionStore(disk / "S.adsession")
    assert str(refused.value) == f"the disk holding {disk / 'S.adsession'} is full"


def test_a_run_refused_for_its_session_s_disk_leaves_no_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the session's disk took the small file the early check writes, not SQLite's
    # files; the refusal came after the recording had begun: exit 2 ("nothing was started")
    # and a stray show.mkv (the next run then recorded into show-2.mkv).
    with tmpfs(tmp_path / "disk", 1024, inodes=8) as disk:
        _out_of_inodes(disk, 3)
        session = disk / "S.adsession"
        assert main([*_run(tmp_path), "--session", str(session)]) == 2
        assert capsys.readouterr().err.strip() == (
            f"error: --session: the disk holding {session} is full"
        )
        assert not [path for path in disk.iterdir() if not path.name.startswith("note")]
    assert not (tmp_path / "show.mkv").exists()


def test_a_server_this_computer_has_no_way_to_is_said_in_words(tmp_path: Path) -> None:
    # Before: "[Errno 101] Network is unreachable" (rtmp) and "could not reach the server
    # ([Errno 101] Network is unreachable)" (rtmps): Python's words for a laptop whose Wi-Fi
    # is off. Linux has no route for TCP to a multicast address: the same error, here.
    urls = ("rtmp://224.0.0.1:1935/live/KEY8", "rtmps://224.0.0.1/live/KEY8")
    run = LiveRun(*SMALL, "--no-record", *(f"--to={url}" for url in urls), env=child_env(tmp_path))
    try:
        for port in (1935, 443):
            run.wait_for_line(
                f"this computer cannot reach 224.0.0.1:{port} (network is unreachable: check "
                "that it is online, and any VPN or firewall in between); retrying in",
                30,
            )
        run.send(signal.SIGTERM)
        run.wait(30)  # the exit code of a show that never went out is not this test's matter
    finally:
        run.kill()
    assert "Errno" not in run.stderr and "KEY8" not in run.stderr


@pytest.mark.parametrize("scheme", ["rtmp", "rtmps"])
def test_an_ipv6_address_with_a_zone_is_refused_in_words(
    scheme: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the run went on and every attempt said "Invalid argument returned 22" (rtmp)
    # or "the server's name was not found: fe80::1%25lo" (rtmps), for the whole show.
    url = f"{scheme}://[fe80::1%25lo]:1935/live/KEY8"
    assert main([*_run(tmp_path), "--to", url]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --to {scheme}://[fe80::1%25lo]:1935/live/****: an IPv6 address with a zone "
        "('%25lo') cannot be streamed to: use the server's name or another of its addresses"
    )
    assert not (tmp_path / "show.mkv").exists()


def test_a_session_whose_disk_the_system_made_read_only_says_read_only(tmp_path: Path) -> None:
    # Before: "S.adsession cannot be written (disk I/O error)" (SQLite's words) while the
    # recording and --stats on the same disk said "the disk holding … is read-only".
    with ext4_turning_read_only(tmp_path / "usb") as fail:
        path = tmp_path / "usb" / "S.adsession"
        writer = StoreWriter(path)
        try:
            writer.submit_batch("json", _comments(0, 40), "40").result(10)
            fail()
            with pytest.raises(StoreError) as stopped:
                writer.submit_batch("json", _comments(40, 2000), "2000").result(10)
        finally:
            writer.close()
    assert str(stopped.value).startswith(
        f"session store {path}: stopped writing: the disk holding {path} is read-only"
    )


def _comments(first: int, count: int) -> list[Comment]:
    return [Comment("json", f"c{n}", f"viewer{n}", f"comment {n}") for n in range(first, count)]
