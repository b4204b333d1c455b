"""Opening a show of many products in the window (round 34, board34; R33board33 N1).

    .venv/bin/python benchmarks/open_big_show.py [--products 2000 5000 10000]

The real window (offscreen, 1366x768) with the small test picture opens a show of N products
and 2N segments (``controller.start_with_show``): printed, the time until the session has
started and the first turn of the event loop after it (the window frozen meanwhile), the time
of one poll after that, of a resize that changes the product list's columns, and of a deal's
start (the command and the window's refresh). Not a timed
test: figures to compare (note the load average printed with them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from window_parts import application, control_room, products_show


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, nargs="+", default=[2000, 5000])
    args = parser.parse_args()

    app = application()
    for count in args.products:
        with control_room(app) as (window, controller):
            show = products_show("Big show", count, segments=2 * count)
            began = time.perf_counter()
            controller.start_with_show(show)
            while controller.live is None or controller.show_state.title != "Big show":
                app.processEvents()
                if controller.live is not None:
                    controller.poll_show()
            app.processEvents()
            open_s = time.perf_counter() - began
            began = time.perf_counter()
            controller.poll_show()
            app.processEvents()
            poll_s = time.perf_counter() - began
            began = time.perf_counter()
            window.products.resize(window.products.width() + 240, window.products.height())
            app.processEvents()
            resize_s = time.perf_counter() - began
            starts = []
            for i in range(5):  # a deal's start, as the form's button: a command and a refresh
                began = time.perf_counter()
                controller.start_deal(f"P{i}", "9.99", 600, 10)
                app.processEvents()
                starts.append(time.perf_counter() - began)
            print(
                f"{count} products: opened in {open_s:.1f} s; a poll {poll_s:.2f} s; a resize"
                f" of the products panel {resize_s:.2f} s; a deal's start (p50 of 5)"
                f" {statistics.median(starts):.3f} s; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
