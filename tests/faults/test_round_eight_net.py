"""Round eight, network / disk / stopping / secrets: what the eighth hostile round found.

Each test reproduces one finding with real parts (files on the real disk, SQLite, real
``anchordesk live`` processes) and failed before its fix (R8net.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from anchordesk.store.session import SessionStore, StoreError

from .disks import tmpfs


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
