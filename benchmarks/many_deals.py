"""The window with many flash deals running at once (round 34, board34).

    .venv/bin/python benchmarks/many_deals.py [--deals 300 500] [--polls 20]

The real window (offscreen, 1366x768) on a show of N products with the small test picture:
every product gets a deal (``controller.start_deal``, as the form's button does), each start
followed by the event loop's turn, then the show is polled as the controller's timer does
(``poll_show`` + ``processEvents``). Printed per N: the time to start the N deals, a poll's
p50 / max, the running deals' rows written per poll, and the widgets and layouts left in the
running-deals box after every deal is stopped. Not a timed test: figures to compare (note the
load average printed with them).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deals", type=int, nargs="+", default=[300, 500])
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="profile the starts")
    args = parser.parse_args()

    from PySide6.QtCore import QCoreApplication, QEvent, QSettings
    from PySide6.QtWidgets import QApplication, QLabel, QWidget
    from tests.ui.conftest import small_controller

    from anchordesk.live.settings import Settings
    from anchordesk.show.model import Product, Segment, Show
    from anchordesk.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    for count in args.deals:
        executor = ThreadPoolExecutor(3, "bench")
        controller = small_controller(Settings(record=False, record_asked=True), executor)
        with tempfile.TemporaryDirectory() as folder:
            window = MainWindow(
                controller, QSettings(str(Path(folder) / "w.ini"), QSettings.Format.IniFormat)
            )
            window.resize(1366, 768)
            window.show()
            show = Show(
                title="Many deals",
                currency="USD",
                language="en",
                products=tuple(
                    Product(f"P{i}", f"Product {i}", Decimal("19.99"), 1000) for i in range(count)
                ),
                rundown=(Segment("All", 3600, None, ""),),
            )
            controller.start_with_show(show)
            deadline = time.monotonic() + 60
            while controller.live is None and time.monotonic() < deadline:
                app.processEvents()
            controller.poll_show()
            app.processEvents()
            panel = window.findChild(QWidget, "products")
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
            writes = [0]

            def running_labels(panel: QWidget = panel) -> set[QLabel]:
                return {row[0] for row in panel._running_rows.values()}  # type: ignore[attr-defined]

            original = QLabel.setText

            def counting(
                label: QLabel, text: str, writes: list[int] = writes, original: object = original
            ) -> None:
                if label in running_labels():
                    writes[0] += 1
                original(label, text)  # type: ignore[operator]

            QLabel.setText = counting  # type: ignore[method-assign]
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
                f"{count} deals: start {start_s:.1f} s; poll p50 {statistics.median(polls):.3f} s"
                f" max {max(polls):.3f} s; rows shown {shown}, rows written per poll"
                f" {writes[0] / args.polls:.1f}; after stopping all: {left_widgets} widgets,"
                f" {left_layouts} layout items left; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            window._quitting = True  # type: ignore[attr-defined]
            controller.shutdown()
            window.close()
            window.deleteLater()
            app.processEvents()
        executor.shutdown(wait=True, cancel_futures=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
