"""Round thirty (hunt30net): the network child, stops, disks and the command line."""

from __future__ import annotations

import pytest
from packetgen import PacketGenerator
from servers import NginxRtmp, wait_until

from anchordesk.core.backoff import Backoff
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState
from faults.network_helpers import Feeder, frozen_until_stalled

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
            at_freeze, stalled, seen_after_s = frozen_until_stalled(output, nginx_rtmp)
        output.stop(timeout_s=2)
    finally:
        nginx_rtmp.thaw()
        generator.close()
    assert stalled.last_error == "the server stopped taking the stream (nothing read for 3 s)"
    # Before: counted live until the stall was seen (3 s and more after the freeze).
    assert stalled.live_s - at_freeze.live_s < 1.5, (stalled, at_freeze)
    assert stalled.down_at_stop_s >= seen_after_s - 1.5, (stalled, seen_after_s)


def test_a_connection_whose_first_picture_comes_well_before_the_next_is_not_cut_at_its_start(
    nginx_rtmp: NginxRtmp,
) -> None:
    """On a loaded machine the pictures came late (0.8 a second) while the sound went on: the
    network child held the connection's first keyframe (read while probing, without a decode
    time) until the next picture, and let the sound through; past 0.1 s of it the FLV muxer
    took the sound first and refused the keyframe ("Packets are not in the proper order with
    respect to DTS"): "live", then "Invalid argument: 'rtmp://…/****' returned 22; retrying"
    a second later, and "live 0:01; not live for the last …" (1 run in 6 under load). Here the
    first keyframe is followed by 0.8 s of sound before the next picture: one packet of sound
    still goes first, the rest right behind the picture."""
    generator = PacketGenerator(gop_s=30.0)
    first_second = list(generator.packets(1.0))
    keyframe = first_second[[p.kind for p in first_second].index("video")]
    # Sound strictly after the picture (as the pipeline's, timed by its samples, often is).
    sound_first = [p for p in first_second if p.kind == "audio" and 0 < p.pts_s < 0.8]
    rest = [p for p in first_second if p.kind == "video" and p is not keyframe]
    rest += [p for p in first_second if p.kind == "audio" and p.pts_s >= 0.8]
    rest.sort(key=lambda p: p.pts_s)
    output = NetworkOutput(
        nginx_rtmp.url("r30-order"), backoff=Backoff(initial_delay_s=30.0, max_delay_s=30.0)
    )
    output.start(generator.templates)
    try:
        for packet in (keyframe, *sound_first, *rest):
            output.send(packet)
        with Feeder(output, generator):
            wait_until(lambda: output.status().state is OutputState.LIVE, 15, what="LIVE")
            wait_until(
                lambda: output.status().last_error is not None or _recorded(nginx_rtmp, 60_000),
                20,
                what="60 kB at the server, or the connection's end",
            )
        status = output.status()
        output.stop(timeout_s=2)
    finally:
        generator.close()
    assert status.last_error is None and status.reconnects == 0, status
    assert status.state is OutputState.LIVE


def _recorded(server: NginxRtmp, at_least_bytes: int) -> bool:
    return any(path.stat().st_size >= at_least_bytes for path in server.recordings())
