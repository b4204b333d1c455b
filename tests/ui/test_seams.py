"""Across the seams: after each scenario the picture (the card and deal layers the pipeline
composites), the window's panels, the session file and the report show the same numbers.

The window runs its real LiveShow on qasync's loop; orders come from a local server speaking
the generic JSON feed (a live session) or through the session's own store path (rehearsal
scenarios). No sleeps: every wait is for a condition, the pipeline's frames are the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from feed_servers import JsonFeedServer
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from anchordesk.core import secrets
from anchordesk.feeds import audience as simulated_audience
from anchordesk.live.options import FeedSpec
from anchordesk.live.settings import Destination
from anchordesk.media.overlays.countdown import CountdownState
from anchordesk.media.overlays.scene import OverlayScene, SceneOverlaySource
from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.store.report import build_report, report_text
from anchordesk.store.session import SessionStore
from anchordesk.ui.main_window import MainWindow

from .conftest import CANVAS, newest_frame, open_control_room


@pytest.fixture(autouse=True)
def fresh_secret_store() -> Iterator[None]:
    secrets.store().reset()
    yield
    secrets.store().reset()


def picture_layer(window: MainWindow, name: str) -> Any:
    """The layer the pipeline composites for ``name`` ("card", "countdown", "deal_strip")."""
    runtime = window.controller.runtime
    slot = runtime.overlays._slots.get(name)
    return slot.layers[0] if slot is not None and slot.layers else None


def drawn_as(window: MainWindow, **card_changes: Any) -> Any:
    """The card the picture would draw with these values, rendered on its own."""
    scene = window.controller.runtime.scene()
    assert scene.card is not None
    card = replace(scene.card, **card_changes)
    alone = SceneOverlaySource(lambda _now: OverlayScene(scene.language, scene.theme, card=card))
    return alone.layers(0.0, CANVAS)[0]


def same_pixels(a: Any, b: Any) -> bool:
    return (
        a is not None
        and b is not None
        and a.bgra_premultiplied.shape == b.bgra_premultiplied.shape
        and bool(np.array_equal(a.bgra_premultiplied, b.bgra_premultiplied))
    )


def wait_frames(qtbot: QtBot, window: MainWindow, count: int) -> None:
    """Let the pipeline composite ``count`` more frames (the picture caught up)."""
    source = window.controller.frame_source()
    start = source()
    first = start[0] if start else 0
    qtbot.waitUntil(lambda: (source() or (0, None))[0] >= first + count, timeout=10000)


def order(order_id: str, sku: str, quantity: int, price: str, currency: str = "USD") -> Order:
    unit = Decimal(price)
    return Order(
        "json", order_id, currency, unit * quantity, (OrderLine(sku, quantity, unit, sku),)
    )


def test_platform_orders_agree_on_board_picture_store_and_report_in_two_currencies(
    qtbot: QtBot,
    qt_asyncio_loop: Any,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    nginx_rtmp: Any,
    memory_keyring: Any,
) -> None:
    server = JsonFeedServer(poll_ms=50).start()
    try:
        window = open_control_room(
            qtbot,
            executor,
            tmp_path,
            [FeedSpec("json", server.url), FeedSpec("rehearsal", "")],
            audience_rate_per_s=20.0,
        )
        controller = window.controller
        controller.settings.destinations.append(
            Destination("studio", "Studio", "custom", f"rtmp://127.0.0.1:{nginx_rtmp.port}/live")
        )
        secrets.set_secret(secrets.stream_key_name("studio"), "seams-key-1")
        rehearsal = controller.live.session
        audience = rehearsal.hub.audience
        assert rehearsal.simulated and audience is not None
        qtbot.waitUntil(lambda: controller.comment_count() > 0, timeout=15000)
        controller.go_live("studio", record=False)
        qtbot.waitUntil(lambda: controller.show_state.mode == "live", timeout=15000)
        session = controller.live.session
        assert session is not rehearsal and not session.simulated
        # The simulated audience was stopped before anything was pushed: its server is gone.
        assert audience._thread is None or not audience._thread.is_alive()
        controller.show_product("SERUM")

        server.add_order("SERUM", 2, "39.00", "USD")
        server.add_order("CREAM", 1, "25.00", "USD")
        server.add_order("MASK", 3, "12.50", "USD")
        server.add_order("SERUM", 1, "36.00", "EUR")  # another currency: counted apart
        qtbot.waitUntil(lambda: controller.sales.orders == 4, timeout=15000)
        controller.poll_show()

        # The board: GMV in the show's currency only, the euro order beside it.
        sales = controller.sales
        assert sales.gmv == Decimal("140.50") and sales.currency == "USD"
        assert dict(sales.gmv_by_currency) == {"USD": Decimal("140.50"), "EUR": Decimal("36.00")}
        assert window.orders.gmv_value.text() == "$140.50\n+ €36.00"  # one amount a line
        serum = controller.show_state.product("SERUM")
        assert serum is not None and (serum.stock_left, serum.units_sold) == (47, 3)
        assert "47 left" in window.products.card("SERUM").text()
        assert "3 sold" in window.products.card("SERUM").text()

        # The picture draws the board's number: its card layer is the card with 47 left.
        assert controller.runtime.scene().card.stock_left == 47
        qtbot.waitUntil(
            lambda: same_pixels(picture_layer(window, "card"), drawn_as(window, stock_left=47)),
            timeout=10000,
        )
        assert not same_pixels(picture_layer(window, "card"), drawn_as(window, stock_left=48))

        # Stop: the live session's file and its report hold the same numbers, to the cent.
        with qtbot.waitSignal(controller.rehearsal_finished, timeout=20000) as finished:
            controller.stop_live()
        summary = finished.args[0]
        assert summary.mode == "live" and summary.files[0] == session.path
        store = SessionStore(session.path, read_only=True)
        try:
            assert [kept.order.source for kept in store.orders()] == ["json"] * 4
            assert all(kept.comment.source != "rehearsal" for kept in store.comments())
            assert store.meta("mode") == "live" and store.meta("simulated") == "0"
        finally:
            store.close()
        report = build_report(session.path)
        assert report.ledger.gmv_by_currency == {"USD": Decimal("140.50"), "EUR": Decimal("36.00")}
        assert {sku: p.units for sku, p in report.ledger.products.items() if p.units} == {
            p.sku: p.units_sold for p in controller.show_state.products if p.units_sold
        }
        assert "$140.50" in report_text(report, "en")
    finally:
        server.stop()


def test_a_deal_outlives_product_switches_take_and_segment_moves_and_all_views_agree(
    qtbot: QtBot, control_room: MainWindow
) -> None:
    window = control_room
    controller = window.controller
    wait_frames(qtbot, window, 3)  # the opening runs a few frames (its time is in the report)
    controller.jump_to_segment(1)  # Serum: its planned deal starts (29.00, 90 s, 20 units)
    deal = controller.show_state.deal
    assert deal is not None and deal.is_live and deal.price == Decimal("29.00")
    # The form shows the running deal's own values, not the form's last ones.
    assert window.products._deal_price.value() == 29.0
    assert window.products._deal_stock.value() == 20

    # Two deal lines and one list-price line: only the deal lines are deal units.
    controller.add_orders([order("o1", "SERUM", 2, "29.00"), order("o2", "SERUM", 1, "39.00")])
    controller.poll_show()
    deal = controller.show_state.deal
    assert deal is not None and (deal.units_sold, deal.stock_left) == (2, 18)
    assert controller.show_state.product("SERUM").stock_left == 47  # type: ignore[union-attr]

    # Another product on screen: the deal keeps running, listed and stoppable, and stays in the
    # picture as a strip named after its product.
    controller.show_product("CREAM")
    running = window.products.running_deal_texts()
    assert len(running) == 1 and running[0].startswith("Hydra Serum\n$29.00 · ")
    assert "18 of 20 units left" in running[0]
    scene = controller.runtime.scene()
    assert scene.countdown is not None and scene.countdown.product_title == "Hydra Serum"
    wait_frames(qtbot, window, 3)
    assert picture_layer(window, "countdown") is not None

    # Next segment and back: the same deal, not a new one, not revived from the dead.
    controller.next_segment()
    controller.previous_segment()
    live = controller.runtime.snapshot().state.live_deals
    assert [d.deal_id for d in live] == ["segment-1"] and live[0].units_sold == 2

    # Studio mode: Take puts the staged card on air; the deal still runs.
    window.studio_action.setChecked(True)
    controller.stage_product("MASK")
    window.take()
    assert controller.show_state.on_screen_sku == "MASK"
    assert [d.sku for d in controller.show_state.deals] == ["SERUM"]
    window.studio_action.setChecked(False)

    # The operator stops it from the running list: over everywhere at once.
    qtbot.mouseClick(
        next(iter(window.products._running_rows.values()))[1], Qt.MouseButton.LeftButton
    )
    controller.poll_show()
    assert controller.show_state.deals == ()
    assert controller.runtime.scene().countdown is None

    # A deal sold out by orders: sold out in the panel, "all claimed" in the picture (the card
    # still has stock at list price: never "sold out" next to "N left").
    controller.show_product("CREAM")
    controller.start_deal("CREAM", "19.00", 60, 3)
    controller.add_orders([order("o3", "CREAM", 3, "19.00")])
    controller.poll_show()
    cream_deal = controller.show_state.deal
    assert cream_deal is not None and cream_deal.state == "sold_out"
    assert cream_deal.units_sold == 3
    assert window.products.deal_status_text() == "Deal sold out: 3 of its units sold"
    scene = controller.runtime.scene()
    assert scene.card is not None and not scene.card.sold_out and scene.card.stock_left == 37
    assert scene.countdown is not None and scene.countdown.state is CountdownState.DEAL_SOLD_OUT

    # End the rehearsal: the report, read from the closed file, equals the board.
    board = controller.sales
    units = {p.sku: p.units_sold for p in controller.show_state.products}
    with qtbot.waitSignal(controller.rehearsal_finished, timeout=20000) as finished:
        window.end_rehearsal_action.trigger()
    path = finished.args[0].files[0]
    report = build_report(path)
    assert report.ledger.gmv_by_currency.get("USD") == board.gmv == Decimal("154.00")
    assert report.orders == board.orders == 3
    assert {sku: p.units for sku, p in report.ledger.products.items()} == units
    by_deal = {d.deal_id: (d.units, d.end_reason) for d in report.ledger.deals}
    assert by_deal["segment-1"] == (2, "stopped")
    assert [units for deal_id, (units, reason) in by_deal.items() if reason == "sold_out"] == [3]
    # Every segment the run sheet visited is in the report, the first one too.
    assert [t.title for t in report.timings][:2] == ["Opening", "Serum"]
    assert report.timings[0].actual_s > 0


def test_end_rehearsal_stops_everything_and_rehearse_again_starts_a_new_session(
    qtbot: QtBot,
    qt_asyncio_loop: Any,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A crowd that buys ten times as often as a believable one (a few percent of the
    # viewers over a show): a few orders within seconds of real time.
    monkeypatch.setattr(
        simulated_audience, "BUY_PER_VIEWER_S", simulated_audience.BUY_PER_VIEWER_S * 10
    )
    window = open_control_room(
        qtbot, executor, tmp_path, [FeedSpec("rehearsal", "")], audience_rate_per_s=40.0
    )
    controller = window.controller
    session = controller.live.session
    audience = session.hub.audience
    assert audience is not None
    controller.next_segment()  # the serum: the audience buys what is presented
    qtbot.waitUntil(lambda: controller.sales.orders >= 3, timeout=30000)
    assert controller.comment_count() > 0
    # The dock takes comments on its flush timer (every 200 ms): wait for the first flush.
    qtbot.waitUntil(lambda: window.comments.model.rowCount() > 0, timeout=3000)
    rows = window.comments.model.row(0)
    assert rows.simulated and window.comments.model.index(0, 1).data().startswith("🤖")

    with qtbot.waitSignal(controller.rehearsal_finished, timeout=20000) as finished:
        window.end_rehearsal_action.trigger()
    board = controller.sales
    summary = finished.args[0]
    assert summary.files[0] == session.path
    assert session.feed_task is not None and session.feed_task.done()
    assert audience._server is None or audience._thread is None or not audience._thread.is_alive()
    assert controller.runtime.ended and controller.show_state.deals == ()
    assert window.rehearse_again_action.isEnabled()

    def counts() -> tuple[int, int, int]:
        store = SessionStore(session.path, read_only=True)
        try:
            return store.count("comments"), store.count("orders"), store.count("show_events")
        finally:
            store.close()

    kept = counts()
    wait_frames(qtbot, window, 15)  # a second of picture later: nothing new in the file
    assert counts() == kept
    report = build_report(session.path)
    assert report.orders == board.orders
    assert report.ledger.gmv_by_currency.get("USD", Decimal(0)) == board.gmv
    newest_frame(window)

    window.report_dialog.accept()  # "Rehearse again"
    qtbot.waitUntil(lambda: controller.show_state.mode == "rehearsal", timeout=10000)
    again = controller.live.session
    assert again is not session and again.path != session.path
    assert controller.sales.orders == 0 or controller.sales.orders < board.orders
    assert controller.show_state.current_index == 0
