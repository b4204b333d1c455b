"""Round thirty-five (board35): in the window, a deal's start costs what it changes, not what
the show holds. Work is counted (rows made, cards looked at), never timed; benchmarks/
many_deals.py measures the real window."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from anchordesk.live.settings import Settings
from anchordesk.show.model import Product, Segment, Show
from anchordesk.ui.docks.products import ProductPanel
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.state import ProductRow

from .conftest import small_controller

DEALS = 10


def _window(qtbot: QtBot, executor: ThreadPoolExecutor, tmp_path: Path, products: int) -> Any:
    controller = small_controller(Settings(record=False, record_asked=True), executor)
    window = MainWindow(
        controller, QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    show = Show(
        "Many deals",
        "USD",
        "en",
        tuple(Product(f"P{i}", f"Product {i}", Decimal("19.99"), 1000) for i in range(products)),
        (Segment("All", 3600, None, ""),),
    )
    with qtbot.waitSignal(controller.session_started, timeout=20000):
        controller.start_with_show(show)
    qtbot.waitUntil(lambda: len(window.products._cards) == products, timeout=20000)
    return window


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """The product rows made and the product cards looked at from now on."""
    counts = {"rows": 0, "cards": 0}
    make_row = ProductRow.__init__
    render_card = ProductPanel._render_card

    def row(self: Any, *args: Any, **kw: Any) -> None:
        counts["rows"] += 1
        make_row(self, *args, **kw)

    def card(self: ProductPanel, *args: Any, **kw: Any) -> None:
        counts["cards"] += 1
        render_card(self, *args, **kw)

    monkeypatch.setattr(ProductRow, "__init__", row)
    monkeypatch.setattr(ProductPanel, "_render_card", card)
    yield counts


@pytest.mark.parametrize("products", [30, 150])
def test_a_deal_start_in_the_window_looks_at_the_cards_it_changed_whatever_the_show_size(
    qtbot: QtBot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    counted: dict[str, int],
    products: int,
) -> None:
    """Ten deals started from the deal form's command and stopped, each command one refresh of
    the window. Before: each refresh made every product's row (30 or 150) and looked at every
    product card. Now: the row of the product whose deal started or stopped, and its card
    (and the cards of the product on air and the one staged, before and now)."""
    window = _window(qtbot, executor, tmp_path, products)
    controller = window.controller
    try:
        controller.poll_show()
        QApplication.processEvents()
        steps = []
        for i in range(DEALS):
            for command in (
                lambda i=i: controller.start_deal(f"P{i}", "9.99", 600, 10),
                lambda i=i: controller.stop_deal(f"P{i}"),
            ):
                counted["rows"] = counted["cards"] = 0
                command()
                QApplication.processEvents()
                steps.append((counted["rows"], counted["cards"]))
        assert len(controller.show_state.deals) == 0
        assert {rows for rows, _ in steps} == {1}, steps
        assert max(cards for _, cards in steps) <= 3, steps
        # The cards say what they said: every product, its price and stock.
        assert window.products.card("P3").text() == "4 · Product 3\n$19.99 · 1,000 left · 0 sold"
    finally:
        window._quitting = True
        controller.shutdown()
