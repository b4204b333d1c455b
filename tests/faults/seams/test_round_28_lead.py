"""Round twenty-eight of issue 10, the lead's findings: an order of absurdly many lines."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer

from anchordesk.cli import main as cli_main
from anchordesk.show.feed_rules import MAX_LINES
from anchordesk.store.report import build_report

from ..feed_parts import ingest

pytestmark = pytest.mark.integration


def _order(item_id: str, lines: int, kind: str = "order") -> dict[str, object]:
    return {
        "type": kind,
        "id": item_id,
        "currency": "CNY",
        "total": f"{lines}.00",
        "lines": [{"sku": "MASK-10", "quantity": 1, "price": "1.00"}] * lines,
    }


def test_an_order_of_more_lines_than_any_shop_takes_is_kept_as_rejected_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: one order of 100,000 lines of one unit each was within the rule (its units
    together 100,000) and was applied to the show in one step of the loop: the window, the
    remote and the picture's stock waited 1.1 s. No platform takes such an order (Shopify's
    order APIs 499 lines, Clover's 2,500): past 10,000 lines it is kept as rejected with its
    reason, counted in the report, never summed; one of 10,000 lines is counted."""
    session = tmp_path / "s.adsession"
    with JsonFeedServer(poll_ms=10) as server:
        server.add_raw(_order("o-most", MAX_LINES))
        server.add_raw(_order("o-past", MAX_LINES + 1))
        hub = ingest(server, session)
    assert hub.health()[0].rejected == 1

    report = build_report(session)
    assert report.orders == 1
    assert report.ledger.gmv_by_currency == {"CNY": Decimal(MAX_LINES)}
    assert [(r.item_id, r.reason) for r in report.rejected] == [("o-past", "quantity_invalid")]
    assert cli_main(["report", str(session)]) == 0
    out = capsys.readouterr().out
    assert "order o-past (json): order of 10,001 lines (at most 10,000)" in out
    assert cli_main(["report", str(session), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["orders"] == 1 and data["rejected_items"] == 1


@pytest.mark.parametrize("blank", ["   ", "\t\n", "\ufeff "])
def test_a_stream_key_variable_that_is_set_but_blank_is_refused_in_one_line(
    blank: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``ANCHORDESK_STREAM_KEY="   "`` was taken as no variable at all and the stream
    went to the bare server address with no key, unsaid (the platform then refuses it as a
    wrong key, or a local server takes a keyless stream). ``--to-key-stdin`` refused a blank
    key already; the variable now says the same, before anything starts."""
    monkeypatch.setenv("ANCHORDESK_STREAM_KEY", blank)
    args = ["live", "--camera", "test", "--mic", "none", "--to", "rtmp://ingest.example/live"]
    assert cli_main([*args, "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: ANCHORDESK_STREAM_KEY is set but blank: set the stream key in it, or unset it\n"
    )


def test_desktop_uninstall_removes_its_files_past_a_folder_in_the_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``desktop uninstall`` stopped at a folder named like one of its files (exit 2,
    "a folder has its name"), leaving the menu entry and the icons after it installed: the
    user could not get AnchorDesk out of the menu. The folder is not AnchorDesk's (install
    refuses to write there): it is left and named, every file of AnchorDesk removed."""
    import sys

    from anchordesk.cli import desktop

    monkeypatch.setattr(desktop, "this_executable", lambda: Path(sys.executable))
    share = tmp_path / "share"
    monkeypatch.setenv("XDG_DATA_HOME", str(share))
    assert cli_main(["desktop", "install"]) == 0
    files = desktop.installed_files(share)
    in_the_way = files["metainfo"]  # neither the first nor the last file removed
    in_the_way.unlink()
    (in_the_way / "kept.txt").parent.mkdir()
    (in_the_way / "kept.txt").write_text("the user's", encoding="utf-8")
    capsys.readouterr()
    assert cli_main(["desktop", "uninstall"]) == 0
    out = capsys.readouterr().out
    assert [path for path in files.values() if path.exists()] == [in_the_way]
    assert (in_the_way / "kept.txt").read_text(encoding="utf-8") == "the user's"
    assert out.splitlines() == [
        f"removed {len(files) - 1} files of AnchorDesk's desktop integration",
        f"  left {in_the_way}: a folder, not AnchorDesk's file",
    ]


async def _rejected_everywhere(folder: Path, feed: JsonFeedServer, chromium: str) -> dict:
    import aiohttp
    import test_control_browser as browser_tools

    from anchordesk.feeds.spec import FeedSpec

    from ..remote.test_round_19_remote import SMALL_SHOW
    from ..remote_parts import TOKEN, rehearsing, serving

    async with (
        rehearsing(SMALL_SHOW, folder, [FeedSpec("json", feed.url)]) as live,
        serving(lambda: live) as server,
        browser_tools.chromium_page(chromium, folder / "profile") as page,
    ):
        session = live.session
        assert session is not None
        while session.comment_count < 1:  # the page's last item: the page is in
            await asyncio.sleep(0.02)  # a poll for the feed's page, not a timing
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            aiohttp.ClientSession(headers=headers) as client,
            client.get(f"{server.url}api/v1/state") as answer,
        ):
            state = await answer.json()
        await page.send("Page.navigate", url=f"{server.url}?token={TOKEN}")
        await page.wait_for("document.getElementById('orders')?.textContent === '1'")
        return {
            "window": live.snapshot().sales.rejected_items,
            "remote": state["sales"]["rejected_items"],
            "phone": await page.evaluate(
                "[document.getElementById('rejected-row').hidden,"
                " document.getElementById('rejected-row').innerText]"
            ),
            "path": session.path,
        }


def test_the_remote_and_the_phone_count_the_rejected_items_as_the_window_and_the_report(
    tmp_path: Path, feed: JsonFeedServer, chromium: str
) -> None:
    """Before: the window's orders panel counted the items not counted (R28hunt28ui F2), but
    the remote's state and the phone did not: an operator on the phone saw 1 order and no
    word of the 3 the report would list as rejected. Now all four give the same number."""
    good = feed.add_order("MUG", 1, "12.00", "USD")
    feed.add_raw(
        {"type": "order", "id": "huge", "currency": "USD", "total": "1e999",
         "lines": [{"sku": "MUG", "quantity": 1, "price": "1e999"}]}
    )  # fmt: skip
    feed.add_raw(
        {"type": "order_update", "id": good, "status": "refunded", "refund": "1.00",
         "currency": "EUR", "refund_id": "r1"}
    )  # fmt: skip
    feed.add_update("never-seen", "refunded", "5.00", refund_id="r2")
    feed.add_comment("viewer", "done")
    seen = asyncio.run(_rejected_everywhere(tmp_path, feed, chromium))
    reported = len(build_report(seen["path"]).rejected)
    assert reported == 3
    assert seen["window"] == seen["remote"] == reported
    assert seen["phone"] == [False, "已拒收，未计入\n3"]  # the test browser speaks Chinese


def test_a_changed_refund_of_one_unit_is_said_in_the_singular() -> None:
    """Before: "refunded 5.00 USD with 1 units back" in the report's list of changed updates
    (R28hunt28shop's note); counts grouped as everywhere else."""
    from anchordesk.show.feed_items import OrderUpdate, RefundLine
    from anchordesk.show.feed_rules import changed_update_problem

    kept = OrderUpdate("json", "o1", "refunded", Decimal("5.00"), "USD", "r1",
                       (RefundLine("MUG", 1),))  # fmt: skip
    again = OrderUpdate("json", "o1", "refunded", Decimal("6.00"), "USD", "r1",
                        (RefundLine("MUG", 1_200),))  # fmt: skip
    problem = changed_update_problem(kept, again)
    assert problem is not None
    assert problem.detail.endswith(
        "sent again as refunded 6.00 USD with 1,200 units back; "
        "the first copy counts: refunded 5.00 USD with 1 unit back"
    ), problem.detail
