"""Feed ingest under load: 500 comments/s and 50 orders/s for 60 s (``--seconds`` to shorten).

A generic-protocol JSON server runs in a child process (so its CPU does not share our GIL) and
produces items at the given rates by the clock. This process runs the real FeedHub with the
real session store (writer thread, WAL, synchronous=FULL) on an asyncio loop, and a heartbeat
coroutine on that loop measures how late it wakes up: the longest stall of the feeds' thread.

Prints: items stored, store commit latency (p50/p99/max), loop stall (p99/max, target < 16 ms)
with when each stall over 16 ms happened (seconds after the feeds started), the cyclic garbage
collector's pauses by generation (any thread; a pause holds the GIL, so it stalls the loop too),
and the load average (another process on the 2 cores shows up as stalls).

``--backlog N`` starts the server with N items already waiting, as after a network outage or a
restart: the feed catches up in pages of 2000 items.

    .venv/bin/python benchmarks/feeds.py [--seconds 60] [--comments 500] [--orders 50] [--backlog 0]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


def _serve(
    port_queue: Any, comments_per_s: float, orders_per_s: float, poll_ms: int, backlog: int
) -> None:
    rate = comments_per_s + orders_per_s
    started = time.monotonic() - backlog / rate if rate else time.monotonic()
    skus = ["SERUM-30", "CREAM-50", "CLEANSER-120", "MASK-10"]

    def item(index: int) -> dict[str, Any]:
        # Item i is an order every (comments+orders)/orders items, else a comment.
        every = max(1, round((comments_per_s + orders_per_s) / max(orders_per_s, 1e-9)))
        if orders_per_s and index % every == 0:
            sku = skus[index % len(skus)]
            return {
                "type": "order",
                "id": f"o{index}",
                "currency": "CNY",
                "total": "258.00",
                "lines": [{"sku": sku, "quantity": 2, "price": "129.00"}],
            }
        return {
            "type": "comment",
            "id": f"c{index}",
            "author": f"观众{index % 97}",
            "text": f"这个精华液敏感肌可以用吗？第{index}条 <b>hi</b>",
        }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            after = int(query.get("after", ["0"])[0])
            available = int((time.monotonic() - started) * (comments_per_s + orders_per_s))
            end = min(available, after + 2000)
            body = json.dumps(
                {
                    "items": [item(i) for i in range(after, end)],
                    "next": str(end),
                    "poll_ms": 0 if end < available else poll_ms,
                    "more": end < available,
                },
                ensure_ascii=False,
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def heartbeat(
    stop: asyncio.Event,
    lateness_ms: list[float],
    period_s: float,
    stalls: list[tuple[float, float]] | None = None,
) -> None:
    """Wake every ``period_s``; record how late; ``stalls`` gets (seconds since start, ms) of
    each wake-up later than 16 ms."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not stop.is_set():
        expected = loop.time() + period_s
        await asyncio.sleep(period_s)
        late_ms = max(0.0, (loop.time() - expected) * 1000.0)
        lateness_ms.append(late_ms)
        if stalls is not None and late_ms > 16:
            stalls.append((expected - started, late_ms))


class GcPauses:
    """Every collection of the cyclic garbage collector, timed, by generation."""

    def __init__(self) -> None:
        self.pauses_ms: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self.long_pauses: list[tuple[float, int, float]] = []  # (s since start, generation, ms)
        self._origin = time.monotonic()
        self._started: dict[int, float] = {}

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        thread = threading.get_ident()
        if phase == "start":
            self._started[thread] = time.monotonic()
        elif thread in self._started:
            began = self._started.pop(thread)
            elapsed_ms = (time.monotonic() - began) * 1000.0
            self.pauses_ms[info["generation"]].append(elapsed_ms)
            if elapsed_ms > 16:
                self.long_pauses.append((began - self._origin, info["generation"], elapsed_ms))

    def summary(self) -> str:
        parts = []
        for generation, pauses in self.pauses_ms.items():
            worst = max(pauses or [0.0])
            parts.append(f"gen{generation} {len(pauses)}x max {worst:.2f} ms")
        parts += [f"gen{gen} {ms:.1f} ms at {at:.2f} s" for at, gen, ms in self.long_pauses[:5]]
        return ", ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--comments", type=float, default=500.0, help="comments per second")
    parser.add_argument("--orders", type=float, default=50.0, help="orders per second")
    parser.add_argument("--poll-ms", type=int, default=250)
    parser.add_argument("--backlog", type=int, default=0, help="items waiting at the start")
    args = parser.parse_args()
    baseline_ms: list[float] = []
    baseline_s = min(10.0, args.seconds)

    async def idle() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(baseline_s, stop.set)
        await heartbeat(stop, baseline_ms, 0.002)

    # The machine's own noise (other processes, the scheduler): the same heartbeat, no feeds.
    asyncio.run(idle())

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from anchordesk.feeds.hub import FeedHub
    from anchordesk.live.options import FeedSpec
    from anchordesk.show.compliance import find_hits
    from anchordesk.store import SessionStore, StoreWriter

    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=_serve,
        args=(ports, args.comments, args.orders, args.poll_ms, args.backlog),
        daemon=True,
    )
    server.start()
    port = ports.get(timeout=10)
    url = f"http://127.0.0.1:{port}/feed"

    with tempfile.TemporaryDirectory() as folder:
        session = Path(folder) / "bench.adsession"
        writer = StoreWriter(session)
        hub = FeedHub(
            [FeedSpec("json", url)],
            writer,
            flag_terms=lambda text: [hit.term for hit in find_hits(text)],
        )
        lateness_ms: list[float] = []
        stalls: list[tuple[float, float]] = []

        async def run() -> None:
            stop = asyncio.Event()
            asyncio.get_running_loop().call_later(args.seconds, stop.set)
            await asyncio.gather(hub.run(stop), heartbeat(stop, lateness_ms, 0.002, stalls))

        gc_pauses = GcPauses()
        gc.callbacks.append(gc_pauses)
        started = time.perf_counter()
        asyncio.run(run())
        elapsed = time.perf_counter() - started
        gc.callbacks.remove(gc_pauses)
        writer.close()
        store = SessionStore(session, read_only=True)
        comments, orders = store.count("comments"), store.count("orders")
        store.close()
        commits = list(writer.write_latencies_ms)
    server.terminate()
    server.join(5)

    offered = (args.comments + args.orders) * args.seconds + args.backlog
    print(
        f"feeds benchmark: {args.comments:g} comments/s + {args.orders:g} orders/s "
        f"for {args.seconds:g} s (poll {args.poll_ms} ms, backlog {args.backlog})"
    )
    print(
        f"  stored            {comments} comments, {orders} orders "
        f"({(comments + orders) / elapsed:.0f} items/s; offered ~{offered:.0f} items)"
    )
    print(
        f"  store commits     {len(commits)}  p50 {statistics.median(commits or [0]):.2f} ms  "
        f"p99 {percentile(commits, 0.99):.2f} ms  max {max(commits or [0]):.2f} ms"
    )
    print(
        f"  loop stall        p99 {percentile(lateness_ms, 0.99):.2f} ms  "
        f"max {max(lateness_ms or [0]):.2f} ms  (target: none over 16 ms; "
        f"{sum(1 for v in lateness_ms if v > 16)} over)"
    )
    if stalls:
        listed = ", ".join(f"{ms:.1f} ms at {at:.2f} s" for at, ms in stalls[:10])
        print(f"  stalls over 16 ms {listed}")
    print(f"  gc pauses         {gc_pauses.summary()}")
    print(
        f"  baseline (no feeds, {baseline_s:g} s) p99 {percentile(baseline_ms, 0.99):.2f} ms  "
        f"max {max(baseline_ms or [0]):.2f} ms  "
        f"({sum(1 for v in baseline_ms if v > 16)} over 16 ms)"
    )
    health = hub.health()[0]
    print(
        f"  feed health       {health.state}, {health.requests} requests, "
        f"{health.errors} errors, last latency {health.last_latency_ms or 0:.1f} ms"
    )
    load_1, load_5, _ = os.getloadavg()
    print(f"  load average      {load_1:.2f} (1 min), {load_5:.2f} (5 min) at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
