"""Round sixteen of issue 10, the network outputs and ``anchordesk live`` (R16net.md).

Real parts: nginx-rtmp on loopback, the live show as the window drives it, the session file and
its report as ``anchordesk report`` reads it.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from servers import NginxRtmp, wait_until

from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState
from anchordesk.show.model import Product, Segment, Show
from anchordesk.store.report import build_report, report_text

pytestmark = pytest.mark.integration

SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("SERUM", "Serum", Decimal("39.00"), 50),),
    rundown=(Segment("Opening", 60), Segment("Serum", 120, "SERUM")),
)


def test_the_report_says_a_stream_down_at_the_end_was_down_when_the_session_ends_first(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    """The session keeps how each stream went as it ends, before its outputs stop. The time a
    stream had been down was measured by the stop alone: 0 there, so the report of a stream
    whose server died said it was live to the end ("live 0:03"), while the run said "not live
    for the last 0:13 of the run: nothing is listening…" (the window's Stop every time;
    ``anchordesk live`` 2 runs in 5)."""
    options = LiveOptions(
        camera="test", microphone="test", canvas_width=320, canvas_height=180,
        video_kbps=300, record=False,
    )  # fmt: skip
    plan = LiveShowPlan(show=SHOW, sessions_dir=tmp_path / "sessions", rehearsal_feeds=[])
    live = build_live_show(options, plan, switched=True)
    live.media.start()
    paths: list[Path | None] = []

    def output() -> NetworkOutput:
        assert live.network_switch is not None
        attached = live.network_switch.attached
        assert isinstance(attached, NetworkOutput)
        return attached

    async def run() -> None:
        live.begin_session(SessionMode.REHEARSAL)
        await live.go_live(nginx_rtmp.url("r16-down-at-end"))
        await asyncio.to_thread(
            wait_until, lambda: output().status().state is OutputState.LIVE, 30.0
        )
        nginx_rtmp.kill()
        # Down for a while: its first attempt to connect again (after the backoff's ~2 s) ended.
        await asyncio.to_thread(
            wait_until,
            lambda: (
                output().status().reconnects >= 1
                and output().status().state is OutputState.RECONNECTING
            ),
            30.0,
        )
        paths.append(await live.stop_live())
        await live.close()

    try:
        asyncio.run(run())
    finally:
        live.shutdown()
    (path,) = paths
    assert path is not None
    report = build_report(path)
    (stream,) = report.streams
    assert stream.live_s > 0 and stream.down_at_end_s >= 1.0, stream
    line = next(line for line in report_text(report, "en").splitlines() if "Stream" in line)
    assert "not live for the last 0:0" in line, line
    assert "r16-down-at-end" not in line
