"""The push kind of feed: the platform sends, AnchorDesk listens (Twitch EventSub over a
WebSocket), next to the polling kind (poller.py).

A push feed keeps the polling core's promises where they apply: every item goes through the
hub's sink (made safe, stored once by ``(source, id)``, then delivered), the feed reports a
``FeedHealth`` like a poller does, and it runs until ``stop`` is set or the platform ends it.
What it does not have is a cursor: a push platform does not replay what was sent while the
program was down (the hub stores ``None`` as its cursor).
"""

from __future__ import annotations

import asyncio
from typing import Protocol, runtime_checkable

import httpx

from anchordesk.feeds.poller import FeedHealth, PageSink


@runtime_checkable
class PushFeed(Protocol):
    """One push feed. ``run`` connects, listens and reconnects until ``stop``; it gives every
    page of items to ``sink(source, items, None)`` and returns its last health."""

    source: str

    def secrets(self) -> tuple[str, ...]: ...

    @property
    def health(self) -> FeedHealth: ...

    async def run(
        self, client: httpx.AsyncClient, sink: PageSink, stop: asyncio.Event
    ) -> FeedHealth: ...
