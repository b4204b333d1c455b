"""The rehearsal audience: follows the show, repeatable, never sells beyond stock, real HTTP."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import httpx

from anchordesk.feeds.adapters import JsonFeedAdapter
from anchordesk.feeds.audience import (
    AudienceServer,
    AudienceSimulator,
    AudienceView,
    DealView,
    autoplay_view,
)
from anchordesk.show.compliance import find_hits
from anchordesk.show.feed_items import FeedItem, Order, OrderUpdate, is_question
from anchordesk.showfile.files import load_show

RESOURCES = Path(__file__).resolve().parents[2] / "resources" / "shows"
ZH = load_show(RESOURCES / "zh" / "show.json")
EN = load_show(RESOURCES / "en" / "show.json")


def all_items(simulator: AudienceSimulator, until_s: float) -> list[dict]:
    page = simulator.page(None, until_s, 500)
    items = list(page["items"])
    while page["more"]:
        page = simulator.page(page["next"], until_s, 500)
        items.extend(page["items"])
    return items


def test_the_same_seed_gives_the_same_audience() -> None:
    first = all_items(AudienceSimulator(ZH, seed=7, rate_per_s=5, run_id="r"), 300)
    again = all_items(AudienceSimulator(ZH, seed=7, rate_per_s=5, run_id="r"), 300)
    other = all_items(AudienceSimulator(ZH, seed=8, rate_per_s=5, run_id="r"), 300)
    assert first == again
    assert first != other


def test_orders_follow_the_show_and_never_exceed_stock() -> None:
    simulator = AudienceSimulator(ZH, seed=3, rate_per_s=40)
    items = all_items(simulator, ZH.planned_seconds)
    view = autoplay_view(ZH)
    shown: set[str] = set()
    units: dict[str, int] = {}
    deal_units = 0
    for item in items:
        segment = ZH.rundown[view(item["at_s"]).segment_index]
        if segment.sku:
            shown.add(segment.sku)
        if item["type"] != "order":
            continue
        (line,) = item["lines"]
        assert line["sku"] in shown, "an order for a product not shown yet"
        units[line["sku"]] = units.get(line["sku"], 0) + line["quantity"]
        if (
            segment.sku == line["sku"]
            and segment.deal
            and Decimal(line["price"]) == (segment.deal.price)
        ):
            deal_units += line["quantity"]
    cancelled = {item["id"] for item in items if item["type"] == "order_update"}
    assert cancelled, "now and then a buyer cancels"
    for item in items:
        if item["type"] == "order" and item["id"] in cancelled:
            (line,) = item["lines"]
            units[line["sku"]] -= line["quantity"]
    for product in ZH.products:
        assert units.get(product.sku, 0) <= product.stock
    # At 40 comments a second the deals sell out: exactly their stock, never more.
    deal_stock = sum(s.deal.stock or 0 for s in ZH.rundown if s.deal)
    assert deal_units == deal_stock


def test_more_orders_during_a_deal_than_outside() -> None:
    simulator = AudienceSimulator(EN, seed=1, rate_per_s=5)
    items = all_items(simulator, EN.planned_seconds)
    view = autoplay_view(EN)
    in_deal = sum(1 for i in items if i["type"] == "order" and view(i["at_s"]).deal_live)
    deal_s = sum(s.deal.seconds for s in EN.rundown if s.deal)
    other = sum(1 for i in items if i["type"] == "order") - in_deal
    assert in_deal / deal_s > 2 * other / (EN.planned_seconds - deal_s)


def test_comments_speak_the_show_language_ask_questions_and_some_are_flagged() -> None:
    items = all_items(AudienceSimulator(ZH, seed=2, rate_per_s=10), 600)
    texts = [i["text"] for i in items if i["type"] == "comment"]
    assert sum(1 for t in texts if any("\u4e00" <= ch <= "\u9fff" for ch in t)) > len(texts) * 0.8
    questions = sum(1 for t in texts if is_question(t))
    flagged = sum(1 for t in texts if find_hits(t, ZH.banned_words))
    assert 0.2 < questions / len(texts) < 0.7
    assert 0 < flagged < len(texts) * 0.2
    assert any("<" in t for t in texts), "the crowd also types markup the app must not render"


def test_served_over_http_in_the_generic_protocol() -> None:
    simulator = AudienceSimulator(EN, seed=5, rate_per_s=20)
    fake_now = [0.0]
    with AudienceServer(simulator, clock=lambda: fake_now[0]) as server:
        fake_now[0] = 400.0

        async def fetch() -> list[FeedItem]:
            adapter = JsonFeedAdapter(server.url, None, "rehearsal")
            got: list[FeedItem] = []
            cursor = None
            async with httpx.AsyncClient() as client:
                while True:
                    request = adapter.request(cursor)
                    response = await client.get(request.url, params=dict(request.params))
                    page = adapter.parse(response, cursor)
                    got.extend(page.items)
                    cursor = page.cursor
                    if not page.more:
                        return got

        items = asyncio.run(fetch())
    orders = [i for i in items if isinstance(i, Order)]
    cancelled = {i.order_id for i in items if isinstance(i, OrderUpdate)}
    made = simulator.comments_made + simulator.orders_made + simulator.cancellations_made
    made += len(simulator.viewer_counts)  # the crowd's size, counted every 5 s
    assert len(items) == made and cancelled
    kept = [o for o in orders if o.id not in cancelled]
    assert sum((o.total_price for o in kept), Decimal(0)) == simulator.gmv
    assert all(o.currency == "USD" for o in orders)


def test_a_restarted_audience_does_not_reuse_ids() -> None:
    first = AudienceSimulator(EN, seed=1, rate_per_s=10)
    second = AudienceSimulator(EN, seed=1, rate_per_s=10)
    ids_first = {i["id"] for i in all_items(first, 60)}
    # An old cursor from the first run makes the second start from its beginning.
    page = second.page(f"{first.run_id}:5", 60, 500)
    assert page["items"][0]["id"].endswith("-c1") or page["items"][0]["id"].endswith("-o1")
    assert ids_first.isdisjoint(i["id"] for i in all_items(second, 60))


def test_the_crowd_pays_the_deal_price_only_while_the_show_says_a_deal_is_live() -> None:
    # The operator started a deal by hand on the first product, outside its planned segment;
    # the show's view says so, and the crowd follows it.
    product = EN.products[0]
    deal = DealView("deal-1", product.price - 1, stock=5, units_left=5)
    live = [False]

    def view(show_s: float) -> AudienceView:
        index = next(i for i, s in enumerate(EN.rundown) if s.sku == product.sku)
        return AudienceView(index, live[0], {product.sku: deal} if live[0] else {})

    simulator = AudienceSimulator(EN, seed=4, rate_per_s=10, view=view)
    before = all_items(simulator, 30)
    live[0] = True
    during = all_items(simulator, 60)[len(before) :]
    prices = {
        Decimal(item["lines"][0]["price"])
        for item in before
        if item["type"] == "order" and item["lines"][0]["sku"] == product.sku
    }
    assert prices == {product.price}
    deal_lines = [
        item["lines"][0]
        for item in during
        if item["type"] == "order" and Decimal(item["lines"][0]["price"]) == deal.price
    ]
    assert sum(line["quantity"] for line in deal_lines) == 5, "the deal's quota, never more"
    assert all(line["sku"] == product.sku for line in deal_lines)


def test_the_japanese_sample_gets_a_japanese_crowd() -> None:
    show = load_show(RESOURCES / "ja" / "show.json")
    items = all_items(AudienceSimulator(show, seed=4, rate_per_s=10), 600)
    comments = [i for i in items if i["type"] == "comment"]
    texts = [i["text"] for i in comments]

    def japanese(text: str) -> bool:
        return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)

    assert sum(1 for t in texts if japanese(t)) > len(texts) * 0.8
    questions = sum(1 for t in texts if is_question(t))
    flagged = [t for t in texts if find_hits(t, show.banned_words)]
    assert 0.2 < questions / len(texts) < 0.7
    assert 0 < len(flagged) < len(texts) * 0.2
    # The crowd names what is on screen, by the product's Japanese title.
    assert any(p.title in t for p in show.products for t in texts)
    assert sum(1 for i in comments if japanese(i["author"])) > len(comments) * 0.5
    assert all(o["currency"] == "JPY" for o in items if o["type"] == "order")
