"""Hostile round twenty-four, the Shopify feeds (hunt24shop): REST and GraphQL read by one
rule, against the real local test shops (tests/feeds), a real FeedHub and StoreWriter, and the
report read from the session file. Each behaviour test failed on the code before its fix."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import ShopifyOrdersServer
from platform_servers import ShopifyGraphQLServer

from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.poller import BackoffPolicy
from anchordesk.feeds.spec import FeedSpec
from anchordesk.store import SessionStore, StoreWriter
from anchordesk.store.report import build_report


def _stored(session: Path) -> int:
    """Orders and rejected items the session holds."""
    if not session.exists():
        return 0
    store = SessionStore(session)
    try:
        return store.count("orders") + store.count("rejected_items")
    finally:
        store.close()


def _run_until(url: str, token: str, session: Path, done: Callable[[], bool]) -> None:
    """The app's feeds (a hub and a writer, as a launch) on ``session`` until ``done``."""
    writer = StoreWriter(session)
    hub = FeedHub(
        [FeedSpec("shopify-orders", url)],
        writer,
        token_lookup=lambda kind: token if kind == "shopify-orders" else None,
        backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
        shopify_created_at_min=datetime(2000, 1, 1, tzinfo=UTC),
    )

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(hub.run(stop))
        for _ in range(3000):
            await asyncio.sleep(0.01)
            if done():
                break
        stop.set()
        await task

    try:
        asyncio.run(run())
    finally:
        writer.close()


def _one_order_in(api: str, currency: str, session: Path) -> None:
    """One order of one $2.00 line in ``currency``, read from a shop speaking ``api``."""
    if api == "graphql":
        with ShopifyGraphQLServer() as graphql:
            graphql.add_order([("MUG", 1, "2.00")], currency=currency)
            _run_until(graphql.shop_url, graphql.static_token, session, lambda: _stored(session))
    else:
        with ShopifyOrdersServer() as rest:
            rest.add_order([("MUG", 1, "2.00")], currency=currency)
            _run_until(rest.url, rest.token, session, lambda: _stored(session))


@pytest.mark.parametrize("api", ["graphql", "rest"])
@pytest.mark.parametrize("currency", ["ıls", "uß"])
def test_a_currency_that_upper_cases_into_a_code_is_rejected_by_both_shopify_apis(
    tmp_path: Path, api: str, currency: str
) -> None:
    """F1 (leftover): a shop's currency "ıls" (dotless i) or "uß" upper-cases into ILS or
    USS. GraphQL upper-cased whatever came and counted the order, $2.00 as 2.00 ILS (a
    currency the shop never wrote), while REST rejected it as the documented rule says
    (feed-protocol.md: three letters A-Z, "cny" read as CNY, anything else currency_invalid).
    Now both read it by the one rule (show/validate.currency_code): kept as rejected, with
    why, and counted in the report."""
    session = tmp_path / "s.adsession"
    _one_order_in(api, currency, session)
    report = build_report(session)
    assert report.orders == 0
    assert report.ledger.gmv_by_currency == {}
    [rejected] = report.rejected
    assert rejected.reason == "currency_invalid"
    assert repr(currency) in rejected.detail


@pytest.mark.parametrize("api", ["graphql", "rest"])
def test_a_lower_case_code_is_read_as_its_code_by_both_shopify_apis(
    tmp_path: Path, api: str
) -> None:
    """ "usd" is USD (the documented rule), the same through REST and GraphQL."""
    session = tmp_path / "s.adsession"
    _one_order_in(api, "usd", session)
    report = build_report(session)
    assert report.orders == 1
    assert report.ledger.gmv_by_currency == {"USD": Decimal("2.00")}
    assert report.rejected == []
