"""Round thirty of issue 10, the window (hunt30ui)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from pytestqt.qtbot import QtBot
from tests.ui.conftest import open_control_room

from anchordesk.control.state import state_json
from anchordesk.show.board import ProductFigures
from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.show.prompts import DEAL_ENDING, Prompt
from anchordesk.store.report import money_with_others


def test_a_product_sold_in_other_currencies_shows_that_money_on_the_board_and_the_remote(
    qtbot: QtBot, qt_asyncio_loop: object, executor: ThreadPoolExecutor, tmp_path: Path
) -> None:
    """Before (Xvfb, ja, live, a JSON feed of orders in twelve currencies): the data board's
    products table said "3 sold, ¥0" for a product sold only in dollars, won and rupees, and
    left the euros out of another's; the remote's board said "gmv": "0". The report said
    "¥0 + $999,999,999.99 + ₩… + ₹…"."""
    window = open_control_room(qtbot, executor, tmp_path, [])
    controller = window.controller
    controller.live.session.ingest(
        [
            Order("json", "o1", "USD", Decimal("39.00"), (OrderLine("SERUM", 1, Decimal("39")),)),
            Order("json", "o2", "EUR", Decimal("24.00"), (OrderLine("SERUM", 1, Decimal("24")),)),
            Order("json", "o3", "KRW", Decimal("5000"), (OrderLine("CREAM", 1, Decimal("5000")),)),
        ]
    )
    window.board.parentWidget().show()
    window.board.parentWidget().raise_()
    table = window.board.products
    qtbot.waitUntil(lambda: controller.poll_show() or table.rowCount() == 2)
    cells = {
        # One amount a line in the table (round thirty-one), the same words as the report's.
        table.item(row, 0).text(): table.item(row, 2)
        .text()
        .replace("\u00a0", " ")
        .replace("\n", " ")
        for row in range(table.rowCount())
    }
    # The report's words for the same sales, in the window's language.
    serum = money_with_others(Decimal("39.00"), "USD", {"EUR": Decimal("24.00")}, "en")
    cream = money_with_others(Decimal("0"), "USD", {"KRW": Decimal("5000")}, "en")
    assert cells == {"Hydra Serum": serum.replace("\u00a0", " "), "Night Cream": cream}, cells
    products = {p["sku"]: p for p in state_json(controller.snapshot)["board"]["products"]}
    assert products["CREAM"]["gmv"] == "0.00"
    assert products["CREAM"]["gmv_in_other_currencies"] == {"KRW": "5000"}
    assert products["SERUM"]["gmv_in_other_currencies"] == {"EUR": "24.00"}


def test_a_prompt_about_a_long_named_product_keeps_its_figures_in_sight(
    qtbot: QtBot, qt_asyncio_loop: object, executor: ThreadPoolExecutor, tmp_path: Path
) -> None:
    """Before (Xvfb, ja, a deal of 8,888,888 units on a product with a 190-character title):
    the prompt wrote "8888888 of 8888888" (the deal panel: "8,888,888/8,888,888"; the
    board's forecast "1666666 min") and its title filled the prompt box's three lines, the
    seconds and units left out of sight there and in the teleprompter's one line."""
    window = open_control_room(qtbot, executor, tmp_path, [])
    board = window.board
    window.board.parentWidget().show()
    window.board.parentWidget().raise_()
    title = "京都宇治産の石臼挽き上級抹茶と常滑焼の職人手づくり急須と有田焼の湯呑み二客" * 4
    values = (("title", title), ("seconds", "24"), ("left", "8888888"), ("total", "8888888"))
    snapshot = window.controller.snapshot
    assert snapshot.board is not None
    product = ProductFigures(
        "SERUM", title, "USD", 3, Decimal("117"), 9999996, 0.1, 99999960.0, True
    )
    board.update_snapshot(
        replace(
            snapshot,
            prompts=(Prompt("deal_ending:d1", DEAL_ENDING, 0.0, values),),
            board=replace(snapshot.board, products=(product,)),
        )
    )
    line = board.prompt_list.item(0).text()
    assert "8,888,888" in line and "8888888" not in line, line
    assert board.products.item(0, 3).text() == "sells out in ~1,666,666 min"
    # The whole prompt in the box (it has no scroll bar for one tall item) ...
    viewport = board.prompt_list.viewport()
    drawn = board.prompt_list.fontMetrics().boundingRect(
        QRect(0, 0, viewport.width() - 8, 100000), Qt.TextFlag.TextWordWrap, line
    )
    assert drawn.height() <= viewport.height(), (drawn, viewport.size(), line)
    # ... and the teleprompter's one line keeps the seconds left.
    assert "24" in window.teleprompter.fontMetrics().elidedText(
        line, Qt.TextElideMode.ElideRight, 600
    )


def test_a_day_long_deal_reads_in_the_window_as_on_the_picture(
    qtbot: QtBot, qt_asyncio_loop: object, executor: ThreadPoolExecutor, tmp_path: Path
) -> None:
    """Before (Xvfb, ja, a deal of 86,400 s): the deal panel and the teleprompter read
    "1439:21 left" beside the picture's countdown 23:59:21; the teleprompter wrote the units
    left ungrouped ("8888888 left", the picture "残り8,888,888点")."""
    window = open_control_room(qtbot, executor, tmp_path, [])
    controller = window.controller
    controller.show_product("SERUM")
    qtbot.waitUntil(lambda: controller.poll_show() or controller.snapshot.on_screen_sku == "SERUM")
    controller.start_deal("SERUM", "29.00", 86400, 20)
    window.teleprompter.show()
    status = window.products._deal_status
    qtbot.waitUntil(lambda: controller.poll_show() or "left" in status.text())
    # Hours, minutes, seconds (24:00:00, then 23:59:59 ...), never 1440:00 nor 1439:59.
    day = re.compile(r"\b2[34]:[0-5]\d:[0-5]\d\b")
    assert day.search(status.text()), status.text()
    qtbot.waitUntil(lambda: day.search(window.teleprompter.view.lines.deal) is not None)
    # The same deal with 8,888,888 units left, as the picture writes them.
    state = window.teleprompter._state
    assert state is not None
    many = tuple(replace(deal, stock_left=8888888) for deal in state.deals)
    window.teleprompter.update_state(replace(state, deals=many))
    assert "8,888,888" in window.teleprompter.view.lines.deal, window.teleprompter.view.lines


def test_the_picture_s_card_never_cuts_a_price_into_another_number(qtbot: QtBot) -> None:
    """Before (anchordesk live, a KWD show, a deal at 888,888,888.888, program.jpg): the card
    on air read "KWD 888,88…"."""
    from PySide6.QtGui import QPainter

    from anchordesk.media.overlays import CardView, OverlayScene, SceneOverlaySource, Theme

    drawn: list[str] = []
    original = QPainter.drawText

    def recording(painter: QPainter, *args: object) -> None:
        drawn.extend(arg for arg in args if isinstance(arg, str))
        original(painter, *args)  # type: ignore[call-overload]

    card = CardView(
        title="京都宇治産の石臼挽き上級抹茶",
        price=Decimal("999999999.999"),
        currency="KWD",
        deal_price=Decimal("888888888.888"),
        stock_left=9999999,
        sku="MATCHA-40",
    )
    scene = OverlayScene(language="ja", theme=Theme(), card=card)
    QPainter.drawText = recording  # type: ignore[method-assign]
    try:
        SceneOverlaySource(lambda _now_s: scene).layers(0.0, (1280, 720))
    finally:
        QPainter.drawText = original  # type: ignore[method-assign]
    prices = [text.replace("\u00a0", " ") for text in drawn if text.startswith("KWD")]
    assert "KWD 888,888,888.888" in prices, drawn
    assert all(text in ("KWD 888,888,888.888", "KWD 999,999,999.999") for text in prices), drawn
