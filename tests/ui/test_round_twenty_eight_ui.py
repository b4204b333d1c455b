"""Round twenty-eight of issue 10, the window (hunt28ui)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

from pytestqt.qtbot import QtBot
from tests.ui.conftest import open_control_room

from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate
from anchordesk.store.report import build_report


def test_the_orders_panel_says_how_many_items_were_rejected_as_the_report_counts_them(
    qtbot: QtBot, qt_asyncio_loop: object, executor: ThreadPoolExecutor, tmp_path: Path
) -> None:
    """Before: during a show the window said nothing of the items it did not count (an order
    of an absurd amount, a refund in another currency than its order, a refund of an order
    never seen); only the report, afterwards, counted them."""
    window = open_control_room(qtbot, executor, tmp_path, [])
    controller = window.controller
    session = controller.live.session
    assert not window.orders.rejected_value.isVisibleTo(window)
    good = Order("json", "o-1", "USD", Decimal("39.00"), (OrderLine("SERUM", 1, Decimal("39")),))
    session.ingest(
        [
            good,
            Order("json", "huge", "USD", Decimal("1e999"), (OrderLine("SERUM", 1, Decimal(1)),)),
            OrderUpdate("json", "o-1", "refunded", Decimal("5.00"), "EUR", refund_id="r1"),
            OrderUpdate("json", "never-seen", "refunded", Decimal("5.00"), "USD", "r2"),
        ]
    )
    controller.poll_show()
    report = build_report(session.path)  # read while the show runs, as a user may
    assert len(report.rejected) == 3
    assert controller.sales.rejected_items == 3
    assert window.orders.rejected_value.isVisibleTo(window)
    assert window.orders.rejected_value.text() == (
        "Rejected, not counted: 3 (listed in the report)"
    )
    assert window.orders.count_value.text() == "1"
    # The refund's order comes after all: counted, and no longer said to be rejected.
    session.ingest(
        [Order("json", "never-seen", "USD", Decimal("25"), (OrderLine("CREAM", 1, Decimal(25)),))]
    )
    controller.poll_show()
    assert len(build_report(session.path).rejected) == controller.sales.rejected_items == 2
    assert window.orders.rejected_value.text().startswith("Rejected, not counted: 2 ")


def test_the_window_s_counts_are_grouped_as_the_data_board_and_the_report_write_them(
    qtbot: QtBot, qt_asyncio_loop: object, executor: ThreadPoolExecutor, tmp_path: Path
) -> None:
    """Before: a product of 2,500,000 in stock read "2500000 left" on its card, an order of
    1,200 units "1200" in the orders list, beside the data board's and the report's grouped
    figures ("Peak 1,234 · buyers 0")."""
    from dataclasses import replace

    from tests.ui.conftest import small_show

    window = open_control_room(qtbot, executor, tmp_path, [])
    controller = window.controller
    show = small_show()
    big = replace(show, products=(replace(show.products[0], stock=2_500_000), *show.products[1:]))
    with qtbot.waitSignal(controller.session_started, timeout=20000):
        controller.start_with_show(big)
    unit = Decimal("39.00")
    controller.live.session.ingest(
        [Order("json", "o-1", "USD", unit * 1200, (OrderLine("SERUM", 1200, unit),))]
    )
    controller.poll_show()
    qtbot.waitUntil(lambda: "2,498,800 left" in window.products.card("SERUM").text())
    assert "1,200 sold" in window.products.card("SERUM").text()
    model = window.orders.view.model()
    qtbot.waitUntil(lambda: controller.poll_show() or model.rowCount() == 1)
    assert model.data(model.index(0, 2)) == "1,200"


def test_a_pasted_long_destination_name_does_not_push_the_settings_buttons_off_screen(
    qtbot: QtBot, memory_keyring: object
) -> None:
    """Before (Xvfb, ja, 1366x768): a destination name pasted with 3,000 characters and a
    server URL that is not RTMP; OK said the problem in a line quoting the name whole, which
    cannot wrap: the dialog grew thousands of pixels wide, its OK and Cancel and the reason
    (after the name) off the screen."""
    from PySide6.QtWidgets import QDialogButtonBox

    from anchordesk.live.settings import Destination, Settings
    from anchordesk.ui.settings import SettingsDialog

    name = "Shop\n\u202eenilno <b>big</b> " + "x" * 3000
    settings = Settings(
        destinations=[Destination("d1", name, "custom", "https://example.com/feed")]
    )
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.resize(900, 600)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    shown = dialog.error_label.text()
    assert shown.endswith("The server URL must start with rtmp:// or rtmps:// and name a host.")
    assert len(shown) < 200, len(shown)
    assert shown.startswith("Shop\\n\\u202eenilno <b>big</b> xxx")
    qtbot.waitUntil(lambda: dialog.layout().activate() or True)
    assert dialog.width() <= 1366 and dialog.minimumSizeHint().width() <= 1366, dialog.width()


def test_the_go_live_dialog_of_a_destination_with_a_long_name_fits_the_screen(
    qtbot: QtBot, memory_keyring: object
) -> None:
    """Before (Xvfb, ja, 1366x768): a destination named with 3,000 characters made the Go live
    dialog as wide as its name: "Go live" and "Cancel" off the right of the screen."""
    from tests.ui.test_go_live_key import _facts

    from anchordesk.live.destinations import stream_key_present
    from anchordesk.live.settings import Destination
    from anchordesk.ui.golive import GoLiveDialog

    name = "Shop\n\u202eenilno <b>big</b> " + "x" * 3000
    destination = Destination("d1", name, "custom", "rtmp://127.0.0.1:9/live")
    with ThreadPoolExecutor(2) as pool:
        dialog = GoLiveDialog(
            [destination], "d1", False, _facts, stream_key_present, pool, connect_timeout_s=0.5
        )
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        assert dialog.minimumSizeHint().width() <= 1366, dialog.minimumSizeHint()
        assert dialog.sizeHint().width() <= 1366, dialog.sizeHint()
        assert dialog.destination.currentText().startswith("Shop\\n\\u202eenilno <b>big</b> x")
        dialog.reject()


def test_the_settings_dialog_with_long_names_of_a_destination_and_devices_fits_the_screen(
    qtbot: QtBot, memory_keyring: object
) -> None:
    """Before: a destination, a camera and a microphone of the settings file named with 3,000
    characters made Settings 35,000 pixels wide at its first page ("Go live to"), and 23,000
    on every page once the camera's "could not be opened" line quoted its name."""
    from anchordesk.live.settings import Destination, Settings
    from anchordesk.ui.settings import SettingsDialog
    from anchordesk.ui.settings.devices_page import DevicesPage

    settings = Settings(
        destinations=[Destination("d1", "Shop " + "x" * 3000, "custom", "rtmp://127.0.0.1/l")]
    )
    settings.active_destination_id = "d1"
    settings.devices.camera = "/dev/video" + "9" * 3000
    settings.devices.microphone = "Mic " + "m" * 3000
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.minimumSizeHint().width() <= 1366, dialog.minimumSizeHint()
    devices = dialog.page(DevicesPage)
    dialog.tabs.setCurrentWidget(devices)
    qtbot.waitUntil(lambda: bool(devices.camera_status.text()), timeout=10000)
    assert dialog.minimumSizeHint().width() <= 1366, dialog.minimumSizeHint()
    assert "…" in devices.camera_status.text()


def test_going_live_on_a_destination_with_a_long_name_says_it_cut(
    qtbot: QtBot,
    qt_asyncio_loop: object,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    memory_keyring: object,
) -> None:
    """Before (Xvfb, ja): "Going live on …" and "Live on …" quoted a pasted name of 3,000
    characters whole: the notice over the picture and the status line were the name."""
    from anchordesk.core import secrets
    from anchordesk.live.settings import Destination

    window = open_control_room(qtbot, executor, tmp_path, [])
    controller = window.controller
    name = "Shop\n\u202e" + "x" * 3000
    controller.settings.destinations.append(
        Destination("far", name, "custom", "rtmp://127.0.0.1:9/live")
    )
    secrets.set_secret(secrets.stream_key_name("far"), "k-28")
    said: list[str] = []
    controller.message.connect(said.append)
    controller.go_live("far", record=False)
    going = [text for text in said if text.startswith("Going live on")]
    shown = ("Shop\\n\\u202e" + "x" * 3000)[:60] + "…"
    assert going == [f"Going live on {shown}…"], going
    controller.stop_live()
