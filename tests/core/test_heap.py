"""The collector's policy while a show runs (core/heap.py): a full collection during a show
visits only what is newer than the last one, and nothing of an ended show is kept.

Each scenario runs in its own interpreter: the collector's state is the whole process's, and
a show another test left running would change what these see."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, tmp_path: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": f"{ROOT}/src:{ROOT}", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_what_survived_a_full_collection_during_a_show_is_not_visited_again(
    tmp_path: Path,
) -> None:
    said = _run(
        """
        import gc
        from anchordesk.core.heap import long_lived_frozen
        with long_lived_frozen():
            orders = [[index] for index in range(100_000)]  # tracked, long-lived
            gc.collect()
            visited = {id(o) for o in gc.get_objects()}
            print(sum(id(order) in visited for order in orders))
        gc.collect()
        visited = {id(o) for o in gc.get_objects()}
        print(sum(id(order) in visited for order in orders))
        """,
        tmp_path,
    )
    # During the show: none of the 100,000 is visited again; after it, all are, as before.
    assert said == ["0", "100000"]


def test_a_cycle_dropped_during_a_show_is_freed_once_the_last_show_ends(tmp_path: Path) -> None:
    said = _run(
        """
        import gc, weakref
        from anchordesk.core.heap import long_lived_frozen
        class Node:
            pass
        with long_lived_frozen():
            with long_lived_frozen():  # a second show beside the first
                node = Node(); node.me = node
                gone = weakref.ref(node)
                gc.collect()
                del node
            gc.collect()
            print(gone() is None)  # the first show still runs: frozen, kept
        gc.collect()
        print(gone() is None)
        """,
        tmp_path,
    )
    assert said == ["False", "True"]


def test_an_ended_rehearsal_is_freed_whole(tmp_path: Path) -> None:
    """A real rehearsal with its simulated audience (the feeds run, so the policy is on):
    after it ends, its session and a cycle made during it are collected."""
    said = _run(
        f"""
        import asyncio, gc, weakref
        from pathlib import Path
        from anchordesk.core import heap
        from anchordesk.feeds.spec import FeedSpec
        from tests.faults.remote_parts import rehearsing
        from tests.faults.remote.test_round_19_remote import SMALL_SHOW

        async def main():
            refs = []
            audience = [FeedSpec("rehearsal", "")]
            async with rehearsing(SMALL_SHOW, Path({str(tmp_path)!r}), audience) as live:
                while not heap._running:
                    await asyncio.sleep(0.01)
                gc.collect()
                print(gc.get_freeze_count() > 0)
                refs.append(weakref.ref(live.session))
                class Node:
                    pass
                node = Node(); node.me = node; refs.append(weakref.ref(node)); del node
                gc.collect()
            del live
            gc.collect()
            print(heap._running, all(ref() is None for ref in refs))

        asyncio.run(main())
        """,
        tmp_path,
    )
    assert said == ["True", "0", "True"]
