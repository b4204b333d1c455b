"""The newest-item buffer between a capture thread and the pipeline."""

from __future__ import annotations

from anchordesk.media.buffers import NewestItemBuffer


def test_keeps_only_the_newest_and_counts_unread_items_as_dropped() -> None:
    buffer: NewestItemBuffer[str] = NewestItemBuffer()
    assert buffer.latest() is None
    buffer.put("a")
    buffer.put("b")  # "a" was never read
    buffer.put("c")  # nor "b"
    latest = buffer.latest()
    assert latest is not None and latest.item == "c" and latest.sequence == 3
    assert buffer.dropped == 2
    buffer.put("d")  # "c" was read: not a drop
    assert buffer.dropped == 2


def test_a_reader_may_repeat_the_newest_item_but_take_new_only_once() -> None:
    buffer: NewestItemBuffer[int] = NewestItemBuffer()
    buffer.put(1)
    first = buffer.take_new()
    assert first is not None and first.item == 1
    assert buffer.take_new() is None
    again = buffer.latest()
    assert again is not None and again.item == 1  # a pipeline repeats the last camera frame
    buffer.put(2)
    second = buffer.take_new()
    assert second is not None and second.item == 2
    assert buffer.dropped == 0


def test_clear_forgets_the_item_without_counting_a_drop() -> None:
    buffer: NewestItemBuffer[int] = NewestItemBuffer()
    buffer.put(1)
    buffer.clear()
    assert buffer.latest() is None
    buffer.put(2)
    assert buffer.dropped == 0
    assert buffer.put_count == 2
