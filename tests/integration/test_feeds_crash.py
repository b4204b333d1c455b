"""The program killed with kill -9 mid-show and restarted with the same session: every item
is kept exactly once and the report's totals equal what the server served."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer

from anchordesk.cli import main as cli_main
from anchordesk.store.report import build_report

pytestmark = pytest.mark.integration


def stored_count(session: Path) -> int:
    if not session.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{session}?mode=ro", uri=True, timeout=5)
        try:
            return int(
                db.execute(
                    "SELECT (SELECT COUNT(*) FROM comments) + (SELECT COUNT(*) FROM orders)"
                ).fetchone()[0]
            )
        finally:
            db.close()
    except sqlite3.OperationalError:
        return 0  # the schema is not there yet


def start_ingest(session: Path, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "anchordesk.live.feeds",
            "--session",
            str(session),
            "--feed",
            f"json={url}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_until(condition, timeout_s: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def test_kill_9_and_restart_with_the_same_session_keeps_every_item_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = JsonFeedServer(poll_ms=20, page_size=7)
    server.start()
    session = tmp_path / "show.adsession"
    try:
        for n in range(400):
            if n % 4 == 0:
                server.add_order(f"SKU-{n % 3}", 1 + n % 5, "19.99")
            else:
                server.add_comment(f"viewer{n}", f"hello {n}")
        for kill in range(3):
            process = start_ingest(session, server.url)
            target = 100 * (kill + 1)
            # Kill it mid-stream: pages are still flowing (7 items a page, 400 waiting).
            wait_until(lambda target=target: stored_count(session) >= target)
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            for n in range(30):
                server.add_order("SKU-NEW", 1, "0.10") if n % 3 == 0 else server.add_comment(
                    "late", f"while it was down {kill}.{n}"
                )
        process = start_ingest(session, server.url)
        total = len(server.items)
        wait_until(lambda: stored_count(session) >= total)
        time.sleep(0.2)  # a few more polls: nothing more may arrive
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0, process.stderr.read() if process.stderr else ""
    finally:
        server.stop()

    assert stored_count(session) == total
    comments, orders, gmv, units = server.served_totals()
    report = build_report(session)
    assert (report.comments, report.orders) == (comments, orders)
    assert report.ledger.gmv_by_currency == {"CNY": gmv}
    assert report.units_by_sku == units
    # Restarts continued from the stored cursor: they did not start from the beginning.
    afters = [query.get("after") for _, query, _ in server.requests]
    assert afters.count(None) == 1, "a restart asked again from the beginning"
    positions = [int(a) for a in afters if a is not None]
    assert positions == sorted(positions), "a restart asked again for pages it had stored"

    capsys.readouterr()
    assert cli_main(["report", str(session), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["comments"] == comments and printed["orders"] == orders
    assert printed["gmv"] == str(gmv) and printed["currency"] == "CNY"
    assert printed["units_by_sku"] == units
    assert isinstance(printed["segments"], list)
