"""Round twenty-eight, inputs (R28hunt28in): feeds, show files, settings, masking."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from feed_servers import JsonFeedServer, Reply

from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.poller import BackoffPolicy
from anchordesk.feeds.spec import FeedSpec
from anchordesk.store import StoreWriter


def _run_hub(
    specs: list[FeedSpec], session: Path, done: Any, token: str | None = None, rounds: int = 1000
) -> FeedHub:
    """Runs a real FeedHub into a real session until ``done(hub)`` (or ~10 s)."""
    writer = StoreWriter(session)
    hub = FeedHub(
        specs,
        writer,
        token_lookup=lambda kind: token,
        backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
    )

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(hub.run(stop))
        for _ in range(rounds):
            await asyncio.sleep(0.01)
            if done(hub):
                break
        stop.set()
        await task

    try:
        asyncio.run(run())
    finally:
        writer.close()
    return hub


class _SpelledCursorServer(JsonFeedServer):
    """Gives its items once, with a ``next`` cursor that is a number spelled as ``spelled``."""

    spelled = "1e400"

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        body = {"items": [] if "after" in query else self.items, "next": "CURSOR", "poll_ms": 10}
        text = json.dumps(body).replace('"CURSOR"', self.spelled)
        return Reply(200, text.encode(), {"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "spelled", ["1e400", "1.5e0", "0.0000001", "-0", "NaN", "-Infinity", "1.50", "1043"]
)
def test_a_cursor_that_is_a_number_is_sent_back_as_the_server_wrote_it(
    tmp_path: Path, spelled: str
) -> None:
    # Read as a value, the JSON feed's cursor 1e400 was sent back as "1E+400", 0.0000001 as
    # "1E-7", -0 as "0", NaN as "nan": a server looking its cursors up by their text knew none
    # of them (R28hunt28in leftover 2; docs: "sends back the next value ... unchanged").
    server = _SpelledCursorServer(poll_ms=10)
    server.spelled = spelled
    with server:
        server.add_comment("a", "hi")
        _run_hub(
            [FeedSpec("json", server.url)],
            tmp_path / "s.sqlite",
            lambda hub: any("after" in query for _, query, _ in server.requests),
        )
    afters = [query["after"] for _, query, _ in server.requests if "after" in query]
    assert afters and set(afters) == {spelled}
