"""Round thirty-one of issue 10, the seams (seams31): the same figure written the same way on
every surface, and outside text masked whole before it is cut. A real rehearsing LiveShow and
its real remote on loopback where a figure crosses layers; the one formatter otherwise."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from anchordesk.show.model import DealPlan, Product, Segment, Show

from ..remote_parts import TOKEN, rehearsing, serving

AUTH = {"Authorization": f"Bearer {TOKEN}"}

DEAR_SHOW = Show(
    "Dear",
    "USD",
    "en",
    (Product("WATCH", "Watch", Decimal("99999.00"), 5000),),
    (Segment("Watch", 120, "WATCH", deal=DealPlan(Decimal("89999.00"), 60, 10)),),
)


async def _refused_start(folder: Path, body: dict[str, Any], language: str) -> dict[str, Any]:
    async with (
        rehearsing(DEAR_SHOW, folder) as live,
        serving(lambda: live) as server,
        aiohttp.ClientSession(headers={**AUTH, "Accept-Language": language}) as deck,
        deck.post(f"{server.url}api/v1/commands", json=body) as answer,
    ):
        assert answer.status == 400, await answer.text()
        said: dict[str, Any] = await answer.json()
    return said


def test_a_refused_deal_price_is_said_as_money_in_every_language(tmp_path: Path) -> None:
    """Before: a deal started from the remote at a price above the list price was refused
    "deal price 1234567.5 is not below the list price 99999 of WATCH": the two prices without
    their currency or grouping, where the picture's card, the window and the report write
    "$1,234,567.50" (and a Chinese phone "US$1,234,567.50")."""
    start = {"command": "start_deal", "sku": "WATCH", "price": "1234567.5", "seconds": 60}
    english = asyncio.run(_refused_start(tmp_path / "en", start, "en"))
    assert english["error"] == (
        "deal price $1,234,567.50 is not below the list price $99,999.00 of WATCH"
    )
    assert english["message"] == english["error"]
    chinese = asyncio.run(_refused_start(tmp_path / "zh", start, "zh-CN"))
    assert chinese["error"] == english["error"]  # the log's and the scripts' English
    assert "US$1,234,567.50" in chinese["message"], chinese
    assert "US$99,999.00" in chinese["message"], chinese
    assert "1234567.5" not in chinese["message"]


def test_an_oversold_count_in_the_log_is_grouped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: an order of 8,313 watches on a stock of 5,000 was logged "order o-1: WATCH
    oversold by 3313 units", where the board, the report and every message write 3,313."""
    from anchordesk.show.feed_items import Order, OrderLine

    async def sell() -> None:
        async with rehearsing(DEAR_SHOW, tmp_path) as live:
            assert live.session is not None
            line = OrderLine("WATCH", 8313, Decimal("99999.00"))
            with caplog.at_level(logging.WARNING):
                live.session.ingest([Order("json", "o-1", "USD", line.amount, (line,))])

    asyncio.run(sell())
    said = [r.getMessage() for r in caplog.records if " oversold by " in r.getMessage()]
    assert said == ["order o-1: WATCH oversold by 3,313 units"], said


PASSWORD = "hunter2-correct-horse-battery"


def _password_across(limit: int, before: str) -> str:
    """``before``, padded, then a URL whose password begins a few characters before the
    ``limit``-th character and runs past it."""
    head = f"{before} http://admin:"
    pad = "x" * max(0, limit - 8 - len(head) - 1)
    return f"{before} {pad} http://admin:{PASSWORD}@stream.example/live"


def _shows_no_password(said: str) -> None:
    assert "hunter" not in said and "horse" not in said, said
    assert PASSWORD[:4] not in said, said


def test_a_web_servers_answer_is_masked_before_it_is_cut() -> None:
    """Before: the first line a web server answered the RTMP handshake with ("this is a web
    server, not an RTMP server (it answered "…")") was cut at 60 characters and never masked:
    a URL in it whose password ran past the cut was shown as "http://admin:hunt…"."""
    from anchordesk.media.network_watch import web_server_answer

    line = _password_across(60, "HTTP/1.1 302 Found:")
    assert line.index(PASSWORD) < 57 < line.index(PASSWORD) + len(PASSWORD)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def answer() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(4096)
                connection.sendall(line.encode() + b"\r\n\r\n")

        server = threading.Thread(target=answer, daemon=True)
        server.start()
        said = web_server_answer("127.0.0.1", port, timeout_s=5.0)
        server.join(5.0)
    assert said is not None and said.startswith("HTTP/1.1 302 Found:"), said
    assert len(said) <= 60 and said.endswith("…"), said
    _shows_no_password(said)


def test_a_servers_error_is_masked_before_it_is_cut() -> None:
    """Before: ConnectionPhases cut a server's error to 200 characters before anything masked
    it (``_one_line``): a password running past the 200th character lost its '@'."""
    from anchordesk.media.network_watch import ConnectionPhases

    phases = ConnectionPhases("rtmp")
    phases.feed("[rtmp @ 0x5555] Server error: " + _password_across(200, "go to"))
    assert phases.server_error is not None and phases.server_error.endswith("…")
    assert len(phases.server_error) <= 200
    _shows_no_password(phases.server_error)


def test_a_quoted_name_is_masked_before_it_is_cut() -> None:
    """Before: a destination named by its pasted stream URL was quoted in the window's lines
    (Settings' problem line, the go-live refusal) cut at 60 characters, unmasked: the
    password's start showed ("Live 1 … http://admin:hunter2-c…")."""
    from anchordesk.ui.words import QUOTED_CHARS, quoted_text

    name = _password_across(QUOTED_CHARS, "Live 1")
    assert name.index(PASSWORD) < QUOTED_CHARS < name.index(PASSWORD) + len(PASSWORD)
    said = quoted_text(name)
    assert said.startswith("Live 1") and said.endswith("…"), said
    assert len(said) <= QUOTED_CHARS + 1
    _shows_no_password(said)
    assert quoted_text("Taobao\nLive") == "Taobao\\nLive"  # still one line, written out


def test_orders_a_minute_read_the_same_in_the_orders_panel_the_board_and_the_phone(
    tmp_path: Path, qtbot: Any
) -> None:
    """Before: 1,234 orders in the last minute were "1234.0" in the window's Orders panel and
    on the phone (the page's toFixed(1)), beside the board's "1,234"; now every surface writes
    the rate by core.money.format_rate, in the reader's language."""
    from anchordesk.show.feed_items import Order, OrderLine
    from anchordesk.ui.docks.board import BoardPanel
    from anchordesk.ui.docks.orders import OrdersPanel
    from anchordesk.ui.snapshots import sales_state_of

    async def sell() -> tuple[Any, dict[str, Any]]:
        async with (
            rehearsing(DEAR_SHOW, tmp_path) as live,
            serving(lambda: live) as server,
            aiohttp.ClientSession(headers={**AUTH, "Accept-Language": "ja"}) as deck,
        ):
            assert live.session is not None
            line = OrderLine("WATCH", 1, Decimal("99999.00"))
            live.session.ingest(
                [Order("json", f"o-{n}", "USD", line.amount, (line,)) for n in range(1234)]
            )
            async with deck.get(f"{server.url}api/v1/state") as answer:
                state: dict[str, Any] = await answer.json()
            return live.snapshot(), state

    snapshot, state = asyncio.run(sell())
    assert round(snapshot.sales.orders_per_minute) == 1234
    board, orders = BoardPanel(), OrdersPanel()
    qtbot.addWidget(board)
    qtbot.addWidget(orders)
    board.update_snapshot(snapshot)
    orders.update_sales(sales_state_of(snapshot))
    assert board.values["orders"].text() == "1,234"
    assert orders.rate_value.text() == "1,234"
    assert state["sales"]["orders_per_minute_text"] == "1,234"


def test_a_deals_sell_through_in_the_report_groups_its_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the report's audience table said a deal of 2,000 units that sold 1,500 as
    "WATCH 75.0% (1500 of 2000)", where its deals table, the board and the picture group
    every count ("1,500")."""
    from anchordesk.cli.main import main
    from anchordesk.show.feed_items import Order, OrderLine

    async def sell() -> Path:
        async with (
            rehearsing(DEAR_SHOW, tmp_path) as live,
            serving(lambda: live) as server,
            aiohttp.ClientSession(headers=AUTH) as deck,
        ):
            start = {"command": "start_deal", "sku": "WATCH", "seconds": 300, "stock": 2000}
            async with deck.post(f"{server.url}api/v1/commands", json=start) as answer:
                assert answer.status == 200, await answer.text()
            assert live.session is not None
            line = OrderLine("WATCH", 1500, Decimal("89999.00"))
            live.session.ingest([Order("json", "o-1", "USD", line.amount, (line,))])
            return live.session.path

    path = asyncio.run(sell())
    assert main(["report", str(path)]) == 0
    text = capsys.readouterr().out
    assert "WATCH 75.0% (1,500 of 2,000)" in text, text
    assert main(["report", "--lang", "zh_CN", str(path)]) == 0
    assert "2,000 件中售出 1,500" in capsys.readouterr().out


def test_the_recordings_size_reads_the_same_in_the_window_the_phone_and_the_terminal(
    tmp_path: Path, qtbot: Any
) -> None:
    """Before: a recording of 1,234,567,890 bytes was "1.2 GB" in the window's Stream health
    and status bar, "1234.6 MB" on the phone (the page's own arithmetic) and in the line
    `anchordesk live` ends with ("Recording kept in … (1234.6 MB)")."""
    from anchordesk.cli.commands import _recording_line
    from anchordesk.control.state import stats_json
    from anchordesk.live.snapshot import StatsView
    from anchordesk.ui.docks.health import HealthPanel
    from anchordesk.ui.state import HealthState

    size = 1_234_567_890
    panel = HealthPanel()
    qtbot.addWidget(panel)
    panel.update_health(HealthState(recording_bytes=size))
    window = panel.values["recording"].text()
    assert window == "1.2 GB"
    assert stats_json(StatsView(recording_bytes=size))["recording_text"] == window
    kept = tmp_path / "show.mkv"
    kept.write_bytes(b"")
    assert _recording_line(kept, size) == f"Recording kept in {kept} ({window})"


def test_dropped_frames_and_cpu_read_the_same_in_the_window_and_the_terminal(
    qtbot: Any,
) -> None:
    """Before: 12,345 frames dropped by the network were "network 12345" in the window's
    Stream health and "dropped 12345" in `anchordesk live`'s line, where the phone wrote
    "12,345"; and the CPU was "35 %" in the window alone ("35%" on the phone and the
    terminal)."""
    from anchordesk.live.session import summary_line
    from anchordesk.ui.docks.health import HealthPanel
    from anchordesk.ui.state import HealthState

    panel = HealthPanel()
    qtbot.addWidget(panel)
    panel.update_health(HealthState(cpu_percent=35.2, dropped_by_stage={"network": 12345}))
    assert "network 12,345" in panel.values["dropped"].text()
    assert panel.values["cpu"].text() == "35%"
    line = summary_line(
        {"process_cpu_percent": 35.2, "dropped_frames_network_total": 12345, "outputs": []}
    )
    assert "dropped 12,345" in line and "cpu 35%" in line, line


def test_anchordesk_control_masks_a_refusals_url_before_it_cuts_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a refusal longer than 300 characters (a server that is not AnchorDesk's remote,
    a proxy in front of it) was cut at 300 before the terminal's line was masked: a URL whose
    password ran past the cut had no '@' left, and `anchordesk control` printed the password's
    start."""
    import json

    from anchordesk.cli.main import main

    from ..remote.test_round_24_remote import TOKEN as OTHER_TOKEN
    from ..remote.test_round_24_remote import _answering

    error = _password_across(300, "refused: the upstream")
    assert error.index(PASSWORD) < 300 < error.index(PASSWORD) + len(PASSWORD)
    body = json.dumps({"ok": False, "error": error}).encode()
    monkeypatch.setenv("ANCHORDESK_CONTROL_TOKEN", OTHER_TOKEN)
    with _answering(body, 409) as (url, _):
        assert main(["control", "--url", url, "next_segment"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: anchordesk control next_segment: 409: refused: the upstream")
    assert line.endswith("…"), line
    _shows_no_password(line)


def test_a_prompts_counts_read_the_same_on_the_board_the_remote_and_in_the_report(
    qtbot: Any,
) -> None:
    """Before: a fall of viewers from 12,000 to 7,000 was "Viewers fell from 12,000 to 7,000"
    on the window's board, but "from 12000 to 7000" in the remote's prompt text, the log and
    the report (in every language): only the board grouped a prompt's counts."""
    from anchordesk.control.state import state_json
    from anchordesk.live.snapshot import LiveSnapshot
    from anchordesk.show.prompts import VIEWERS_DROP, Prompt
    from anchordesk.store.report_board import prompt_line
    from anchordesk.ui.docks.board import BoardPanel

    prompt = Prompt(
        "viewers_drop:1", VIEWERS_DROP, 1.0, (("from", "12000"), ("to", "7000"), ("minutes", "2"))
    )
    english = "Viewers fell from 12,000 to 7,000 in 2 min: give them a reason to stay"
    snapshot = LiveSnapshot(currency="USD", prompts=(prompt,))
    panel = BoardPanel()
    qtbot.addWidget(panel)
    panel.update_snapshot(snapshot)
    assert panel.prompt_list.item(0).text() == english
    assert [p["text"] for p in state_json(snapshot)["prompts"]] == [english]
    assert prompt_line(prompt, "en") == english
    assert "12,000" in prompt_line(prompt, "zh_CN") and "7,000" in prompt_line(prompt, "ja")


def test_anchordesk_show_groups_its_stock_and_units(tmp_path: Path) -> None:
    """Before: `anchordesk show` listed the watch as "stock 5000" and its deal as "10 units"
    beside prices written "$99,999.00": a stock of 12,345 read "stock 12345" where the window's
    card and the picture write "12,345 left"."""
    from dataclasses import replace

    from anchordesk.cli.show import summary_lines

    show = replace(
        DEAR_SHOW,
        products=(replace(DEAR_SHOW.products[0], stock=12345),),
        rundown=(replace(DEAR_SHOW.rundown[0], deal=DealPlan(Decimal("89999.00"), 60, 2000)),),
    )
    text = "\n".join(summary_lines(show))
    assert "$99,999.00  stock 12,345" in text, text
    assert "deal $89,999.00 for 01:00, 2,000 units" in text, text


def test_the_phone_page_shows_orders_a_minute_as_the_window_does(
    tmp_path: Path, chromium: str
) -> None:
    """The page itself (Debian's chromium, headless, a Chinese phone): before, its own
    toFixed(1) wrote 1,234 orders in the last minute as "1234.0" beside the window's "1,234"."""
    import test_control_browser as browser_tools

    from anchordesk.show.feed_items import Order, OrderLine

    async def look() -> str:
        async with (
            rehearsing(DEAR_SHOW, tmp_path / "run") as live,
            serving(lambda: live) as server,
        ):
            assert live.session is not None
            line = OrderLine("WATCH", 1, Decimal("99999.00"))
            live.session.ingest(
                [Order("json", f"o-{n}", "USD", line.amount, (line,)) for n in range(1234)]
            )
            async with browser_tools.chromium_page(chromium, tmp_path / "profile") as page:
                await page.send("Page.enable")
                await page.send("Page.navigate", url=f"{server.url}?token={TOKEN}")
                await page.wait_for("document.querySelectorAll('[data-sku]').length === 1")
                await page.wait_for(
                    "document.getElementById('connection').classList.contains('on')"
                )
                await page.wait_for("document.getElementById('opm').textContent !== ''")
                said: str = await page.evaluate("document.getElementById('opm').textContent")
                return said

    assert asyncio.run(look()) == "1,234"


def _phone_clock(seconds: float) -> str:
    """The phone page's own ``clock()`` (control/web/app.js), run by node as it is written."""
    import re
    import subprocess

    import anchordesk.control

    web = Path(anchordesk.control.__file__).parent / "web"
    source = (web / "app.js").read_text(encoding="utf-8")
    found = re.search(r"function clock\(seconds\) \{.*?\n  \}", source, re.S)
    assert found is not None
    said = subprocess.run(
        ["node", "-e", f"{found.group()}\nprocess.stdout.write(clock({seconds}))"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return said.stdout


@pytest.mark.parametrize(("elapsed_s", "shown"), [(59.6, "0:59"), (2.5, "0:02"), (3.5, "0:03")])
def test_a_running_segments_clock_reads_the_same_in_the_window_and_on_the_phone(
    qtbot: Any, elapsed_s: float, shown: str
) -> None:
    """Before: 59.6 s into a segment the window's run sheet (and its status bar) said "1:00"
    while the phone said "0:59": the window rounded (half-way to even: 3.5 s was "0:04", 2.5 s
    "0:02"), the phone counts whole seconds gone by, as a stopwatch does."""
    from anchordesk.ui.docks.run_sheet import RunSheetPanel
    from anchordesk.ui.state import SegmentRow, ShowState

    row = SegmentRow(0, "Watch", 120.0, elapsed_s, "WATCH", "", None, is_current=True)
    panel = RunSheetPanel()
    qtbot.addWidget(panel)
    panel.update_state(ShowState(title="Dear", currency="USD", segments=(row,)))
    window = panel._model.item(0, 3).text()
    assert window == shown
    assert _phone_clock(elapsed_s) == window


@pytest.mark.parametrize(
    ("elapsed_s", "gone", "left"), [(59.6, "0:59", "1:01"), (135.6, "2:15", "-0:15")]
)
def test_the_teleprompters_time_left_adds_up_with_the_clock_beside_it(
    qtbot: Any, elapsed_s: float, gone: str, left: str
) -> None:
    """Before: 59.6 s into a 2:00 segment the teleprompter said "1:00" left (rounded on its
    own) where the run sheet and the phone said "0:59" gone: 1:59 in all; 135.6 s in, "-0:16"
    over beside "2:15" (2:00 planned). Now the time left is the plan less the clock shown."""
    from anchordesk.ui.docks.run_sheet import RunSheetPanel
    from anchordesk.ui.state import SegmentRow, ShowState
    from anchordesk.ui.teleprompter import TeleprompterPanel

    row = SegmentRow(0, "Watch", 120.0, elapsed_s, "WATCH", "", None, is_current=True)
    state = ShowState(title="Dear", currency="USD", segments=(row,))
    sheet, prompter = RunSheetPanel(), TeleprompterPanel()
    qtbot.addWidget(sheet)
    qtbot.addWidget(prompter)
    sheet.update_state(state)
    prompter.update_state(state)
    assert sheet._model.item(0, 3).text() == gone == _phone_clock(elapsed_s)
    assert prompter.view.lines.remaining == left
