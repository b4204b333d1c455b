"""How long ``anchordesk live --session FILE`` takes to continue a session of many comments.

The resume runs on the event loop before the show goes on (a stop asked meanwhile waits for
it). It reads the comments' times (the board's counts and rates) and the newest 5,000 whole.

    .venv/bin/python benchmarks/session_resume.py [--comments 1000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from anchordesk.live.runtime import ShowRuntime
from anchordesk.live.show_session import ShowSession
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.feed_items import Comment
from anchordesk.show.model import Product, Segment, Show
from anchordesk.store import StoreWriter

SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("MUG", "Mug", Decimal("24.00"), 5),),
    rundown=(Segment("Mug", 600, "MUG"),),
)


def session(path: Path) -> ShowSession:
    return ShowSession(
        mode=SessionMode.LIVE,
        runtime=ShowRuntime(SHOW, 0.0),
        writer=StoreWriter(path),
        feeds=[],
        simulated=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    count = parser.parse_args().comments
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "show.adsession"
        first = session(path)
        first.ingest([Comment("json", "c0", "bo", "hello")])
        first.close_store()
        with sqlite3.connect(path) as db:  # the rest as the first's row, quicker than pages
            db.execute(
                "INSERT INTO comments (source, id, received_at, published_at, author, text,"
                " is_moderator, is_owner, paid_amount, paid_currency, flagged_terms,"
                " is_question, author_id) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
                " SELECT i + 1 FROM n WHERE i < ?) SELECT source, 'c' || i, received_at + i"
                " * 0.01, published_at, author, text, is_moderator, is_owner, paid_amount,"
                " paid_currency, flagged_terms, i % 7 = 0, author_id FROM comments, n",
                (count - 1,),
            )
        db.close()
        started = time.perf_counter()
        again = session(path)
        took = time.perf_counter() - started
        again.close_store()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"resume of {count:,} comments: {took:.2f} s, peak memory {peak_mb} MB")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
