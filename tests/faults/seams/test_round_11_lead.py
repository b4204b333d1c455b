"""Round eleven, found by the lead beside the hunters: an error no rule foresaw ended every
feed without a word. Real parts: the installed program in a process of its own with a real
JSON feed server, and the window's own show (LiveShow) polling the rehearsal audience over
HTTP; the environment variable a user sets."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from feed_servers import JsonFeedServer

from anchordesk.feeds.spec import FeedSpec
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.showfile.files import load_show
from anchordesk.showfile.samples import sample_show_path

from ..live_runs import SMALL, child_env, run_live

MISSING_BUNDLE = "/nonexistent/corporate-ca.pem"
SAID = (
    f"the certificates cannot be loaded: SSL_CERT_FILE names {MISSING_BUNDLE}, which does not "
    "exist (fix or unset it)"
)


def _client_refuses_the_missing_bundle(monkeypatch: pytest.MonkeyPatch) -> bool:
    """httpx 0.28 loads SSL_CERT_FILE as a client is built and fails on a missing file; 0.27
    (the lowest version allowed) skips a file that is not there."""
    with monkeypatch.context() as patch:
        patch.setenv("SSL_CERT_FILE", MISSING_BUNDLE)
        try:
            httpx.Client().close()
        except OSError:
            return True
    return False


def test_a_certificate_bundle_that_does_not_exist_is_said_before_the_run(
    tmp_path: Path, feed: JsonFeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SSL_CERT_FILE naming a file that is gone (a moved corporate CA bundle, an old virtual
    environment's), with a feed (plain http). Before: the feeds' HTTP client could not be
    built, the error ended every feed at once, and the show ran 2 s with no comment and no
    order, nothing said, exit 0."""
    record = tmp_path / "show.mkv"
    run = run_live(
        *SMALL, "--seconds", "2", "--feed", f"json={feed.url}", "--record", str(record),
        env=child_env(tmp_path, SSL_CERT_FILE=MISSING_BUNDLE),
    )  # fmt: skip
    if not _client_refuses_the_missing_bundle(monkeypatch):
        # This httpx does without the file: the feeds run, nothing to refuse.
        assert run.process.returncode == 0, run.stderr[-2000:]
        assert SAID not in run.stderr
        return
    assert run.process.returncode == 2, run.stderr[-2000:]
    assert run.stderr.strip().splitlines()[-1] == f"error: --feed: {SAID}"
    assert not record.exists()  # refused before anything started


async def _the_window_s_rehearsal(folder: Path, wanted: str) -> list[tuple[str, str]]:
    options = LiveOptions(camera="test", microphone="none", canvas_width=320, canvas_height=180)
    plan = LiveShowPlan(
        show=load_show(sample_show_path("en")),
        sessions_dir=folder / "sessions",
        rehearsal_feeds=[FeedSpec("rehearsal", "")],
    )
    live = build_live_show(options, plan, switched=True)  # the window's way
    try:
        live.begin_session(SessionMode.REHEARSAL)
        async with asyncio.timeout(20):
            while not any(view.state == wanted for view in live.snapshot().feeds):
                await asyncio.sleep(0.05)
        return [(view.state, view.last_error) for view in live.snapshot().feeds]
    finally:
        await live.close()


def test_feeds_ended_by_an_error_no_rule_foresaw_say_so_in_their_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window has no run to refuse: its rehearsal audience (polled over HTTP) met the
    same missing bundle. Before: the feeds' task ended with the error, swallowed; the
    window's feeds said "starting" for the whole show and no comment ever came. Now each
    feed's status (the window's health panel, the remote, --stats) says why they stopped."""
    refused = _client_refuses_the_missing_bundle(monkeypatch)
    monkeypatch.setenv("SSL_CERT_FILE", MISSING_BUNDLE)
    if not refused:  # this httpx does without the file: the audience is polled as usual
        assert asyncio.run(_the_window_s_rehearsal(tmp_path, "ok")) == [("ok", "")]
        return
    feeds = asyncio.run(_the_window_s_rehearsal(tmp_path, "stopped"))
    assert feeds == [("stopped", f"the feeds stopped: {SAID}")]
