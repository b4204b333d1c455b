"""A client that comes to the rehearsal audience late joins at the live edge, over real HTTP.

Before: `anchordesk audience` served its whole history to a client without a cursor: going live
with it as a feed after a rehearsal brought 393 backlog comments and 10 orders into the new
show at once (GMV and stock from before the show began). A platform's chat API gives a reader
that comes in late only the recent chat; the simulator now does the same, and a client that
has a cursor still gets every item after it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from anchordesk.feeds import audience
from anchordesk.feeds.audience import (
    RECENT_COMMENTS,
    RECENT_COMMENTS_S,
    AudienceServer,
    AudienceSimulator,
)
from anchordesk.showfile.files import load_show

SHOW = load_show(Path(__file__).resolve().parents[2] / "resources" / "shows" / "en" / "show.json")


def read(client: httpx.Client, url: str, cursor: str | None) -> tuple[list[dict[str, Any]], str]:
    """Every page there is now, as the poller reads them: items, then the cursor to keep."""
    items: list[dict[str, Any]] = []
    while True:
        params = {"after": cursor} if cursor else {}
        page = client.get(url, params=params).json()
        items.extend(page["items"])
        cursor = page["next"]
        if not page["more"]:
            return items, cursor


def of_type(items: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [item for item in items if item["type"] == kind]


def test_a_late_client_starts_at_the_live_edge_and_one_with_a_cursor_loses_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audience, "BUY_PER_VIEWER_S", audience.BUY_PER_VIEWER_S * 16)
    # The same seed gives the same crowd: find an order that its buyer cancels a few seconds
    # later, and let the late client come in between the two.
    dry_run = AudienceSimulator(SHOW, seed=5, rate_per_s=20, run_id="r")
    page = dry_run.page(None, 900.0, 500, from_start=True)
    everything = list(page["items"])
    while page["more"]:
        page = dry_run.page(page["next"], 900.0, 500)
        everything += page["items"]
    placed = {i["id"]: i["at_s"] for i in everything if i["type"] == "order"}
    cancelled = next(
        i for i in everything if i["type"] == "order_update" and placed[i["id"]] > 120.0
    )
    join_s = placed[cancelled["id"]] + 0.1
    assert join_s < cancelled["at_s"]

    simulator = AudienceSimulator(SHOW, seed=5, rate_per_s=20, run_id="r")
    now = [0.0]
    with AudienceServer(simulator, clock=lambda: now[0]) as server, httpx.Client() as client:
        # The rehearsal that started the audience: it reads from its first item.
        rehearsal, rehearsal_cursor = read(client, server.url_from_start, None)
        now[0] = join_s
        more, rehearsal_cursor = read(client, server.url, rehearsal_cursor)
        rehearsal += more
        assert len(of_type(rehearsal, "comment")) > 300 and len(of_type(rehearsal, "order")) > 5

        # The live show, started now against the same audience: no cursor.
        joined, live_cursor = read(client, server.url, None)
        assert of_type(joined, "order") == [] and of_type(joined, "order_update") == []
        comments = of_type(joined, "comment")
        assert 0 < len(comments) <= RECENT_COMMENTS
        assert all(c["at_s"] >= join_s - RECENT_COMMENTS_S for c in comments)
        assert comments == of_type(rehearsal, "comment")[-len(comments) :]  # the latest ones
        assert of_type(joined, "viewers") == of_type(rehearsal, "viewers")[-1:]  # size now

        now[0] = join_s + 120.0
        after_join, _ = read(client, server.url, live_cursor)
        more, _ = read(client, server.url, rehearsal_cursor)
        rehearsal += more

    # From then on both readers see the same new comments, orders and counts; the late one is
    # not sent the cancellation of an order it never had (its report would list it as an update
    # whose order never arrived).
    assert cancelled in more and cancelled not in after_join
    assert [i for i in after_join] == [i for i in more if i != cancelled]
    assert of_type(after_join, "order")
    assert all(o["at_s"] > join_s - 0.1 for o in of_type(after_join, "order"))

    # The reader with a cursor got everything the crowd did, once.
    made = simulator.comments_made + simulator.orders_made + simulator.cancellations_made
    assert len(rehearsal) == made + len(simulator.viewer_counts)
    assert len({(i["type"], i["id"]) for i in rehearsal}) == len(rehearsal)
