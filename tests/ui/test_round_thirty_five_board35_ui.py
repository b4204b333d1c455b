"""Round thirty-five (board35): in the window, a deal's start costs what it changes, not what
the show holds. Work is counted (rows made, cards looked at), never timed; benchmarks/
many_deals.py measures the real window."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from anchordesk.live.settings import Settings
from anchordesk.show.model import Product, Segment, Show
from anchordesk.ui.docks import products as products_dock
from anchordesk.ui.docks.products import ProductPanel
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.state import DealRow, ProductRow, ShowState

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


def _deal(i: int, title: str = "") -> DealRow:
    return DealRow(
        f"P{i}", "live", Decimal("9.99"), 600.0, 600.0, 10, 10,
        title=title or f"Product {i}", currency="USD", deal_id=f"d{i}",
    )  # fmt: skip


def _panel_with_deals(qtbot: QtBot, count: int, measured: list[str] | None = None) -> Any:
    """The products panel, 40 products, ``count`` deals running (the first on a long title),
    started one by one with a turn of the event loop after each."""
    panel = ProductPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 700)
    panel.show()
    rows = tuple(ProductRow(f"P{i}", f"Product {i}", Decimal("19.99"), 1000, 0) for i in range(40))
    state = ShowState(title="Many", currency="USD", language="en", products=rows)
    deals = [_deal(0, LONG_TITLE)]
    panel.update_state(replace(state, deals=tuple(deals)))
    QApplication.processEvents()
    for i in range(1, count):
        deals.append(_deal(i))
        if measured is not None:
            measured.clear()
        panel.update_state(replace(state, deals=tuple(deals)))
        QApplication.processEvents()
        if measured is not None and i >= 3:
            # The new row only (the third row brought the scroll bar: the width changed once).
            assert measured == [f"Product {i}"]
    return panel


LONG_TITLE = "Ceramic pour-over coffee dripper with a matching double-walled glass carafe"


def _whole(panel: Any) -> list[tuple[int, int]]:
    """Each running row's height and what its words need at its width, where short."""
    return [
        (row.line.height(), row.label.heightForWidth(row.label.width()))
        for row in panel._running_rows.values()
        if row.line.height() < row.label.heightForWidth(row.label.width())
    ]


def test_five_running_deals_rows_each_show_their_words_whole(qtbot: QtBot) -> None:
    """Five deals running under the deal form (one on a long title). Before: the scroll area
    kept its box at the height it had before the last rows came, and the five rows were
    squeezed into 24 px each where their words need 28 (the long title 42): each row's
    figures line was cut. Now every row is as tall as its words wrapped at its width."""
    panel = _panel_with_deals(qtbot, 5)
    assert len(panel._running_rows) == 5
    assert _whole(panel) == []
    panel.resize(300, 700)
    QApplication.processEvents()
    assert _whole(panel) == []
    # A deal in the middle stops: the rows below move up, none over another, no gap.
    state = ShowState(title="Many", currency="USD", language="en", products=panel._products)
    panel.update_state(replace(state, deals=(_deal(0, LONG_TITLE), _deal(1), _deal(3), _deal(4))))
    QApplication.processEvents()
    lines = [row.line.geometry() for row in panel._running_rows.values()]
    assert [line.y() for line in lines[1:]] == [
        above.y() + above.height() + panel._running.spacing for above in lines[:-1]
    ]
    assert _whole(panel) == [] and len(lines) == 4


def test_a_running_deal_s_row_is_measured_when_its_words_or_width_change(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows of the deals running under the deal form wrap their words. Before: a box of
    wrapping rows was measured and laid out whole whenever a row came or went, and each start
    cost as much as the deals running (benchmarks/many_deals.py: 500 deals took 10 s to start
    with that alone). Now a row is measured when its words or the rows' width change."""
    measured: list[str] = []
    size_hint = products_dock._RowLine.sizeHint

    def counting(line: Any) -> Any:
        if line._hint is None:
            measured.append(line.findChild(QLabel).text().split("\n")[0])
        return size_hint(line)

    monkeypatch.setattr(products_dock._RowLine, "sizeHint", counting)
    panel = _panel_with_deals(qtbot, 30, measured)
    assert _whole(panel) == []
    # A narrower dock: every row measured again at its new width, once.
    measured.clear()
    panel.resize(300, 700)
    QApplication.processEvents()
    titles = [row.label.text().split("\n")[0] for row in panel._running_rows.values()]
    assert sorted(measured) == sorted(titles)
    assert _whole(panel) == []
