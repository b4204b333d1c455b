"""Round thirteen, found by the lead beside the hunters (round twelve's leftovers). Real parts:
the window's own show (LiveShow) polling the rehearsal audience over HTTP, its session file,
and the report read from that file."""

from __future__ import annotations

import asyncio
import html
import importlib.util
import os
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import Reply
from platform_servers import ShopifyGraphQLServer, _json

from anchordesk.feeds import hub
from anchordesk.feeds.shopify_graphql import ShopifyGraphQLOrdersAdapter
from anchordesk.store import report_i18n
from anchordesk.store.report import build_report, report_text
from anchordesk.store.report_html import report_html

from ..feeds.test_round_13_pages import _polled
from .test_round_11_lead import MISSING_BUNDLE, _the_window_s_rehearsal
from .test_round_11_seams import run


def test_a_report_in_chinese_or_japanese_says_why_the_feeds_stopped_in_its_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feeds' HTTP client cannot be built (SSL_CERT_FILE naming nothing; forced here, so
    that httpx 0.27, which skips a missing file, meets it too). Before: the Chinese and the
    Japanese report said it in English ("数据源      the feeds stopped: the certificates
    cannot be loaded: …") while the window said it in its language."""

    def refused(*_args: object) -> object:
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setenv("SSL_CERT_FILE", MISSING_BUNDLE)
    monkeypatch.setattr(hub, "_new_http_client", refused)
    asyncio.run(_the_window_s_rehearsal(tmp_path, "stopped"))
    (session,) = (tmp_path / "sessions").glob("*.adsession")
    report = build_report(session)
    # The JSON (for programs) and the English text keep the English reason.
    english = (
        "the feeds stopped: the certificates cannot be loaded: SSL_CERT_FILE names "
        f"{MISSING_BUNDLE}, which does not exist (fix or unset it)"
    )
    assert report.to_json()["feeds_stopped"] == english
    assert (
        "stopped: the certificates cannot be loaded: SSL_CERT_FILE names "
        f"{MISSING_BUNDLE}, which does not exist (fix or unset it)"
    ) in report_text(report, "en")
    chinese = report_text(report, "zh_CN")
    assert (
        f"已停止：无法加载证书：SSL_CERT_FILE 指向的 {MISSING_BUNDLE} 不存在（请修正或取消该设置）"
        in chinese
    )
    assert "the feeds stopped" not in chinese
    page = report_html(report, "ja")
    assert (
        html.escape(f"停止：証明書を読み込めません：SSL_CERT_FILE が指す {MISSING_BUNDLE}") in page
    )
    assert "cannot be loaded" not in page


def test_every_reason_the_feeds_hub_gives_has_the_reports_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hub's reasons and the report's catalogue are kept apart (the store has no Qt): a
    reworded reason in the hub would fall back to English in every report."""
    proxies = [name for name in os.environ if name.lower().endswith("_proxy")]
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", *proxies):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", MISSING_BUNDLE)
    reasons = [hub._why_stopped(FileNotFoundError(2, "gone"))]
    assert reasons[0].params["name"] == "SSL_CERT_FILE"
    monkeypatch.delenv("SSL_CERT_FILE")
    reasons.append(hub._why_stopped(RuntimeError("boom")))
    # The proxies the environment names that the feeds cannot use (R13http F5, R14feeds F4).
    for name, value in (
        ("HTTPS_PROXY", "http://proxy:8o80"),
        ("HTTPS_PROXY", "ftp://proxy:21"),
        ("ALL_PROXY", "socks5://127.0.0.1:1080"),
        ("NO_PROXY", "[::1]"),
    ):
        with monkeypatch.context() as environment:
            environment.setenv(name, value)
            reasons.append(hub._why_stopped(RuntimeError("boom")))
    socks_usable = importlib.util.find_spec("socksio") is not None  # httpx[socks] installed
    assert len({words.template for words in reasons}) == (5 if socks_usable else 6), reasons
    for words in reasons:
        values = {name: str(value) for name, value in words.params.items()}
        for language in report_i18n.REPORT_LANGUAGES:
            assert report_i18n.stop_reason_text(words.template, values, language) is not None
    assert report_i18n.stop_reason_text("a newer version's words", {}, "ja") is None


def test_a_quiet_stretch_before_a_kill_counts_in_the_segments_time(tmp_path: Path) -> None:
    """R12resume F5: the mug's deal started 3 s into the show, then nothing happened (no
    order, no comment, no viewer count) until the program was killed 25 s in; the same
    command ran the mug 20 s more. Before: "Plan and actual" gave the mug 0:23, the killed
    run counted only up to its last row (3 s). The running show now keeps a heartbeat every
    5 s of its clock, and the run continuing the file lays its clock from there: 0:45."""
    path = tmp_path / "show.adsession"
    first, runtime = run(path)
    runtime.start_deal(3.0, sku="MUG", price=Decimal("20.00"), seconds=600)
    for now_s in (3.0, 8.0, 13.0, 18.0, 25.0):  # the picture's frames (a few of them)
        runtime.layers(now_s, (320, 180))
    first.close_store()  # killed 25 s in: nothing after the deal's start but frames

    again, runtime = run(path)
    runtime.stop_deal(20.0, sku="MUG")
    again.close_store()
    (mug,) = build_report(path).timings
    assert mug.actual_s is not None
    assert 45.0 <= mug.actual_s < 46.0


def test_a_damaged_heartbeat_is_no_moment_of_the_show(tmp_path: Path) -> None:
    """A heartbeat a hand edit or a damaged page left unreadable (text, a list, a time in
    2150, a show clock of 1e300) is ignored: the runs are laid from their last rows."""
    for damaged in (
        "not json",
        "[1, 2]",
        '{"run": "x", "at": 5.6e9, "at_s": 10}',
        '{"run": "x", "at": 1.7e9, "at_s": 1e300}',
        '{"run": 7, "at": 1.7e9, "at_s": 10}',
    ):
        path = tmp_path / f"{len(damaged)}.adsession"
        first, runtime = run(path)
        runtime.start_deal(3.0, sku="MUG", price=Decimal("20.00"), seconds=600)
        first.close_store()
        with sqlite3.connect(path) as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('heard', ?)", (damaged,))
        db.close()
        again, runtime = run(path)
        runtime.stop_deal(20.0, sku="MUG")
        again.close_store()
        (mug,) = build_report(path).timings
        assert mug.actual_s is not None and 23.0 <= mug.actual_s < 24.0, damaged


class _ChineseErrorShop(ShopifyGraphQLServer):
    """Shopify's GraphQL Admin API answering with an error whose message is Chinese, with a
    line break and an escape sequence in it."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        if path.endswith("/graphql.json"):
            return _json({"errors": [{"message": "无效的查询\n\x1b[2J请稍后再试"}]})
        return super().handle(method, path, query, headers, body)


def test_a_shopify_graphql_error_is_said_in_the_shops_own_words() -> None:
    """R13pages note: the feed's status quoted GraphQL errors as ``json.dumps`` wrote them: a
    Chinese shop's message read "GraphQL errors: [{"message": "\\u65e0\\u6548…"}]". Now its
    message, on one line, control characters escaped."""
    with _ChineseErrorShop() as server:
        adapter = ShopifyGraphQLOrdersAdapter(server.shop_url, server.static_token)
        _sink, poller, _ = _polled(adapter, [(1, lambda: None)])
    assert poller.health.last_error.endswith("GraphQL errors: 无效的查询 \\x1b[2J请稍后再试")
