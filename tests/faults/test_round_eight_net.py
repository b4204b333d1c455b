"""Round eight, network / disk / stopping / secrets: what the eighth hostile round found.

Each test reproduces one finding with real parts (files on the real disk, SQLite, real
``anchordesk live`` processes) and failed before its fix (R8net.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from anchordesk.cli.main import main
from anchordesk.store.session import SessionStore, StoreError

from .disks import tmpfs
from .live_runs import SMALL


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
