"""Round seven, network / disk / stopping / secrets: what the seventh hostile round found.

Each test reproduces one finding with real parts (SQLite files on the real disk, real
sockets and processes) and failed before its fix (R7net.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from anchordesk.store.session import SessionStore
from anchordesk.store.session_restore import remove_with_logs


def _session_named(folder: Path, name_bytes: int) -> Path:
    suffix = ".adsession"
    return folder / ("s" * (name_bytes - len(suffix)) + suffix)


def test_a_session_with_a_long_name_deleted_mid_show_is_written_again_under_its_name(
    tmp_path: Path,
) -> None:
    # A 246-byte name: SQLite takes it (its "-wal" makes 250 bytes of the 255 a disk takes),
    # the copy's "NAME.restoring-journal" did not: "cannot be written (File name too long)",
    # and every comment and order of the session was gone.
    path = _session_named(tmp_path, 246)
    store = SessionStore(path)
    try:
        store.set_meta("show", "Mug launch")
        remove_with_logs(path)  # a clean-up script
        assert store.deleted()
        assert store.write_again() == path
        store.set_meta("title", "after")
    finally:
        store.close()
    kept = SessionStore(path, read_only=True)
    try:
        assert (kept.meta("show"), kept.meta("title")) == ("Mug launch", "after")
    finally:
        kept.close()
    assert not [name for name in os.listdir(tmp_path) if "restoring" in name]


def test_a_session_with_the_longest_name_is_written_again_under_a_numbered_name_sqlite_opens(
    tmp_path: Path,
) -> None:
    # The longest session name SQLite takes (247 bytes: its "-journal" makes 255). Deleted,
    # and another file put at its name: the copy and the numbered name must fit as well.
    path = _session_named(tmp_path, 247)
    store = SessionStore(path)
    try:
        store.set_meta("show", "Mug launch")
        remove_with_logs(path)
        path.write_text("someone else's file")
        written = store.write_again()
        store.set_meta("title", "after")
    finally:
        store.close()
    assert written != path and written.name.endswith("-2.adsession")
    assert path.read_text() == "someone else's file"
    kept = SessionStore(written, read_only=True)
    try:
        assert (kept.meta("show"), kept.meta("title")) == ("Mug launch", "after")
    finally:
        kept.close()
