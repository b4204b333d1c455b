"""A store writer that cannot finish within its close's time says so: the run must not end
with exit 0 and "every file whole" while its last events die with the program."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from anchordesk.show.feed_items import Comment
from anchordesk.store.session import StoreError
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


def test_a_page_stored_after_the_close_is_refused_at_once_not_left_waiting(
    tmp_path: Path,
) -> None:
    """The window closing while a feed's page was in flight: the page came after the session
    file was closed, went into the queue behind the stop, and its future was never answered.
    The feeds' task waited for it until the window cancelled it (the 5.6 s close of round
    eleven, bounded to 1 s). Now it is refused at once: the page is asked again next run."""
    writer = StoreWriter(tmp_path / "show.sqlite")
    writer.close(timeout_s=30)
    page = [Comment("json", "c1", "amy", "hello")]

    async def store_the_page() -> None:
        async with asyncio.timeout(5):
            await writer.write_batch("json", page, "cursor-1")

    with pytest.raises(StoreError, match="already closed"):
        asyncio.run(store_the_page())
    with pytest.raises(StoreError, match="already closed"):
        writer.call(lambda _store: None).result(5)
