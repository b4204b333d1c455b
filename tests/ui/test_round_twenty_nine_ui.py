"""Round twenty-nine of issue 10, the window (hunt29ui)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot
from tests.ui.conftest import open_control_room

from anchordesk.core.money import format_money
from anchordesk.show.feed_items import Order, OrderLine

# One shop's orders in eight currencies (Xvfb, ja: the window grew to 2,275 px on a 1366 screen).
CURRENCIES = (
    ("USD", "39.00"),
    ("BHD", "1.234"),
    ("CNY", "88.80"),
    ("EUR", "24.00"),
    ("GBP", "1.00"),
    ("KRW", "5000"),
    ("KWD", "123456.789"),
    ("JPY", "99999999999"),
    ("XOF", "5000"),  # CFA franc (gold, XAU, is no money a shop sells in),
)


def test_orders_in_many_currencies_keep_the_window_on_the_screen(
    qtbot: QtBot, qt_asyncio_loop: object, executor: ThreadPoolExecutor, tmp_path: Path
) -> None:
    """Before (Xvfb, ja, 1366x768, live, a JSON feed): orders in nine currencies wrote the
    orders panel's GMV and the data board's on one line each: the window grew 2,275 px wide,
    the picture shrank to a quarter, the stream status and the deal's Start were cut off."""
    window = open_control_room(qtbot, executor, tmp_path, [])
    controller = window.controller
    controller.live.session.ingest(
        [
            Order("json", f"o-{code}", code, Decimal(v), (OrderLine("SERUM", 1, Decimal(v)),))
            for code, v in CURRENCIES
        ]
    )
    for dock in (window.orders, window.board):  # each shown, as the operator tabs to it
        qtbot.waitUntil(lambda: controller.poll_show() or window.orders.count_value.text() == "9")
        dock.parentWidget().show()
        dock.parentWidget().raise_()
        qtbot.wait(50)
        assert window.minimumSizeHint().width() <= 1366, window.minimumSizeHint()
        assert window.width() <= 1366, window.width()
    # No amount cut at the panel's edge either ("¥101,012,402" of ¥101,012,402,478).
    for label in (window.orders.gmv_value, window.board.values["gmv"]):
        assert label.width() >= label.minimumSizeHint().width() > 0, label.text()
    # Every amount still written out, each whole (never split inside, "BHD 1.234").
    for label in (window.orders.gmv_value, window.board.values["gmv"]):
        text = label.text().replace("\u00a0", " ")
        for code, amount in CURRENCIES:
            written = format_money(Decimal(amount), code, "en").replace("\u00a0", " ")
            assert written in text, (code, text)


def _drawn_texts(widget: Any) -> list[str]:
    """The texts ``widget`` draws, as its painter is asked to draw them."""
    from PySide6.QtGui import QImage, QPainter

    drawn: list[str] = []
    original = QPainter.drawText

    def recording(painter: QPainter, *args: Any) -> None:
        drawn.extend(arg for arg in args if isinstance(arg, str))
        original(painter, *args)

    image = QImage(widget.size(), QImage.Format.Format_ARGB32)
    QPainter.drawText = recording  # type: ignore[method-assign]
    try:
        widget.render(image)
    finally:
        QPainter.drawText = original  # type: ignore[method-assign]
    return drawn


def test_the_units_chart_writes_its_counts_as_the_products_panel_does(
    qtbot: QtBot, qt_asyncio_loop: object, executor: ThreadPoolExecutor, tmp_path: Path
) -> None:
    """Before (Xvfb, ja): the orders panel's chart read "5001" beside the products panel's
    "5,001 個販売"; 1,234,000 units were drawn "1.234e+06", 1,234,567 "1.23457e+06" (another
    number), in a 40 px box that cut them."""
    window = open_control_room(qtbot, executor, tmp_path, [])
    controller = window.controller
    unit = Decimal("0.01")
    controller.live.session.ingest(
        [
            Order("json", f"o-{n}", "USD", unit * 1234, (OrderLine("SERUM", 1234, unit),))
            for n in range(1000)
        ]
    )
    qtbot.waitUntil(lambda: controller.poll_show() or window.orders.count_value.text() == "1,000")
    chart = window.orders.chart
    window.orders.parentWidget().show()
    window.orders.parentWidget().raise_()
    qtbot.waitUntil(lambda: chart.width() > 0)
    texts = _drawn_texts(chart)
    assert "1,234,000" in texts, texts
    assert "1,234,000 sold" in window.products.card("SERUM").text()
    # Drawn whole: the box it is drawn in is as wide as the text.
    from PySide6.QtGui import QFontMetrics

    assert QFontMetrics(chart.font()).horizontalAdvance("1,234,000") < chart.width() * 0.5
