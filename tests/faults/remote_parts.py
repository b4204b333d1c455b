"""The parts the remote-control fault tests run against: a real LiveShow rehearsing a show (test
pattern, no microphone, a small picture) and a real ControlServer on a free loopback port, each
stopped when its block ends."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from anchordesk.control.server import ControlServer
from anchordesk.feeds.spec import FeedSpec
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShow, LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.show.model import Show

TOKEN = "a-token-of-thirty-two-characters!"


@contextlib.asynccontextmanager
async def rehearsing(
    show: Show, folder: Path, feeds: Sequence[FeedSpec] = ()
) -> AsyncIterator[LiveShow]:
    """``show`` in a rehearsal (with ``feeds``), its sessions kept under ``folder``; closed at
    the end."""
    options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
    live = build_live_show(
        options,
        LiveShowPlan(show=show, sessions_dir=folder / "sessions", rehearsal_feeds=list(feeds)),
        switched=True,
    )
    try:
        live.begin_session(SessionMode.REHEARSAL)
        yield live
    finally:
        await live.close()


@contextlib.asynccontextmanager
async def serving(
    provider: Callable[[], LiveShow | None], token: str = TOKEN, **options: Any
) -> AsyncIterator[ControlServer]:
    """The remote control over whatever show ``provider`` gives (None: the window has none)."""
    server = ControlServer(provider, token, port=options.pop("port", 0), **options)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def phone_on(
    show: Show, folder: Path, chromium: str, items: Sequence[Any] = ()
) -> AsyncIterator[Any]:
    """The web remote open in headless chromium (a Chinese phone, ``test_control_browser``) on
    ``show`` rehearsing, ``items`` (orders, comments) ingested before the page loads."""
    import test_control_browser as browser_tools

    async with (
        rehearsing(show, folder) as live,
        serving(lambda: live) as server,
        browser_tools.chromium_page(chromium, folder / "profile") as page,
    ):
        assert live.session is not None
        live.session.ingest(list(items))
        await page.send("Page.navigate", url=f"{server.url}?token={TOKEN}")
        yield page
