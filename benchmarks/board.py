"""The data board's cost on the event loop for a busy one-hour show (``--orders`` to change).

The window polls the snapshot ten times a second; ``live/board.py`` recomputes the figures at
most every 0.5 s (``REFRESH_S``) and the order-derived part (buyers, GMV per segment and
currency, average order: it reads every order) only when an order or update arrived, at most
every 2 s (``ORDERS_REFRESH_S``). This prints both costs and the share of one core they take at
those rates, and the load average (other processes on the 2 cores inflate the figures).

    .venv/bin/python benchmarks/board.py [--orders 10000] [--comments 72000] [--products 20]
"""

from __future__ import annotations

import argparse
import os
import time
from decimal import Decimal

from anchordesk.live.board import ORDERS_REFRESH_S, REFRESH_S
from anchordesk.show.board import AudienceCurve, board_figures, order_figures
from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.show.ledger import Ledger
from anchordesk.show.model import Product

T0 = 1_800_000_000.0
HOUR_S = 3600.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=72_000)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    products = [
        Product(f"P{i}", f"Product {i}", Decimal("10.00"), 10**6) for i in range(args.products)
    ]
    ledger = Ledger(products, "USD")
    for segment in range(12):
        ledger.segment_started(segment, f"S{segment}", f"P{segment}", T0 + segment * 300)
    for n in range(args.orders):
        line = OrderLine(f"P{n % args.products}", 1, Decimal("10.00"))
        order = Order("json", f"o{n}", "USD", Decimal("10.00"), (line,), customer=f"c{n % 3000}")
        ledger.add_order(order, T0 + n * HOUR_S / args.orders)
    audience = AudienceCurve()
    for tick in range(int(HOUR_S / 5)):
        audience.add(T0 + tick * 5, "rehearsal", 1000 + tick % 50)
    comments = [T0 + i * HOUR_S / args.comments for i in range(args.comments)]
    stock = {p.sku: 1000 for p in products}
    started = time.perf_counter()
    for _ in range(args.repeat):
        orders = order_figures(ledger)
    orders_ms = (time.perf_counter() - started) / args.repeat * 1000
    started = time.perf_counter()
    for _ in range(args.repeat):
        board_figures(
            ledger, audience, comments, T0 + HOUR_S, started_at=T0, stock_left=stock,
            on_sale={"P1"}, orders=orders,
        )  # fmt: skip
    board_ms = (time.perf_counter() - started) / args.repeat * 1000
    print(
        f"one hour: {args.orders:,} orders, {args.comments:,} comments, {len(audience.times):,} "
        f"viewer samples, {args.products} products, 12 segments"
    )
    print(f"  figures (every {REFRESH_S} s):            {board_ms:6.1f} ms  "
          f"({board_ms / (REFRESH_S * 1000) * 100:.1f} % of a core)")  # fmt: skip
    print(f"  order figures (at most every {ORDERS_REFRESH_S} s): {orders_ms:6.1f} ms  "
          f"({orders_ms / (ORDERS_REFRESH_S * 1000) * 100:.1f} % of a core)")  # fmt: skip
    print(f"  load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
