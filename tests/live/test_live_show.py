"""LiveShow headless, as ``anchordesk live`` and the window drive it: one session per rehearsal
or live show, the live one never simulated, and its figures equal the report of its file."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from anchordesk.core.errors import UserError
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import FeedSpec, LiveOptions
from anchordesk.live.show import CommandRejected, LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.store.report import build_report

SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(
        Product("SERUM", "Serum", Decimal("39.00"), 50),
        Product("CREAM", "Cream", Decimal("25.00"), 40),
    ),
    rundown=(
        Segment("Opening", 60),
        Segment("Serum", 120, "SERUM", deal=DealPlan(Decimal("29.00"), 90, 20)),
        Segment("Cream", 120, "CREAM"),
    ),
)


def small_show(tmp_path: Path, **plan: object):  # type: ignore[no-untyped-def]
    options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
    return build_live_show(
        options,
        LiveShowPlan(show=SHOW, sessions_dir=tmp_path / "sessions", rehearsal_feeds=[], **plan),  # type: ignore[arg-type]
        switched=True,
    )


def order(order_id: str, sku: str, quantity: int, price: str, currency: str = "USD") -> Order:
    unit = Decimal(price)
    return Order("json", order_id, currency, unit * quantity, (OrderLine(sku, quantity, unit),))


def test_each_session_has_its_own_file_run_sheet_and_ledger(tmp_path: Path) -> None:
    show = small_show(tmp_path)
    rehearsal = show.begin_session(SessionMode.REHEARSAL)
    assert rehearsal is not None
    show.goto_segment(1)
    rehearsal.ingest([order("o1", "SERUM", 2, "29.00"), order("o2", "SERUM", 1, "30.00", "EUR")])
    before = show.snapshot()
    assert before.sales.gmv == Decimal("58.00") and before.sales.orders == 2
    assert dict(before.sales.gmv_by_currency) == {"USD": Decimal("58.00"), "EUR": Decimal("30.00")}
    assert before.deals[0].units_sold == 2 and before.product("SERUM").stock_left == 47  # type: ignore[union-attr]

    path = asyncio.run(show.end_session())
    assert path == rehearsal.path and show.mode is SessionMode.ENDED
    report = build_report(path)
    assert report.ledger.gmv_by_currency == {"USD": Decimal("58.00"), "EUR": Decimal("30.00")}
    assert report.orders == before.sales.orders
    with pytest.raises(CommandRejected, match="ended"):
        show.next_segment()

    # The live session continues the run sheet where the rehearsal left it, when asked to.
    live = show.begin_session(SessionMode.LIVE, continue_at=1)
    assert live is not None and live.path != rehearsal.path and not live.simulated
    after = show.snapshot()
    assert after.mode is SessionMode.LIVE and after.current_index == 1
    assert after.sales.orders == 0 and after.product("SERUM").stock_left == 50  # type: ignore[union-attr]
    asyncio.run(show.end_session())
    show.media.stop()


def test_a_live_session_never_takes_the_simulated_audience(tmp_path: Path) -> None:
    show = small_show(tmp_path, platform_feeds=[FeedSpec("rehearsal", "")])
    with pytest.raises(UserError, match="never takes simulated"):
        show.begin_session(SessionMode.LIVE)
    show.media.stop()


def test_studio_mode_stages_a_segments_card_and_deal_until_take(tmp_path: Path) -> None:
    show = small_show(tmp_path)
    show.begin_session(SessionMode.REHEARSAL)
    with pytest.raises(CommandRejected, match="studio mode"):
        show.take()  # nothing is staged outside studio mode: said, not silently ignored
    show.set_studio_mode(True)

    # PgDown in studio mode: the run sheet moves, the picture does not.
    show.next_segment()
    shot = show.snapshot()
    assert shot.current_index == 1 and shot.on_screen_sku is None and shot.deals == ()
    assert shot.staged_sku == "SERUM"
    plan = show.staged_deal()
    assert plan is not None and plan.price == Decimal("29.00") and plan.seconds == 90
    # The staged scene is exactly what Take will put on air: the card at the deal price with
    # its full countdown; the program's picture (no card, no countdown) stays as it is.
    staged = show.staged_scene()
    assert staged is not None and staged.card is not None and staged.card.title == "Serum"
    assert staged.card.deal_price == Decimal("29.00") and staged.card.stock_left == 20
    assert staged.countdown is not None and staged.countdown.remaining_s == 90
    assert show.runtime is not None and show.runtime.scene().card is None

    show.take()
    shot = show.snapshot()
    assert shot.on_screen_sku == "SERUM"
    assert [(d.sku, d.state, d.deal_id) for d in shot.deals] == [("SERUM", "live", "segment-1")]
    assert show.staged_deal() is None  # taken: a second Take starts nothing new

    # The next segment's card waits; the running deal stays on air with the Serum card.
    show.next_segment()
    shot = show.snapshot()
    assert (shot.on_screen_sku, shot.staged_sku) == ("SERUM", "CREAM")
    staged = show.staged_scene()
    assert staged is not None and staged.card is not None and staged.card.title == "Cream"
    # The Serum deal still runs after Take: the staged scene shows it as Serum's strip, never
    # as a countdown under the Cream card.
    assert staged.countdown is not None and staged.countdown.product_title == "Serum"

    # Studio mode off: segment changes go on air at once again.
    show.set_studio_mode(False)
    show.previous_segment()
    assert show.snapshot().on_screen_sku == "SERUM" and show.snapshot().staged_sku is None
    asyncio.run(show.end_session())
    show.media.stop()


def test_the_staged_preview_is_drawn_over_the_camera_not_over_the_program(
    tmp_path: Path,
) -> None:
    import numpy as np

    show = small_show(tmp_path)
    show.begin_session(SessionMode.REHEARSAL)
    show.show_product("CREAM")  # on air: the Cream card
    show.set_studio_mode(True)
    show.stage_product(None)  # staged: no card at all
    camera = np.full((180, 320, 3), 90, np.uint8)
    staged = show.staged_picture(camera)
    assert staged is not None and staged.shape == (180, 320, 3)
    show.stage_product("SERUM")
    with_card = show.staged_picture(camera)
    assert with_card is not None
    # Where a card is drawn, the staged picture without a card is the camera's own grey: the
    # program's Cream card is not under it.
    card = (with_card != staged).any(axis=2)
    assert card.sum() > 1000
    assert (staged[card] == 90).all()
    asyncio.run(show.end_session())
    show.media.stop()


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"seconds": 10**12}, "deal seconds: 1000000000000 s is longer than a day"),
        (
            {"stock": 10**20},
            "deal stock 100000000000000000000 is out of range: a whole number from 1 to "
            "1,000,000,000",
        ),
        ({"stock": 51}, "deal stock 51 is above the stock 50 of SERUM"),
        ({"price": Decimal("0.001")}, "deal price: 0.001 has more decimals than USD uses (2)"),
        ({"price": Decimal("-5")}, "the deal price must not be negative (got -5)"),
        ({"seconds": 0}, "deal seconds: must be above zero (got 0)"),
    ],
)
def test_a_deal_started_live_obeys_the_show_files_rule_for_deals(
    tmp_path: Path, values: dict[str, object], said: str
) -> None:
    # The remote started deals of 10**12 s, a stock of 10**20 and a price of 0.001 USD: the
    # LiveShow checked only "> 0", while a show file bounds each value. One rule now
    # (show.validate.deal_value_problems), refused as the caller's mistake (400).
    show = small_show(tmp_path)
    show.begin_session(SessionMode.REHEARSAL)
    show.show_product("SERUM")
    arguments = {"price": Decimal("29.00"), "seconds": 60, "stock": 5, **values}
    with pytest.raises(CommandRejected) as refused:
        show.start_deal("SERUM", **arguments)  # type: ignore[arg-type]
    assert str(refused.value) == said and refused.value.status == 400
    assert show.snapshot().deals == ()  # nothing started, nothing half-applied
    asyncio.run(show.end_session())
    show.media.stop()
