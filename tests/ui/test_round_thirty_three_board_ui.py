"""Round thirty-three (board33): the window, the remote control and the phone page with many
items, hostile names, and the keyboard."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from anchordesk.show.validate import MAX_PRODUCTS
from anchordesk.ui.docks.products import ProductPanel
from anchordesk.ui.state import ProductRow, ShowState


def _many_products(sold: int) -> tuple[ProductRow, ...]:
    # A fifth of the limit (MAX_PRODUCTS): laying out 10,000 cards takes Qt minutes here.
    return tuple(
        ProductRow(f"P{i}", f"Product {i}", Decimal("19.99"), 1000 - sold, sold)
        for i in range(MAX_PRODUCTS // 5)
    )


def _timed(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def test_a_products_panel_of_many_products_redraws_only_the_cards_that_changed(
    qtbot: QtBot,
) -> None:
    """Before: every product card was drawn again (money, counts, elision, and its place found
    by a walk through all the cards) at every refresh of the show's state, several a second:
    with 10,000 products (the limit) a refresh of the window took 35-39 s here while orders
    came, frozen. Now a refresh draws the cards whose product changed (timed against a
    change of language, which draws them all); each card says its figures."""
    panel = ProductPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 700)
    panel.show()
    products = _many_products(0)
    state = ShowState(title="Big", currency="USD", language="en", products=products)
    panel.update_state(state)
    QApplication.processEvents()  # laid out: the cards drawn for the list's width
    panel.update_state(state)
    took = []
    for sold in (1, 2, 3):
        changed = list(products)
        changed[sold] = replace(products[sold], stock_left=1000 - sold, units_sold=sold)
        changed_state = replace(state, products=tuple(changed), on_screen_sku=f"P{sold}")
        took.append(_timed(lambda state=changed_state: panel.update_state(state)))
        QApplication.processEvents()
        card = panel.card(f"P{sold}")
        assert f"{1000 - sold:,} left" in card.text() and f"{sold:,} sold" in card.text()
        assert card.isChecked()
        assert not panel.card(f"P{sold - 1}").isChecked() if sold > 1 else True
        assert "0 sold" in panel.card(f"P{len(products) - 1}").text()
    every_card_s = min(_timed(panel.retranslate) for _ in range(2))
    assert max(took) < every_card_s / 4, (took, every_card_s)  # was as long


def test_a_run_sheet_at_the_limit_writes_only_the_rows_that_changed(qtbot: QtBot) -> None:
    """Before: a show of 20,000 segments (the limit) wrote every row's four cells again at
    every refresh of the state (the running segment's clock moves at each): over a second a
    refresh here, the window frozen. Now the rows that changed (timed against a change of
    language, which writes them all); the clock and the current segment's mark are right."""
    from anchordesk.show.validate import MAX_SEGMENTS
    from anchordesk.ui.docks.run_sheet import RunSheetPanel
    from anchordesk.ui.state import SegmentRow

    panel = RunSheetPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 500)
    panel.show()

    def segments(current: int, elapsed_s: float) -> tuple[SegmentRow, ...]:
        return tuple(
            SegmentRow(i, f"Segment {i}", 60.0, elapsed_s if i == current else 60.0 * (i < current),
                       None, "", None, is_current=i == current, is_done=i < current)
            for i in range(MAX_SEGMENTS)
        )  # fmt: skip

    panel.update_state(ShowState(segments=segments(0, 0.0), current_index=0))
    QApplication.processEvents()
    took = []
    for current, elapsed_s in ((0, 1.0), (0, 2.0), (1, 0.0), (1, 1.0)):
        state = ShowState(segments=segments(current, elapsed_s), current_index=current)
        took_s = _timed(lambda state=state: panel.update_state(state))
        if elapsed_s:  # the clock's refresh (the move to another segment also scrolls to it)
            took.append(took_s)
        QApplication.processEvents()
        assert panel.current_row_text() == f"Segment {current}"
    model = panel.table().model()
    assert model.index(1, 3).data() == "0:01"
    assert model.index(0, 3).data() == "1:00"  # done, as the report writes its time
    assert model.index(1, 1).data(Qt.ItemDataRole.FontRole).bold()
    assert not model.index(0, 1).data(Qt.ItemDataRole.FontRole).bold()
    every_row_s = []
    for _ in range(2):
        panel.retranslate()  # a change of language: every row written again
        every_row_s.append(_timed(lambda state=state: panel.update_state(state)))
    assert max(took) < min(every_row_s) / 4, (took, every_row_s)  # was as long
