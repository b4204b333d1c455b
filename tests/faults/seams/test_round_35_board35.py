"""Round thirty-five (board35): a deal's start costs what it changes, not what the show holds.

Every command and every poll takes a snapshot of the running show, and every snapshot made
each product's view and each deal's view again: starting 500 deals took 114 s, each start
more than the one before. Work is counted (views made), never timed; ``benchmarks/
many_deals.py`` measures the real window. A real rehearsing LiveShow (test picture, its
session file), its snapshots, the window's rows of them and the remote's state of them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from anchordesk.control.state import state_json
from anchordesk.live.show import LiveShow
from anchordesk.live.snapshot import DealView, LiveSnapshot, ProductView
from anchordesk.live.snapshot_parts import SnapshotParts
from anchordesk.show.feed_items import Order, OrderLine, OrderUpdate
from anchordesk.show.model import DealPlan, Product, Segment, Show
from anchordesk.ui.snapshots import SnapshotReader, sales_state_of, show_state_of

from ..remote_parts import rehearsing

DEALS = 12


def _show(products: int) -> Show:
    return Show(
        "Many deals",
        "USD",
        "en",
        tuple(Product(f"P{i}", f"Product {i}", Decimal("19.99"), 1000) for i in range(products)),
        (Segment("All", 3600, None, ""),),
    )


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[Any]]]:
    """The product and deal views made from now on, by the snapshots whoever takes them."""
    views: dict[str, list[Any]] = {"products": [], "deals": []}
    for kind, view_class in (("products", ProductView), ("deals", DealView)):
        original = view_class.__init__

        def counting(
            self: Any, *args: Any, _kind: str = kind, _original: Any = original, **kw: Any
        ) -> None:
            _original(self, *args, **kw)
            views[_kind].append(self)

        monkeypatch.setattr(view_class, "__init__", counting)
    yield views


def _run(show: Show, folder: Path, steps: Callable[[LiveShow], Any]) -> Any:
    async def run() -> Any:
        async with rehearsing(show, folder) as live:
            return steps(live)

    return asyncio.run(run())


@pytest.mark.parametrize("products", [30, 150])
def test_a_deal_start_or_stop_makes_the_views_of_what_it_changed_whatever_the_show_size(
    tmp_path: Path, made: dict[str, list[Any]], products: int
) -> None:
    """Twelve deals started and stopped one after the other, a snapshot after each command as
    the window takes one. Before: each snapshot made every product's view (30 or 150) and the
    view of every deal the session had started. Now: the product whose deal started or
    stopped, and the deal that started or stopped (and the one live deal, whose clock may have
    moved)."""

    def steps(live: LiveShow) -> list[tuple[int, int]]:
        live.snapshot()
        counts = []
        for i in range(DEALS):
            for command in (
                lambda i=i: live.start_deal(f"P{i}", price=Decimal("9.99"), seconds=600, stock=10),
                lambda i=i: live.stop_deal(f"P{i}"),
            ):
                made["products"].clear()
                made["deals"].clear()
                command()
                snapshot = live.snapshot()
                counts.append((len(made["products"]), len(made["deals"])))
        assert len(snapshot.deals) == DEALS and not snapshot.live_deals
        return counts

    counts = _run(_show(products), tmp_path, steps)
    assert {product_views for product_views, _ in counts} == {1}, counts
    assert max(deal_views for _, deal_views in counts) <= 2, counts


def _whole(live: LiveShow) -> LiveSnapshot:
    """The snapshot made whole: no view kept from the snapshots before."""
    live._snapshot_parts = SnapshotParts()
    return live.snapshot()


def _clockless(snapshot: LiveSnapshot) -> LiveSnapshot:
    """The snapshot with its running clocks aside (the picture may tick between two)."""
    return replace(
        snapshot,
        deals=tuple(replace(deal, remaining_s=0.0) for deal in snapshot.deals),
        segments=tuple(replace(segment, elapsed_s=0.0) for segment in snapshot.segments),
        now_s=0.0,
        sales=replace(snapshot.sales, orders_per_minute=0.0),
        board=None,
        prompts=(),
        stats=replace(snapshot.stats, fps=0.0, cpu_percent=0.0, recording_bytes=0),
        outputs=(),
    )


def test_the_kept_views_say_what_views_made_whole_say_in_the_window_and_the_remote(
    tmp_path: Path,
) -> None:
    """Deals started, sold in (at the deal price and the list price), stopped and started
    again, an order cancelled, a product sold out: after each step the snapshot with its kept
    views equals the one made whole, and so do the window's rows and sales and the remote's
    state made from them."""
    show = replace(
        _show(8),
        rundown=(
            Segment("All", 3600, None, ""),
            Segment("Kettle", 600, "P5", "", deal=DealPlan(Decimal("12.00"), 300, 20)),
            Segment("Mug", 600, "P6", "", deal=DealPlan(Decimal("7.00"), 300)),
        ),
    )

    def order(number: int, sku: str, units: int, price: str) -> Order:
        line = OrderLine(sku, units, Decimal(price))
        return Order("json", f"o{number}", "USD", line.amount, (line,))

    def steps(live: LiveShow) -> int:
        assert live.session is not None
        session = live.session
        reader = SnapshotReader()
        actions: list[Callable[[], object]] = [
            lambda: live.start_deal("P1", price=Decimal("9.99"), seconds=600, stock=10),
            lambda: live.start_deal("P2", price=Decimal("5.00"), seconds=600),
            lambda: session.ingest([order(1, "P1", 3, "9.99")]),
            lambda: session.ingest([order(2, "P2", 2, "19.99"), order(3, "P3", 1, "19.99")]),
            lambda: live.stop_deal("P1"),
            lambda: session.ingest([OrderUpdate("json", "o1", "cancelled")]),
            lambda: live.start_deal("P1", price=Decimal("8.00"), seconds=300, stock=5),
            lambda: session.ingest([order(4, "P4", 1000, "19.99")]),  # sold out
            lambda: live.show_product("P4"),
            lambda: live.stop_deal("P2"),
            lambda: live.next_segment(),  # its planned deal, started from the plan
            lambda: live.start_deal("P5"),
            lambda: session.ingest([order(5, "P5", 2, "12.00")]),
            lambda: live.next_segment(),
            lambda: live.start_deal("P6"),
            lambda: live.stop_deal("P5"),
            lambda: live.previous_segment(),
        ]
        for action in actions:
            action()
            kept = live.snapshot()
            state, sales = reader.show_state(kept), reader.sales_state(kept)
            parts = live._snapshot_parts
            whole = _whole(live)
            live._snapshot_parts = parts
            assert _clockless(kept) == _clockless(whole)
            clockless_kept, clockless_whole = _clockless(kept), _clockless(whole)
            assert show_state_of(clockless_kept) == show_state_of(clockless_whole)
            assert reader.show_state(clockless_kept) == show_state_of(clockless_whole)
            assert sales == replace(
                sales_state_of(whole), orders_per_minute=sales.orders_per_minute
            )
            assert state.products == show_state_of(whole).products
            remote_kept, remote_whole = state_json(clockless_kept), state_json(clockless_whole)
            assert remote_kept == remote_whole
        final = live.snapshot()
        product = {p.sku: p for p in final.products}
        assert (product["P1"].units_sold, product["P2"].units_sold) == (0, 2)
        assert product["P4"].stock_left == 0 and product["P4"].units_sold == 1000
        assert product["P5"].units_sold == 2 and product["P5"].deal is not None
        return len(final.deals)

    assert _run(show, tmp_path, steps) == 7  # the planned deals started on entering their segments


def test_a_snapshot_with_nothing_changed_reads_no_product_of_the_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten deals running on a show of 150 products, then snapshots with nothing new (as the
    window polls ten times a second). Before: each snapshot read every product's stock and
    currency again for the data board, and sorted the stock of the whole show to tell whether
    the board had changed. Now the board is given the same stock table while no stock moved,
    and no product is read."""
    reads = [0]
    get = ProductView.__getattribute__

    def counting(view: ProductView, name: str) -> Any:
        if not name.startswith("__"):
            reads[0] += 1
        return get(view, name)

    def steps(live: LiveShow) -> list[int]:
        for i in range(DEALS):
            live.start_deal(f"P{i}", price=Decimal("9.99"), seconds=600, stock=10)
        live.snapshot()
        monkeypatch.setattr(ProductView, "__getattribute__", counting)
        counts = []
        for _ in range(5):
            reads[0] = 0
            snapshot = live.snapshot()
            counts.append(reads[0])
        monkeypatch.undo()
        assert snapshot.board is not None and len(snapshot.live_deals) == DEALS
        on_sale = {p.sku for p in snapshot.board.products if p.on_sale}
        assert on_sale == {f"P{i}" for i in range(DEALS)}
        return counts

    assert max(_run(_show(150), tmp_path, steps)) <= 2


def test_a_deal_start_makes_the_data_board_row_of_its_product_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten deals started one after the other on a show of 150 products (the board's clock
    held, so that only the starts change it). Before: each start made the data board's row of
    every product again (a show at the limits has 10,000) to say one more was on sale. Now
    the row of the product that came on sale, and the board says the same as made whole."""
    from anchordesk.show.board import ProductFigures

    rows_made = [0]
    make = ProductFigures.__init__

    def counting(self: Any, *args: Any, **kw: Any) -> None:
        rows_made[0] += 1
        make(self, *args, **kw)

    def steps(live: LiveShow) -> list[int]:
        held = live.plan.wall_clock()
        live.plan.wall_clock = lambda: held
        live.snapshot()
        monkeypatch.setattr(ProductFigures, "__init__", counting)
        counts = []
        for i in range(DEALS):
            rows_made[0] = 0
            live.start_deal(f"P{i}", price=Decimal("9.99"), seconds=600, stock=10)
            board = live.snapshot().board
            counts.append(rows_made[0])
        monkeypatch.undo()
        assert board is not None
        assert {p.sku for p in board.products if p.on_sale} == {f"P{i}" for i in range(DEALS)}
        # The same rows as made whole from the session's data.
        assert live.session is not None
        live.session.board._products = None
        live.session.board._cache = None
        assert live.snapshot().board == board
        return counts

    assert max(_run(_show(150), tmp_path, steps)) <= 1
