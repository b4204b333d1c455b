"""Round thirty-three of issue 10, the seams (seams33): one figure, one way, on every surface.
A real rehearsing LiveShow and its real remote on loopback, the session file it wrote and the
report read back from it."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from anchordesk.core.money import format_money
from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.show.model import DealPlan, Product, Segment, Show

from ..remote_parts import TOKEN, rehearsing, serving

AUTH = {"Authorization": f"Bearer {TOKEN}"}

MUG_SHOW = Show(
    "Mugs",
    "JPY",
    "ja",
    (Product("MUG", "Mug", Decimal("1280"), 50),),
    (Segment("Mug", 120, "MUG", deal=DealPlan(Decimal("980"), 60, 10)),),
)


def test_an_order_before_the_first_frame_counts_in_the_first_segment_live_as_in_the_report(
    tmp_path: Path,
) -> None:
    """The first orders of a show kept before its picture's first frame (the feeds start with
    the session; the order's own command started the show, whose start events are stamped a
    moment after the order). Before: the window's board and the remote said the first
    segment "Mug" had 0 orders and no GMV, while `anchordesk report` on the same file put
    both orders (¥3,840) in it."""
    from anchordesk.store.report import build_report

    async def sell() -> tuple[Any, dict[str, Any], Path]:
        async with (
            rehearsing(MUG_SHOW, tmp_path) as live,
            serving(lambda: live) as server,
            aiohttp.ClientSession(headers=AUTH) as deck,
        ):
            assert live.session is not None
            assert not live.session.ledger.segments  # no frame yet
            lines = (OrderLine("MUG", 1, Decimal("1280")), OrderLine("MUG", 2, Decimal("1280")))
            live.session.ingest(
                [
                    Order("json", f"o-{n}", "JPY", line.amount, (line,))
                    for n, line in enumerate(lines)
                ]
            )
            async with deck.get(f"{server.url}api/v1/state") as answer:
                state: dict[str, Any] = await answer.json()
            return live.snapshot().board, state, live.session.path

    board, state, path = asyncio.run(sell())
    (live_segment,) = board.segments
    (remote_segment,) = state["board"]["segments"]
    report = build_report(path)
    assert report.board is not None
    (report_segment,) = report.board.figures.segments
    assert (report_segment.orders, report_segment.gmv_by_currency) == (2, (("JPY", Decimal(3840)),))
    assert (live_segment.orders, live_segment.gmv_by_currency) == (2, (("JPY", Decimal(3840)),))
    assert (remote_segment["orders"], remote_segment["gmv"]) == (2, {"JPY": "3840"})
    assert (live_segment.buyers, remote_segment["buyers"]) == (report_segment.buyers, 2)


def test_amounts_in_several_currencies_are_listed_by_one_rule_in_the_window_and_the_report(
    tmp_path: Path, qtbot: Any
) -> None:
    """A yen show sold ¥1,280, CN¥99.50, and €5.00 wholly refunded. Before: the window's data
    board wrote the GMV "¥1,280 + CN¥99.50 + €0.00" where its orders panel and the phone wrote
    "¥1,280 + CN¥99.50"; the report wrote the average order "CN¥99.50 + ¥1,280" (by code,
    the show's currency second) where the board wrote "¥1,280 + CN¥99.50", and listed "GMV in
    EUR €0.00"; with no order at all the board's average order was "¥0" where the report
    says "—"."""
    from anchordesk.show.feed_items import OrderUpdate
    from anchordesk.store.report import build_report, report_text
    from anchordesk.store.report_html import report_html
    from anchordesk.ui.docks.board import BoardPanel
    from anchordesk.ui.docks.orders import OrdersPanel
    from anchordesk.ui.snapshots import sales_state_of

    show = Show("Mugs", "JPY", "en", MUG_SHOW.products, (Segment("Mug", 120, "MUG"),))

    def line(price: str) -> tuple[OrderLine]:
        return (OrderLine("MUG", 1, Decimal(price)),)

    async def sell() -> tuple[Any, Any, dict[str, Any], Path]:
        async with (
            rehearsing(show, tmp_path) as live,
            serving(lambda: live) as server,
            aiohttp.ClientSession(headers=AUTH) as deck,
        ):
            assert live.session is not None
            empty = live.snapshot()
            live.session.ingest(
                [
                    Order("json", "o-1", "JPY", Decimal(1280), line("1280"), customer="a"),
                    Order("json", "o-2", "CNY", Decimal("99.50"), line("99.50"), customer="b"),
                    Order("json", "o-3", "EUR", Decimal("5.00"), line("5.00"), customer="c"),
                ]
            )
            live.session.ingest([OrderUpdate("json", "o-3", "refunded", refund_id="r-1")])
            async with deck.get(f"{server.url}api/v1/state") as answer:
                state: dict[str, Any] = await answer.json()
            return empty, live.snapshot(), state, live.session.path

    empty, snapshot, state, path = asyncio.run(sell())
    board, orders = BoardPanel(), OrdersPanel()
    qtbot.addWidget(board)
    qtbot.addWidget(orders)
    board.update_snapshot(empty)
    assert board.values["average"].text() == "—"
    board.update_snapshot(snapshot)
    orders.update_sales(sales_state_of(snapshot))
    assert state["sales"]["gmv_by_currency"] == {"CNY": "99.50", "EUR": "0.00", "JPY": "1280"}
    assert board.values["gmv"].text() == "¥1,280\n+ CN¥99.50"
    assert orders.gmv_value.text() == board.values["gmv"].text()
    assert board.values["average"].text() == "¥1,280\n+ CN¥99.50"
    report = build_report(path)
    text = report_text(report, "en")
    assert "Average order ¥1,280 + CN¥99.50" in text, text
    assert "€0.00" not in text and "GMV in EUR" not in text, text
    page = report_html(report, "en")
    assert "¥1,280 + CN¥99.50" in page and "€0.00" not in page


def _phone_writes(element: str, stats: dict[str, Any]) -> str:
    """What the phone page's ``renderStats`` (control/web/app.js) puts in ``element`` for the
    API's ``stats``: its own line, run by node as it is written."""
    import json
    import re
    import subprocess

    import anchordesk.control

    web = Path(anchordesk.control.__file__).parent / "web"
    source = (web / "app.js").read_text(encoding="utf-8")
    found = re.search(rf'\$\("{element}"\)\.textContent = (.*?);\n', source, re.S)
    assert found is not None, element
    script = f"const stats = {json.dumps(stats)};\nprocess.stdout.write(String({found[1]}));"
    said = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, timeout=30, check=True
    )
    return said.stdout


@pytest.mark.parametrize(("cpu", "fps"), [(34.46, 29.2451), (2.5, 24.25), (12.5, 29.97)])
def test_the_cpu_and_frame_rate_read_the_same_in_the_window_the_terminal_and_on_the_phone(
    qtbot: Any, cpu: float, fps: float
) -> None:
    """Before: a CPU of 34.46 % was "34%" in the window's Stream health and the terminal's
    line and "35%" on the phone (the API sent 34.5, the page rounded it again with toFixed);
    2.5 % was "2%" and "3%"; 29.2451 fps was "29.2" and "29.3" (29.25, toFixed(1))."""
    from anchordesk.control.state import stats_json
    from anchordesk.live.session import summary_line
    from anchordesk.live.snapshot import StatsView
    from anchordesk.ui.docks.health import HealthPanel
    from anchordesk.ui.state import HealthState

    panel = HealthPanel()
    qtbot.addWidget(panel)
    panel.update_health(HealthState(cpu_percent=cpu, fps=fps))
    window_cpu, window_fps = panel.values["cpu"].text(), panel.values["fps"].text()
    stats = stats_json(StatsView(fps=fps, cpu_percent=cpu))
    assert _phone_writes("cpu", stats) == window_cpu
    assert _phone_writes("fps", stats) == window_fps
    line = summary_line({"output_fps": fps, "process_cpu_percent": cpu, "media_time_s": 1})
    assert f"cpu {window_cpu}" in line and f"{window_fps} fps" in line, line


def test_the_rehearsal_audience_never_adds_two_currencies_into_one_gmv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dollar show whose kettle is priced in euros (``"currency": "EUR"`` on the product).
    Before: `anchordesk audience` ended "Served … orders (GMV $1,234.56)" with the euros the
    crowd paid added into the dollars, where the orders it served (and the session, the
    window and the report reading them) keep each currency apart."""
    import os
    import signal

    import httpx

    from anchordesk.cli.main import main
    from anchordesk.feeds import audience
    from anchordesk.feeds.adapters import JsonFeedAdapter
    from anchordesk.show.feed_items import OrderUpdate
    from anchordesk.showfile.files import dump_show

    show = Show(
        "Kitchen",
        "USD",
        "en",
        (
            Product("MUG", "Mug", Decimal("24.00"), 500),
            Product("KETTLE", "Kettle", Decimal("69.99"), 500, currency="EUR"),
        ),
        (Segment("Mug", 300, "MUG"), Segment("Kettle", 300, "KETTLE")),
    )
    path = tmp_path / "show.json"
    dump_show(show, path)
    served: dict[str, Decimal] = {}

    class ReadThenStopped(audience.AudienceServer):
        """The real server; once it serves, a client reads the whole show and the user
        stops the command (SIGTERM, as Ctrl+C)."""

        def start(self) -> audience.AudienceServer:
            super().start()
            self.simulator.advance(600.0)  # the whole show, as a real run's clock would go
            adapter = JsonFeedAdapter(self.url_from_start, None, "rehearsal")
            items: list[Any] = []
            cursor = None
            with httpx.Client() as client:
                while True:
                    request = adapter.request(cursor)
                    answer = client.get(request.url, params=dict(request.params) or None)
                    page = adapter.parse(answer, cursor)
                    items += page.items
                    cursor = page.cursor
                    if not page.more:
                        break
            cancelled = {item.order_id for item in items if isinstance(item, OrderUpdate)}
            for order in items:
                if isinstance(order, Order) and order.id not in cancelled:
                    sum_ = served.get(order.currency, Decimal(0)) + order.total_price
                    served[order.currency] = sum_
            os.kill(os.getpid(), signal.SIGTERM)
            return self

    monkeypatch.setattr(audience, "AudienceServer", ReadThenStopped)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        assert main(["audience", "--show", str(path), "--port", "0", "--rate", "5"]) == 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert served.keys() == {"USD", "EUR"}, served
    said = capsys.readouterr().out
    dollars = format_money(served["USD"], "USD")
    euros = format_money(served["EUR"], "EUR")
    assert f"orders (GMV {dollars} + {euros})." in said, said


def test_the_report_pages_charts_group_their_counts_as_its_tables_do(tmp_path: Path) -> None:
    """One order of 12,345 mugs in a deal. Before: the HTML report's "units per product" chart
    labelled its bar "12345" and the deal's band said "12345 units", beside the tables'
    "12,345"; the page grouped its other counts with Python's own grouping, not the one
    formatter."""
    import re

    from anchordesk.store.report import build_report
    from anchordesk.store.report_html import report_html

    show = Show(
        "Mugs",
        "USD",
        "en",
        (Product("MUG", "Mug", Decimal("2.00"), 20000),),
        (Segment("Mug", 120, "MUG", deal=DealPlan(Decimal("1.00"), 60, 15000)),),
    )

    async def sell() -> Path:
        async with rehearsing(show, tmp_path) as live:
            assert live.session is not None
            live.runtime.tick(0.1)  # the picture's first frame: the segment and its deal
            line = OrderLine("MUG", 12345, Decimal("1.00"))
            live.session.ingest([Order("json", "o-1", "USD", line.amount, (line,))])
            return live.session.path

    page = report_html(build_report(asyncio.run(sell())), "en")
    assert "12,345" in page
    assert not re.search(r"(?<![\d,.])12345(?![\d,])", page), re.findall(r".{60}12345.{20}", page)


def test_a_count_of_one_is_said_in_the_singular_in_the_log_and_the_terminal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: one mug past the stock was logged "order o-1: MUG oversold by 1 units", and
    `anchordesk show` listed a deal of one unit as "1 units", where the report writes "1
    unit" (only `anchordesk show`'s own lines had a rule for it)."""
    import logging
    from dataclasses import replace

    from anchordesk.cli.show import summary_lines

    show = replace(MUG_SHOW, products=(replace(MUG_SHOW.products[0], stock=5),))

    async def sell() -> None:
        async with rehearsing(show, tmp_path) as live:
            assert live.session is not None
            line = OrderLine("MUG", 6, Decimal("1280"))
            with caplog.at_level(logging.WARNING):
                live.session.ingest([Order("json", "o-1", "JPY", line.amount, (line,))])

    asyncio.run(sell())
    said = [r.getMessage() for r in caplog.records if " oversold by " in r.getMessage()]
    assert said == ["order o-1: MUG oversold by 1 unit"], said
    one = replace(show, rundown=(replace(show.rundown[0], deal=DealPlan(Decimal(980), 60, 1)),))
    assert any(line.endswith(", 1 unit") for line in summary_lines(one)), summary_lines(one)


def _phone_says(language: str, key: str, count: int, *values: str) -> str:
    """The phone page's own words (control/web/i18n.js) and its own ``tn`` (app.js: a count's
    words in the plural the page's language gives it), run by node as they are written."""
    import re
    import subprocess

    import anchordesk.control

    web = Path(anchordesk.control.__file__).parent / "web"
    app = (web / "app.js").read_text(encoding="utf-8")
    parts = [re.search(rf"\n  const {name} = .*?;\n", app, re.S) for name in ("t", "plural", "tn")]
    assert all(parts), parts
    page_language = {"zh_CN": "zh-CN"}.get(language, language)
    script = "\n".join(
        [
            "const window = {};",
            f'const document = {{ documentElement: {{ lang: "{page_language}" }} }};',
            (web / "i18n.js").read_text(encoding="utf-8"),
            f'const TEXTS = window.ANCHORDESK_TEXT; const LANG = "{language}";',
            *(found[0] for found in parts if found),
            f"process.stdout.write(tn({key!r}, {count}, ...{list(values)!r}));",
        ]
    )
    said = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, timeout=30, check=True
    )
    return said.stdout


def test_the_phone_says_one_unit_and_one_item_in_the_singular() -> None:
    """Before: the phone's deal line said "Mug · $1.00 · 0:59 left · 1 units" and a feed's
    line "json · ok · 1 items", where the report and the terminal say "1 unit"."""
    assert _phone_says("en", "deal_live", 1, "Mug", "$1.00", "0:59", "1") == (
        "Mug · $1.00 · 0:59 left · 1 unit"
    )
    assert _phone_says("en", "deal_live", 2, "Mug", "$1.00", "0:59", "2").endswith("· 2 units")
    assert _phone_says("en", "feed", 1, "json", "ok", "1") == "json · ok · 1 item"
    assert _phone_says("en", "feed", 0, "json", "ok", "0") == "json · ok · 0 items"
    assert _phone_says("ja", "feed", 1, "json", "ok", "1") == "json · ok · 1 件"
    assert _phone_says("zh_CN", "deal_live", 1, "杯", "¥1", "0:59", "1").endswith("· 1 件")
