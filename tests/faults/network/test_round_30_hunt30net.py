"""Round thirty (hunt30net): the network child, stops, disks and the command line."""

from __future__ import annotations

import time

import pytest
from packetgen import PacketGenerator
from servers import NginxRtmp, wait_until

from anchordesk.core.backoff import Backoff
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState
from faults.network_helpers import Feeder

pytestmark = pytest.mark.integration


def test_a_stream_whose_server_stopped_is_not_counted_live_while_the_stall_was_being_seen(
    nginx_rtmp: NginxRtmp,
) -> None:
    """A server that stops taking the stream is seen stalled ``stall_timeout_s`` later: that
    time was counted live. nginx SIGSTOPped 5 s before the end of a run: "live 0:08; not live
    for the last 0:01 of the run" in the run's last line and the report, viewers having seen
    nothing for 5 s (and 4 s more counted live at every stall of a flaky server). Its time
    live ends where the server stopped taking it (the stall's own start)."""
    generator = PacketGenerator(video_kbps=3000, noise=True)
    stall_timeout_s = 3.0
    output = NetworkOutput(
        nginx_rtmp.url("r30-stall"),
        stall_timeout_s=stall_timeout_s,
        backoff=Backoff(initial_delay_s=30.0, max_delay_s=30.0),
    )
    output.start(generator.templates)
    try:
        with Feeder(output, generator):
            wait_until(lambda: output.status().state is OutputState.LIVE, 15, what="LIVE")
            nginx_rtmp.wait_for_recording(min_bytes=100_000)
            nginx_rtmp.freeze()
            live_at_freeze_s = output.status().live_s
            frozen_s = time.monotonic()
            stalled = wait_until(
                lambda: (s := output.status()).state is OutputState.RECONNECTING and s,
                30,
                what="the stall",
            )
            seen_after_s = time.monotonic() - frozen_s
        output.stop(timeout_s=2)
    finally:
        nginx_rtmp.thaw()
        generator.close()
    assert stalled.last_error == "the server stopped taking the stream (nothing read for 3 s)"
    # Before: counted live until the stall was seen (3 s and more after the freeze).
    assert stalled.live_s - live_at_freeze_s < 1.5, (stalled, live_at_freeze_s)
    assert stalled.down_at_stop_s >= seen_after_s - 1.5, (stalled, seen_after_s)
