"""Round twenty-eight of issue 10, the remote control (hunt28ui): a real server over a real
rehearsing LiveShow on loopback, and the real ``anchordesk control`` against it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest

from anchordesk.cli.main import main

from ..live_runs import child_env
from ..remote_parts import TOKEN, rehearsing, serving
from .test_round_19_remote import SMALL_SHOW

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CANVAS = (320, 180)  # remote_parts' picture


def _close_standard_output() -> None:
    os.close(1)


async def _state_with_standard_output_closed(folder: Path) -> subprocess.CompletedProcess[str]:
    async with rehearsing(SMALL_SHOW, folder) as live, serving(lambda: live) as server:
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "anchordesk", "control", "--url", server.url, "state"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
            env=child_env(folder, ANCHORDESK_CONTROL_TOKEN=TOKEN),
            preexec_fn=_close_standard_output,
        )  # fmt: skip


def test_anchordesk_control_state_with_standard_output_closed_says_so_and_fails(
    tmp_path: Path,
) -> None:
    # Before: `anchordesk control state >&-` read the state, printed it into the null device
    # put on the closed descriptor and exited 0: a script checking the code saw a state read.
    run = asyncio.run(_state_with_standard_output_closed(tmp_path))
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        "error: anchordesk control: standard output is closed (>&-): nowhere to print the "
        "show's state; send it to a file, or to /dev/null to drop it"
    ]


async def _the_picture_after_one_order_of_two_mug_lines(
    folder: Path, lines: tuple[tuple[int, str], ...]
) -> tuple[Any, Any, Any, Any, Path]:
    """The mug's card on air, a 2-unit deal at $9.00 on it, then ONE order of ``lines`` of
    mugs: the card and countdown layers the pipeline composited once the order was applied,
    the scene they were drawn from, the window's board and the session file."""
    from anchordesk.show.feed_items import Order, OrderLine

    async with (
        rehearsing(SMALL_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers=AUTH) as deck,
    ):
        live.media.start()  # the pipeline: frames composited with the show's layers
        for body in (
            {"command": "show_product", "sku": "MUG"},
            {"command": "start_deal", "sku": "MUG", "price": "9.00", "seconds": 300, "stock": 2},
        ):
            async with deck.post(f"{server.url}api/v1/commands", json=body) as answer:
                assert answer.status == 200, await answer.text()
        order_lines = tuple(OrderLine("MUG", units, Decimal(price)) for units, price in lines)
        total = sum((line.amount for line in order_lines), Decimal(0))
        assert live.session is not None and live.runtime is not None
        live.session.ingest([Order("json", "o-1", "USD", total, order_lines)])
        # The picture: the layers the pipeline composites, once it drew frames after the order.
        pipeline = live.media.pipeline
        assert pipeline is not None
        seen: list[object] = []
        while len(seen) < 3:
            frame = pipeline.request_preview()
            if frame is not None and (not seen or frame is not seen[-1]):
                seen.append(frame)
            await asyncio.sleep(0.02)  # a poll for new frames, not a timing
        slots = live.runtime.overlays._slots
        card, countdown = slots["card"].layers[0], slots["countdown"].layers[0]
        board = live.snapshot().board
        return card, countdown, live.runtime.scene(), board, live.session.path


def _drawn(scene: Any, **parts: Any) -> Any:
    from anchordesk.media.overlays.scene import OverlayScene, SceneOverlaySource

    alone = SceneOverlaySource(lambda _now: OverlayScene(scene.language, scene.theme, **parts))
    return alone.layers(0.0, CANVAS)[0]


def _same(a: Any, b: Any) -> bool:
    return a.bgra_premultiplied.shape == b.bgra_premultiplied.shape and bool(
        np.array_equal(a.bgra_premultiplied, b.bgra_premultiplied)
    )


@pytest.mark.parametrize(
    "lines",
    [((2, "9.00"), (1, "12.00")), ((1, "12.00"), (2, "9.00"))],
    ids=["deal-line-first", "full-price-line-first"],
)
def test_the_picture_s_card_and_deal_agree_with_the_board_and_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: tuple[tuple[int, str], ...]
) -> None:
    """R27fix27deal F1's order (a deal line and a full-price line of one SKU in one order),
    read from the picture itself: the card burned into the frames is the card drawn from the
    board's and the report's figures (47 mugs left, no deal price: the deal's 2 units gone),
    and the countdown says the deal sold out, as the board and the report do."""
    from anchordesk.media.overlays import CardView, CountdownState, CountdownView

    card, countdown, scene, board, path = asyncio.run(
        _the_picture_after_one_order_of_two_mug_lines(tmp_path, lines)
    )
    assert main(["report", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    [mug] = [product for product in board.products if product.sku == "MUG"]
    [reported] = report["deals"]
    [through] = report["audience"]["segments"][0]["deals"]
    sold_out = through["units_sold"] == through["units_total"]
    assert (mug.stock_left, sold_out, board.segments[-1].deals[0].units_sold) == (47, True, 2)
    assert reported["units"] == 2
    # The card in the picture: as drawn from these figures (and not from one unit more or less).
    expected = CardView(
        "Mug", Decimal("12.00"), "USD", deal_price=None, stock_left=mug.stock_left,
        sold_out=mug.stock_left == 0, image_path=scene.card.image_path, sku="MUG",
    )  # fmt: skip
    assert _same(card, _drawn(scene, card=expected))
    for wrong in (mug.stock_left + 1, mug.stock_left - 1):
        assert not _same(card, _drawn(scene, card=replace(expected, stock_left=wrong)))
    assert not _same(card, _drawn(scene, card=replace(expected, deal_price=Decimal("9.00"))))
    # The deal's banner in the picture: all its units claimed, as the board and report say.
    claimed = CountdownView(0.0, 300.0, CountdownState.DEAL_SOLD_OUT)
    assert _same(countdown, _drawn(scene, countdown=claimed))
    ended = CountdownView(0.0, 300.0, CountdownState.ENDED)
    assert not _same(countdown, _drawn(scene, countdown=ended))


async def _rejected_from_a_feed(folder: Path, feed: Any) -> tuple[int, int, Path]:
    from anchordesk.feeds.spec import FeedSpec

    async with rehearsing(SMALL_SHOW, folder, [FeedSpec("json", feed.url)]) as live:
        session = live.session
        assert session is not None
        while session.comment_count < 1:  # the last item: when it is in, the page is
            await asyncio.sleep(0.02)  # a poll for the feed's page, not a timing
        return live.snapshot().sales.rejected_items, session.rejected_kept, session.path


def test_the_live_count_of_rejected_items_from_a_feed_is_the_report_s(
    tmp_path: Path, feed: Any
) -> None:
    """Before R28hunt28ui F2's second commit: the window's "Rejected, not counted" said 2 where
    the report said 6: the feeds' hub keeps the items the amount rule rejects and delivers
    them no further, so the session never heard of the 4 stored as rejected."""
    good = feed.add_order("MUG", 1, "12.00", "USD")
    feed.add_order("MUG", -1, "12.00", "USD")  # unreadable
    feed.add_raw(
        {"type": "order", "id": "huge", "currency": "USD", "total": "1e999",
         "lines": [{"sku": "MUG", "quantity": 1, "price": "1e999"}]}
    )  # fmt: skip
    feed.add_raw({"type": "order", "currency": "USD", "total": "5.00", "lines": []})  # no id
    feed.add_raw(
        {"type": "order_update", "id": good, "status": "refunded", "refund": "1.00",
         "currency": "EUR", "refund_id": "r1"}
    )  # fmt: skip
    feed.add_update("never-seen", "refunded", "5.00", refund_id="r2")
    feed.add_comment("viewer", "done")
    shown, kept, path = asyncio.run(_rejected_from_a_feed(tmp_path, feed))
    from anchordesk.store.report import build_report

    report = build_report(path)
    # Stored as rejected: the unreadable, huge and id-less orders, and (since round 33, the
    # currency rule applied where the update is kept) the EUR refund of a USD order.
    assert (shown, kept) == (len(report.rejected), 4)
    assert shown == 5


BIG_STOCK_SHOW = replace(
    SMALL_SHOW,
    products=(replace(SMALL_SHOW.products[0], stock=2_500_000), *SMALL_SHOW.products[1:]),
)


async def _the_phone_s_counts(folder: Path, chromium: str) -> dict[str, Any]:
    import test_control_browser as browser_tools

    from anchordesk.show.feed_items import Order, OrderLine

    async with (
        rehearsing(BIG_STOCK_SHOW, folder) as live,
        serving(lambda: live) as server,
        browser_tools.chromium_page(chromium, folder / "profile") as page,
    ):
        assert live.session is not None
        unit = Decimal("12.00")
        live.session.ingest(
            [Order("json", f"o-{n}", "USD", unit * 1200, (OrderLine("MUG", 1200, unit),))
             for n in range(1000)]
        )  # fmt: skip
        await page.send("Page.navigate", url=f"{server.url}?token={TOKEN}")
        await page.wait_for("document.getElementById('orders')?.textContent === '1,000'")
        return {
            "orders": await page.evaluate("document.getElementById('orders').textContent"),
            "products": await page.evaluate("document.getElementById('products').innerText"),
        }


def test_the_phone_writes_its_counts_grouped_as_the_window_does(
    tmp_path: Path, chromium: str
) -> None:
    """Before: the phone (a Chinese browser) read "库存 1300000 · 已售 1200000" and 1000 orders,
    beside the window's and the report's grouped 1,300,000 and 1,000."""
    seen = asyncio.run(_the_phone_s_counts(tmp_path, chromium))
    assert seen["orders"] == "1,000"
    assert "库存 1,300,000 · 已售 1,200,000" in seen["products"], seen["products"]
