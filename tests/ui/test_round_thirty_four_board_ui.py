"""Round thirty-four (board34): the window with many deals running at once, and counts said
with their noun in the language's plural forms. Work is counted, never timed (benchmarks/
many_deals.py measures the real window)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from anchordesk.live.snapshot import LiveSnapshot
from anchordesk.show.board import BoardFigures, ProductFigures
from anchordesk.ui.docks.board import BoardPanel
from anchordesk.ui.docks.products import ProductPanel
from anchordesk.ui.state import DealRow, ProductRow, ShowState

DEALS = 60
T0 = 1_800_000_000.0


def _deal(i: int, seconds_left: float, stock_left: int = 10) -> DealRow:
    return DealRow(
        f"P{i}", "live", Decimal("9.99"), seconds_left, 600.0, stock_left, 10,
        title=f"Product {i}", currency="USD", deal_id=f"d{i}",
    )  # fmt: skip


def _count_running_rows_written(panel: ProductPanel, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The running deals' rows written from now on (their texts): work counted, not timed."""
    written: list[str] = []
    set_text = QLabel.setText

    def counting(label: QLabel, text: str) -> None:
        if any(label is row[0] for row in panel._running_rows.values()):
            written.append(text)
        set_text(label, text)

    monkeypatch.setattr(QLabel, "setText", counting)
    return written


def test_many_running_deals_are_written_only_when_they_change_and_leave_nothing_behind(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: every running deal's row under the deal form was written again at every refresh
    (ten a second), and each start is one: starting 500 deals in the window took 114 s and
    each poll about 1 s with them running. A stopped deal's empty layout stayed in the panel
    for the whole show. Now a refresh writes the rows whose words changed, and a stopped deal
    leaves no widget and no layout behind."""
    panel = ProductPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 700)
    panel.show()
    products = tuple(
        ProductRow(f"P{i}", f"Product {i}", Decimal("19.99"), 1000, 0) for i in range(DEALS)
    )
    state = ShowState(title="Many", currency="USD", language="en", products=products)
    panel.update_state(state)
    written = _count_running_rows_written(panel, monkeypatch)
    deals: list[DealRow] = []
    for i in range(DEALS):
        written.clear()
        deals.append(_deal(i, 600.0))
        panel.update_state(replace(state, deals=tuple(deals)))
        # The new deal's row only (was: every running deal's row again).
        assert written == [f"Product {i}\n$9.99 · 10:00 left · 10 of 10 units left"]
    QApplication.processEvents()
    written.clear()
    # A tenth of a second later: no clock turned, nothing sold — nothing is written.
    deals = [_deal(i, 599.9) for i in range(DEALS)]
    panel.update_state(replace(state, deals=tuple(deals)))
    assert written == []
    # One deal sold a unit and every clock turned a second: each row says it.
    deals = [_deal(i, 599.0, 9 if i == 7 else 10) for i in range(DEALS)]
    panel.update_state(replace(state, deals=tuple(deals)))
    assert len(written) == DEALS
    assert "Product 7\n$9.99 · 9:59 left · 9 of 10 units left" in panel.running_deal_texts()
    written.clear()
    # The on-screen product's deal is the form's: its row goes, the others are not written.
    panel.update_state(replace(state, deals=tuple(deals), on_screen_sku="P3", deal=deals[3]))
    assert written == [] and len(panel.running_deal_texts()) == DEALS - 1
    for stopped in range(DEALS, 0, -1):
        panel.update_state(replace(state, deals=tuple(deals[: stopped - 1])))
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert panel.running_deal_texts() == []
    # Nothing left of the stopped deals' rows: no label or button, no empty layout.
    assert panel._running_box.findChildren(QWidget) == []
    assert panel._running.count() == 0


def _figures(on_sale: int, sold: dict[int, int]) -> BoardFigures:
    return BoardFigures(
        at=T0, viewers_now=10, viewers_peak=10, viewer_history=(), comments_per_minute=0.0,
        orders_per_minute=0.0, orders=0, buyers=0, units=0, gmv_by_currency=(),
        average_order_value=(),
        products=tuple(
            ProductFigures(
                f"P{i}", f"Product {i}", "USD", sold.get(i, 0),
                Decimal("9.99") * sold.get(i, 0), 10 - sold.get(i, 0),
                sold.get(i, 0) / 3.0, 600.0 + i / 10 if sold.get(i) else None, i < on_sale,
            )
            for i in range(DEALS)
        ),
        segments=(),
    )  # fmt: skip


def test_the_boards_products_are_written_only_when_they_change(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: every product row of the data board (money formatted, four cells compared,
    columns measured) was written again at each change of the board; with every product in a
    live deal each deal's start rewrote all of them. Now only the rows that changed."""
    board = BoardPanel()
    qtbot.addWidget(board)
    board.show()
    written: list[int] = []
    cell = board._cell

    def counting(table: QTableWidget, row: int, column: int, text: str, *, right: bool) -> None:
        if table is board.products and column == 0:
            written.append(row)
        cell(table, row, column, text, right=right)

    monkeypatch.setattr(board, "_cell", counting)
    for on_sale in range(1, DEALS + 1):
        written.clear()
        board.update_snapshot(LiveSnapshot(currency="USD", board=_figures(on_sale, {})))
        assert written == [on_sale - 1]  # the new deal's product (was: every row)
    written.clear()
    # Orders of product 5: its row (units, GMV, forecast); a forecast's seconds that do not
    # change its minutes write nothing.
    board.update_snapshot(LiveSnapshot(currency="USD", board=_figures(DEALS, {5: 2})))
    assert written == [5]
    assert board.products.item(5, 1).text() == "2"
    assert board.products.item(5, 2).text() == "$19.98"
    assert board.products.item(5, 3).text() == "sells out in ~10 min"
    written.clear()
    board.update_snapshot(LiveSnapshot(currency="USD", board=_figures(DEALS, {5: 2})))
    assert written == []
    # A change of language writes them all, in its words.
    board.retranslate()
    assert sorted(written) == list(range(DEALS))
