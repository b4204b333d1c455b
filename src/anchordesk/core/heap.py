"""The cyclic garbage collector's policy while a show runs.

A full (generation 2) collection visits every object the collector tracks, and it holds the
GIL while it does: the event loop, the picture's threads and the window all wait. A show's
heap grows with its orders (about eight tracked objects per order: the ledger's, the board's,
the store's rows), so in a show of 100,000 orders each full collection held everything for
0.5–0.9 s, and found no garbage (benchmarks/big_pages.py).

So, while a show runs, whatever survives a full collection is frozen (``gc.freeze``): it is
long-lived by then, and later full collections visit only what is newer. Frozen objects are
still freed by reference counting; only a reference cycle frozen before it became garbage
waits. When the last running show ends, everything is thawed (``gc.unfreeze``), so the ended
show's cycles are collected by the next full collection and nothing is kept across shows.

The start-up heap (modules, classes, the HTTP stack, Qt's wrappers) is frozen as soon as the
first show starts in the process; a later show waits for its first full collection, which
collects the ended show's cycles before it freezes what is left.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
_running = 0
_started_once = False


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    # Called by the collector on whichever thread triggered it, after the collection: what is
    # tracked now survived a full collection.
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


@contextlib.contextmanager
def long_lived_frozen() -> Iterator[None]:
    """Freeze what survives full collections while the body runs (one show's lifetime);
    nested or concurrent shows share one policy, thawed when the last of them ends."""
    global _running, _started_once
    with _lock:
        _running += 1
        if _running == 1:
            if not _started_once:
                _started_once = True
                gc.freeze()
            gc.callbacks.append(_freeze_survivors)
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                gc.callbacks.remove(_freeze_survivors)
                gc.unfreeze()
