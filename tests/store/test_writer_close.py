"""A store writer that cannot finish within its close's time says so: the run must not end
with exit 0 and "every file whole" while its last events die with the program."""

from __future__ import annotations

import threading
from pathlib import Path

from anchordesk.store.writer import StoreWriter


def test_a_close_that_runs_out_of_time_is_a_fault_naming_the_file(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "show.sqlite")
    busy = threading.Event()
    release = threading.Event()

    def slow_commit(_store: object) -> None:  # a commit on a machine too busy to finish it
        busy.set()
        release.wait(30)

    pending = writer.call(slow_commit)
    assert busy.wait(30)
    writer.close(timeout_s=0.05)
    assert writer.fault == (
        f"session store {tmp_path / 'show.sqlite'}: not finished within 0.05 s; "
        "the last events may be missing"
    )
    release.set()
    pending.result(30)


def test_a_close_in_time_leaves_no_fault(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "show.sqlite")
    writer.call(lambda _store: None).result(30)
    writer.close(timeout_s=30)
    assert writer.fault is None
