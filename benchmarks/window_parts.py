"""The real window for the window benchmarks (many_deals.py, open_big_show.py): offscreen at
1366x768 on the small test picture, recording off, and a show of N products."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def application() -> Any:
    """The one QApplication, its words in English."""
    from PySide6.QtWidgets import QApplication

    from anchordesk.ui import i18n

    app = QApplication.instance() or QApplication(sys.argv)
    i18n.install(app, "en")  # type: ignore[arg-type]
    return app


def products_show(title: str, count: int, segments: int = 0) -> Any:
    """A show of ``count`` products at $19.99 with 1,000 each; ``segments`` segments (two per
    product, each on its product), else one hour-long segment on none."""
    from anchordesk.show.model import Product, Segment, Show

    rundown = (
        tuple(Segment(f"Segment {i}", 60, f"P{i // 2}", "") for i in range(segments))
        if segments
        else (Segment("All", 3600, None, ""),)
    )
    return Show(
        title=title,
        currency="USD",
        language="en",
        products=tuple(
            Product(f"P{i}", f"Product {i}", Decimal("19.99"), 1000) for i in range(count)
        ),
        rundown=rundown,
    )


@contextmanager
def control_room(app: Any) -> Iterator[tuple[Any, Any]]:
    """(window, controller): the real window shown at 1366x768, closed and its controller shut
    down at the end."""
    from PySide6.QtCore import QSettings
    from tests.ui.conftest import small_controller

    from anchordesk.live.settings import Settings
    from anchordesk.ui.main_window import MainWindow

    executor = ThreadPoolExecutor(3, "bench")
    controller = small_controller(Settings(record=False, record_asked=True), executor)
    try:
        with tempfile.TemporaryDirectory() as folder:
            window = MainWindow(
                controller, QSettings(str(Path(folder) / "w.ini"), QSettings.Format.IniFormat)
            )
            window.resize(1366, 768)
            window.show()
            app.processEvents()
            try:
                yield window, controller
            finally:
                window._quitting = True
                controller.shutdown()
                window.close()
                window.deleteLater()
                app.processEvents()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
