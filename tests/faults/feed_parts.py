"""Shared parts of the feed tests: polling a real FeedHub into a session file."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feed_servers import JsonFeedServer, Reply

from anchordesk.feeds.hub import FeedHub
from anchordesk.feeds.poller import BackoffPolicy
from anchordesk.feeds.spec import FeedSpec
from anchordesk.store import StoreWriter


def ingest_until(
    spec: FeedSpec,
    session: Path,
    done: Callable[[FeedHub], bool],
    token: str | None = None,
    turns: int = 400,
    **hub_options: Any,
) -> FeedHub:
    """Poll one feed into the session (its token, if any) until ``done`` or ``turns`` loop
    turns of 10 ms, as a launch of the app would (a new hub and writer); the hub stopped and
    the store closed on return. ``hub_options`` go to the FeedHub."""
    lookup = hub_options.pop("token_lookup", None) or (
        lambda kind: token if token and kind == spec.kind else None
    )

    def polled(hub: FeedHub) -> bool:
        return bool(hub.pollers) and done(hub)

    return asyncio.run(hub_until(spec, session, polled, lookup, turns, **hub_options))


async def hub_until(
    spec: FeedSpec,
    session: Path,
    done: Callable[[FeedHub], bool],
    token_lookup: Callable[[str], str | None],
    turns: int = 400,
    **hub_options: Any,
) -> FeedHub:
    """:func:`ingest_until` on a running loop (a test's own servers beside it), its keyring
    read through ``token_lookup``."""
    writer = StoreWriter(session)
    hub = FeedHub(
        [spec],
        writer,
        token_lookup=token_lookup,
        backoff=BackoffPolicy(first_delay_s=0.01, min_interval_s=0.01),
        **hub_options,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(hub.run(stop))
    try:
        for _ in range(turns):
            await asyncio.sleep(0.01)
            if done(hub):
                break
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        writer.close()
    return hub


def ingest(
    server: JsonFeedServer,
    session: Path,
    *,
    url: str | None = None,
    token: str | None = None,
    turns: int = 400,
) -> FeedHub:
    """Poll the server (at ``url``, its own by default) into the session until it has served
    everything once."""
    return ingest_until(
        FeedSpec("json", url or server.url),
        session,
        lambda hub: hub.pollers[0].cursor == str(len(server.items)),
        token,
        turns,
    )


def shopify_until(url: str, token: str, session: Path, done: Callable[[], bool]) -> None:
    """The app's Shopify orders feed (orders since 2000) on ``session`` until ``done``, or
    30 s of loop turns."""
    ingest_until(
        FeedSpec("shopify-orders", url),
        session,
        lambda hub: done(),
        token,
        3000,
        shopify_created_at_min=datetime(2000, 1, 1, tzinfo=UTC),
    )


class WritesLoneHalves:
    """Mixed into a feed server (before it): writes ``LONE`` in its answers as JSON's
    ``\\ud800``, a bridge that cut a character in two (such an item is rejected)."""

    def respond(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        reply: Reply = super().respond(query, headers)  # type: ignore[misc]
        return dataclasses.replace(reply, body=reply.body.replace(b"LONE", b"\\ud800"))
