"""Bounded hand-over between a producer thread and the pipeline: keep the newest, count drops.

A capture thread must never wait for the pipeline and the pipeline must never wait for a capture
thread, and no queue may grow when one side is slower. So the buffer holds one item: a new item
replaces the old one, and an item replaced before anyone read it is counted as dropped.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Stamped(Generic[T]):
    """An item with its sequence number (1, 2, …) so a reader can tell new from repeated."""

    item: T
    sequence: int


class NewestItemBuffer(Generic[T]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: Stamped[T] | None = None
        self._sequence = 0
        self._read_sequence = 0
        self._dropped = 0

    def put(self, item: T) -> None:
        with self._lock:
            if self._latest is not None and self._read_sequence < self._sequence:
                self._dropped += 1
            self._sequence += 1
            self._latest = Stamped(item, self._sequence)

    def latest(self) -> Stamped[T] | None:
        """The newest item (possibly one already read: a reader repeats it rather than wait)."""
        with self._lock:
            if self._latest is not None:
                self._read_sequence = self._sequence
            return self._latest

    def take_new(self) -> Stamped[T] | None:
        """The newest item if it was not read yet, else None."""
        with self._lock:
            if self._latest is None or self._read_sequence == self._sequence:
                return None
            self._read_sequence = self._sequence
            return self._latest

    def clear(self) -> None:
        with self._lock:
            self._latest = None
            self._read_sequence = self._sequence

    @property
    def dropped(self) -> int:
        """Items replaced before they were read."""
        with self._lock:
            return self._dropped

    @property
    def put_count(self) -> int:
        with self._lock:
            return self._sequence
