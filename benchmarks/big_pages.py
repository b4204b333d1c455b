"""A catch-up of 100,000 orders in pages of 25,000 into a real rehearsal: the cyclic garbage
collector's full-collection pauses and the event loop's longest hold.

A local generic-protocol JSON feed serves the pages (in a thread: its CPU shares our GIL, as a
busy machine would); the real LiveShow stores them, applies them to the show in slices and
keeps the board. Prints the full (generation 2) collections' pauses, the loop's longest hold
and the count of holds over 100 ms, and the tracked and frozen object counts at the end.
``--no-freeze`` runs the same without core/heap.py's policy (what the previous release did
after start-up), for the ratio.

    .venv/bin/python benchmarks/big_pages.py [--orders 100000] [--page 25000] [--no-freeze]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import sys
import tempfile
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from anchordesk.feeds.spec import FeedSpec
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.model import DealPlan, Product, Segment, Show

SHOW = Show(
    "Catch-up",
    "USD",
    "en",
    (Product("MUG", "Mug", Decimal("12.00"), 50), Product("LAMP", "Lamp", Decimal("30.00"), 20)),
    (
        Segment("Mug", 600, "MUG", deal=DealPlan(Decimal("9.00"), 600, 10)),
        Segment("Lamp", 600, "LAMP"),
    ),
)


def _pages(orders: int, per_page: int) -> dict[str, bytes]:
    bodies: dict[str, bytes] = {}
    for page, first in enumerate(range(0, orders, per_page)):
        items = [
            {
                "type": "order",
                "id": f"o{n}",
                "currency": "USD",
                "lines": [
                    {"sku": "MUG" if n % 2 else "LAMP", "quantity": 1, "price": "12.00"},
                ],
            }
            for n in range(first, min(first + per_page, orders))
        ]
        more = first + per_page < orders
        bodies[str(page)] = json.dumps(
            {"items": items, "next": str(page + 1), "more": more}
        ).encode()
    return bodies


def _serve(bodies: dict[str, bytes]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            cursor = (parse_qs(urlsplit(self.path).query).get("after") or ["0"])[0]
            idle = {"items": [], "next": cursor, "poll_ms": 1000}
            body = bodies.get(cursor, json.dumps(idle).encode())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/feed"


async def _run(url: str, orders: int, folder: Path) -> None:
    pauses: list[float] = []
    started = [0.0]

    def timed(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        elif info["generation"] == 2:
            pauses.append((time.perf_counter() - started[0]) * 1000)

    options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
    plan = LiveShowPlan(show=SHOW, sessions_dir=folder, rehearsal_feeds=[FeedSpec("json", url)])
    live = build_live_show(options, plan, switched=True)
    holds: list[float] = []
    gc.callbacks.insert(0, timed)
    try:
        live.begin_session(SessionMode.REHEARSAL)
        began = last = time.perf_counter()
        while live.snapshot().sales.orders < orders and last - began < 600:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            holds.append(now - last)
            last = now
        took = time.perf_counter() - began
        tracked, frozen = len(gc.get_objects()), gc.get_freeze_count()
    finally:
        gc.callbacks.remove(timed)
        await live.close()
    print(f"orders on the board: {live.snapshot().sales.orders:,} in {took:.1f} s")
    print(
        f"full collections: {len(pauses)}, longest {max(pauses, default=0):.0f} ms, "
        f"sum {sum(pauses):.0f} ms; the last five: {[round(p) for p in pauses[-5:]]}"
    )
    print(
        f"loop: longest hold {max(holds) * 1000:.0f} ms, holds over 100 ms: "
        f"{sum(h > 0.1 for h in holds)}"
    )
    print(f"objects the collector tracks at the end: {tracked:,} (frozen: {frozen:,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=25_000)
    parser.add_argument("--no-freeze", action="store_true")
    arguments = parser.parse_args()
    if arguments.no_freeze:
        import anchordesk.feeds.hub as hub

        gc.freeze()  # the start-up heap, as before

        hub.long_lived_frozen = contextlib.nullcontext  # type: ignore[attr-defined]
    bodies = _pages(arguments.orders, arguments.page)
    server, url = _serve(bodies)
    print(f"load average: {os.getloadavg()[0]:.2f}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(_run(url, arguments.orders, Path(folder)))
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
