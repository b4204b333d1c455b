"""The window with many flash deals running at once (round 34, board34; round 35, board35).

    .venv/bin/python benchmarks/many_deals.py [--deals 300 500] [--polls 20]

The real window (offscreen, 1366x768) on a show of N products with the small test picture:
every product gets a deal (``controller.start_deal``, as the form's button does), each start
followed by the event loop's turn, then the show is polled as the controller's timer does
(``poll_show`` + ``processEvents``). Printed per N: the time to start the N deals, the product
and deal views the snapshots made per start (work, not time), a poll's p50 / max, the running
deals' rows written per poll, and the widgets and layouts left in the running-deals box after
every deal is stopped. Not a timed test: figures to compare (note the load average printed
with them).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any

from window_parts import application, control_room, products_show


def _count_views(made: dict[str, int]) -> Callable[[], None]:
    """Count the product and deal views made from now on into ``made``; returns the undo."""
    from anchordesk.live.snapshot import DealView, ProductView

    originals = {"products": ProductView.__init__, "deals": DealView.__init__}

    def counting(kind: str) -> Any:
        def init(self: Any, *args: Any, **kw: Any) -> None:
            made[kind] += 1
            originals[kind](self, *args, **kw)

        return init

    ProductView.__init__ = counting("products")  # type: ignore[method-assign]
    DealView.__init__ = counting("deals")  # type: ignore[method-assign]

    def restore() -> None:
        ProductView.__init__ = originals["products"]  # type: ignore[method-assign]
        DealView.__init__ = originals["deals"]  # type: ignore[method-assign]

    return restore


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deals", type=int, nargs="+", default=[300, 500])
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="profile the starts")
    args = parser.parse_args()

    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QLabel, QWidget

    app = application()
    for count in args.deals:
        with control_room(app) as (window, controller):
            controller.start_with_show(products_show("Many deals", count))
            deadline = time.monotonic() + 60
            while controller.live is None and time.monotonic() < deadline:
                app.processEvents()
            controller.poll_show()
            app.processEvents()
            panel = window.findChild(QWidget, "products")
            made = {"products": 0, "deals": 0}
            restore = _count_views(made)
            began = time.perf_counter()
            profile = cProfile.Profile() if args.profile else None
            if profile:
                profile.enable()
            for i in range(count):
                controller.start_deal(f"P{i}", "9.99", 600, 10)
                app.processEvents()
            if profile:
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
            controller.poll_show()
            app.processEvents()
            start_s = time.perf_counter() - began
            restore()
            writes = [0]

            def running_labels(panel: QWidget = panel) -> set[QLabel]:
                return {row[0] for row in panel._running_rows.values()}  # type: ignore[attr-defined]

            original = QLabel.setText

            def written(
                label: QLabel, text: str, writes: list[int] = writes, original: object = original
            ) -> None:
                if label in running_labels():
                    writes[0] += 1
                original(label, text)  # type: ignore[operator]

            QLabel.setText = written  # type: ignore[method-assign]
            polls = []
            for _ in range(args.polls):
                began = time.perf_counter()
                controller.poll_show()
                app.processEvents()
                polls.append(time.perf_counter() - began)
            QLabel.setText = original  # type: ignore[method-assign]
            shown = len(panel.running_deal_texts())  # type: ignore[union-attr]
            for i in range(count):
                controller.stop_deal(f"P{i}")
                app.processEvents()
            controller.poll_show()
            app.processEvents()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            box = panel._running_box  # type: ignore[union-attr]
            left_widgets = len(box.findChildren(QWidget))
            left_layouts = panel._running.count()  # type: ignore[union-attr]
            print(
                f"{count} deals: start {start_s:.1f} s (views made per start: products"
                f" {made['products'] / count:.1f}, deals {made['deals'] / count:.1f});"
                f" poll p50 {statistics.median(polls):.3f} s max {max(polls):.3f} s; rows shown"
                f" {shown}, rows written per poll {writes[0] / args.polls:.1f}; after stopping"
                f" all: {left_widgets} widgets, {left_layouts} layout items left;"
                f" load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
