"""A show may price a product in another currency than its own. The window's products panel,
its deal line and the web remote must all write each price in the product's own currency, and
in the same words: every one of them is made by ``core.money.format_money``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from anchordesk.ui.main_window import MainWindow

PRICED_APART = {
    "format": 1,
    "title": "Night market",
    "currency": "USD",
    "language": "en",
    "products": [
        {"sku": "MUG", "title": "Mug", "price": "24.00", "stock": 50},
        {"sku": "KETTLE", "title": "Kettle", "price": "69.99", "currency": "EUR", "stock": 50},
        {"sku": "BEANS", "title": "Beans", "price": "4500", "currency": "JPY", "stock": 50},
        {"sku": "DATES", "title": "Dates", "price": "12.345", "currency": "KWD", "stock": 50},
    ],
    "rundown": [
        {"title": "Opening", "seconds": 60},
        {"title": "Kettle", "seconds": 120, "product": "KETTLE"},
    ],
}


def _open(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "market.show.json"
    path.write_text(json.dumps(PRICED_APART), encoding="utf-8")
    window.controller.open_show(path)
    qtbot.waitUntil(lambda: "Night market" in window.windowTitle(), timeout=10000)
    qtbot.waitUntil(lambda: window.products.card("KETTLE") is not None, timeout=10000)


def test_the_products_panel_prices_each_product_in_its_own_currency(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path
) -> None:
    _open(qtbot, control_room, tmp_path)
    lines = {
        sku: control_room.products.card(sku).text().splitlines()[1].split(" · ")[0]
        for sku in ("MUG", "KETTLE", "BEANS")
    }
    assert lines == {"MUG": "$24.00", "KETTLE": "€69.99", "BEANS": "¥4,500"}


def test_a_deal_on_a_product_priced_in_yen_is_priced_in_whole_yen(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path
) -> None:
    """The deal form's price took the show's two dollar decimals for a yen product."""
    _open(qtbot, control_room, tmp_path)
    control_room.controller.show_product("BEANS")
    qtbot.waitUntil(lambda: control_room.products._prefilled_for == "BEANS", timeout=10000)
    assert control_room.products._deal_price.decimals() == 0
    control_room.controller.show_product("KETTLE")
    qtbot.waitUntil(lambda: control_room.products._prefilled_for == "KETTLE", timeout=10000)
    assert control_room.products._deal_price.decimals() == 2


def test_a_deal_suggested_for_a_three_decimal_currency_keeps_its_third_decimal(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path
) -> None:
    """The form suggests 20 % off a product without a planned deal: for KWD 12.345 it
    suggested 9.880 (the suggestion rounded to cents) where 20 % off is 9.876."""
    _open(qtbot, control_room, tmp_path)
    control_room.controller.show_product("DATES")
    qtbot.waitUntil(lambda: control_room.products._prefilled_for == "DATES", timeout=10000)
    assert control_room.products._deal_price.decimals() == 3
    assert control_room.products._deal_price.value() == pytest.approx(9.876, abs=1e-9)
