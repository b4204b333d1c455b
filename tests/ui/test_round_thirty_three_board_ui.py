"""Round thirty-three (board33): the window, the remote control and the phone page with many
items, hostile names, and the keyboard."""

from __future__ import annotations

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


def _count_card_draws(panel: ProductPanel, skus: list[str]) -> list[str]:
    """The cards drawn from now on, by SKU: a drawing names the card for screen readers
    whatever else it changes (its text is set only when it differs). Work counted, not timed:
    a test never asserts speed; benchmarks/ measures it."""
    drawn: list[str] = []
    for sku in skus:
        card = panel.card(sku)
        name_card = card.setAccessibleName

        def counting(name: str, sku: str = sku, name_card: object = name_card) -> None:
            drawn.append(sku)
            name_card(name)  # type: ignore[operator]

        card.setAccessibleName = counting  # type: ignore[method-assign]
    return drawn


def test_a_products_panel_of_many_products_redraws_only_the_cards_that_changed(
    qtbot: QtBot,
) -> None:
    """Before: every product card was drawn again (money, counts, elision, and its place found
    by a walk through all the cards) at every refresh of the show's state, several a second:
    with 10,000 products (the limit) a refresh of the window took 35-39 s here while orders
    came, frozen. Now a refresh draws the cards whose product changed (timed against a
    change of language, which draws them all); each card says its figures. Counted, not timed."""
    panel = ProductPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 700)
    panel.show()
    products = _many_products(0)
    state = ShowState(title="Big", currency="USD", language="en", products=products)
    panel.update_state(state)
    QApplication.processEvents()  # laid out: the cards drawn for the list's width
    panel.update_state(state)
    drawn = _count_card_draws(panel, [product.sku for product in products])
    for sold in (1, 2, 3):
        changed = list(products)
        changed[sold] = replace(products[sold], stock_left=1000 - sold, units_sold=sold)
        changed_state = replace(state, products=tuple(changed), on_screen_sku=f"P{sold}")
        drawn.clear()
        panel.update_state(changed_state)
        # The card sold from and the one taken off screen; not the other 1,998 (were all).
        assert set(drawn) <= {f"P{sold}", f"P{sold - 1}"} and f"P{sold}" in drawn, len(drawn)
        QApplication.processEvents()
        card = panel.card(f"P{sold}")
        assert f"{1000 - sold:,} left" in card.text() and f"{sold:,} sold" in card.text()
        assert card.isChecked()
        assert not panel.card(f"P{sold - 1}").isChecked() if sold > 1 else True
        assert "0 sold" in panel.card(f"P{len(products) - 1}").text()
    drawn.clear()
    panel.retranslate()  # a change of language draws every card in the new words
    assert len(set(drawn)) == len(products)


def test_a_run_sheet_at_the_limit_writes_only_the_rows_that_changed(qtbot: QtBot) -> None:
    """Before: a show of 20,000 segments (the limit) wrote every row's four cells again at
    every refresh of the state (the running segment's clock moves at each): over a second a
    refresh here, the window frozen. Now the rows that changed (counted, not timed; a change of
    language writes them all); the clock and the current segment's mark are right."""
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
    written: list[int] = []
    write_row = panel._update_row

    def counting(row: SegmentRow) -> None:
        written.append(row.index)
        write_row(row)

    panel._update_row = counting  # type: ignore[method-assign]
    expected = {(0, 1.0): {0}, (0, 2.0): {0}, (1, 0.0): {0, 1}, (1, 1.0): {1}}
    for current, elapsed_s in ((0, 1.0), (0, 2.0), (1, 0.0), (1, 1.0)):
        state = ShowState(segments=segments(current, elapsed_s), current_index=current)
        written.clear()
        panel.update_state(state)
        assert set(written) == expected[(current, elapsed_s)], len(written)  # were 20,000
        QApplication.processEvents()
        assert panel.current_row_text() == f"Segment {current}"
    model = panel.table().model()
    assert model.index(1, 3).data() == "0:01"
    assert model.index(0, 3).data() == "1:00"  # done, as the report writes its time
    assert model.index(1, 1).data(Qt.ItemDataRole.FontRole).bold()
    assert not model.index(0, 1).data(Qt.ItemDataRole.FontRole).bold()
    written.clear()
    panel.retranslate()  # a change of language: every row written again
    panel.update_state(state)
    assert len(written) == MAX_SEGMENTS
