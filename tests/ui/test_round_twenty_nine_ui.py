"""Round twenty-nine of issue 10, the window (hunt29ui)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

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
    ("XAU", "3.00"),
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
