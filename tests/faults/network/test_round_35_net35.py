"""Round thirty-five, net35: what a network output still held when it stopped.

Packets queued behind a server that is down (or that did not take them before the stop's
flush deadline), and those already in the network child's pipe when it ended, were dropped
without a count: the run's figures (status, ``--stats``, the window's health) said the
server's copy lacked less than it did, and no line said so."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from decimal import Decimal
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import BlackHole, NginxRtmp, duration_s, wait_until

from anchordesk.core.backoff import Backoff
from anchordesk.live.factory import build_live_show
from anchordesk.live.options import LiveOptions
from anchordesk.live.show import LiveShowPlan
from anchordesk.live.snapshot import SessionMode
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState
from anchordesk.show.model import Product, Segment, Show

from ..live_runs import SMALL, LiveRun, child_env

KEY = "round35-secret-key"
SHOW = Show(
    title="Night",
    currency="USD",
    language="en",
    products=(Product("SERUM", "Serum", Decimal("39.00"), 50),),
    rundown=(Segment("Opening", 60), Segment("Serum", 120, "SERUM")),
)


def _stop_line(caplog: pytest.LogCaptureFixture, name: str) -> str:
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"{name}: stopp")]
    assert len(lines) == 1, lines
    return lines[0]


def test_packets_queued_while_the_server_is_down_are_counted_when_it_stops(
    nginx_rtmp: NginxRtmp, packet_generator: PacketGenerator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="anchordesk.media.network_output")
    # No new attempt while the server is down: the packets wait in the queue to the stop.
    backoff = Backoff(initial_delay_s=60.0, jitter_fraction=0)
    output = NetworkOutput(nginx_rtmp.url(KEY), backoff=backoff)
    output.start(packet_generator.templates)

    def server_lost() -> bool:
        if output.status().state is OutputState.RECONNECTING:
            return True
        for packet in packet_generator.packets(0.1):  # the child learns it as it writes
            output.send(packet)
        return False

    try:
        for packet in packet_generator.packets(1.0):
            output.send(packet)
        wait_until(lambda: output.status().state is OutputState.LIVE, 30, what="LIVE")
        nginx_rtmp.wait_for_recording(min_bytes=10_000)
        nginx_rtmp.kill()
        wait_until(server_lost, 30, what="the server lost")
        before = output.status()
        waiting = list(packet_generator.packets(2.0))  # fewer than the queue holds (600)
        for packet in waiting:
            output.send(packet)
    finally:
        output.stop(timeout_s=3)
    after = output.status()
    packets = after.dropped_packets - before.dropped_packets
    frames = after.dropped_video_frames - before.dropped_video_frames
    # Before: both stayed as they were (0 more), the 2 s the server never got unsaid. (A few
    # more than these 2 s may have waited behind them: handed as the server was lost.)
    assert packets >= len(waiting)
    assert frames >= sum(packet.kind == "video" for packet in waiting) == 60
    # The line says what the stop dropped, and the run's total: the status's figures.
    line = _stop_line(caplog, output.name)
    assert f"; {packets} packets ({frames} video frames) waiting to be sent were dropped" in line
    assert f"(dropped in all: {after.dropped_packets} packets, " in line
    assert f", {after.dropped_video_frames} video frames)" in line
    assert KEY not in caplog.text


def test_packets_of_a_stream_that_never_went_live_are_all_counted(
    black_hole: BlackHole, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="anchordesk.media.network_output")
    # The server takes the connection and never answers: the child muxes what it is given and
    # never writes a packet; the rest waits in the queue.
    output = NetworkOutput(black_hole.url(key=KEY), connect_timeout_s=60.0)
    generator = PacketGenerator(gop_s=10.0)  # one keyframe: the stream begins at it
    output.start(generator.templates)
    handed = list(generator.packets(3.0))
    generator.close()
    try:
        for packet in handed:
            output.send(packet)
        wait_until(lambda: black_hole.accepted >= 1, 30, what="the connection")
    finally:
        output.stop(timeout_s=2)
    status = output.status()
    assert status.live_s == 0
    # From the keyframe the stream began at (the sound timed before it is no part of it),
    # every packet never went out: some in the child's pipe, the rest still queued. Before:
    # none of them was counted.
    begun = [packet for packet in handed if packet.kind == "video" or packet.pts_s >= 0]
    assert status.dropped_packets == len(begun)
    assert status.dropped_video_frames == sum(p.kind == "video" for p in begun) == 90
    assert "dropped in all: " in _stop_line(caplog, output.name)


def test_the_run_says_what_its_stream_lost_at_the_stop_in_its_last_figures(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    # The server goes down mid-run and stays down: what waits for it at the end is dropped as
    # the output stops. The last --stats sample was taken before that (the stop's drops never
    # in it), and it had no time live per destination to bound the server's copy by.
    stats = tmp_path / "stats.jsonl"
    run = LiveRun(
        *SMALL, "--no-record", "--seconds", "10", "--to", nginx_rtmp.url(KEY),
        "--stats", str(stats), env=child_env(tmp_path),
    )  # fmt: skip
    try:
        run.wait_for_line(": live")
        nginx_rtmp.wait_for_recording(min_bytes=20_000)
        nginx_rtmp.kill()
        run.wait_for_line("retrying in")  # seen down before the run ends
        assert run.wait(60) == 0, run.stderr
    finally:
        run.kill()
    assert KEY not in run.stdout + run.stderr
    lines = [text for text in run.stderr.splitlines() if ": stopped; " in text]
    assert len(lines) == 1, run.stderr
    line = lines[0]
    stop = re.search(
        r"stopped; (\d+) packets \((\d+) video frames\) waiting to be sent were dropped "
        r"\(dropped in all: (\d+) packets, (\d+) video frames\)",
        line,
    )
    assert stop is not None, line
    at_stop, in_all, in_all_frames = int(stop[1]), int(stop[3]), int(stop[4])
    assert 0 < at_stop <= in_all
    final = json.loads(stats.read_text("utf-8").splitlines()[-1])
    [network] = [output for output in final["outputs"] if output["kind"] == "network"]
    # The same figures in the line and in the last sample (taken once the outputs stopped).
    assert (network["dropped_packets"], network["dropped_video_frames"]) == (in_all, in_all_frames)
    assert final["dropped_frames_network_total"] >= in_all_frames
    assert network["state"] == "stopped"
    # Its time live: what the server's copy holds at most (it went down within the run).
    [copy] = nginx_rtmp.recordings()
    assert 0 < network["live_s"] < 10
    assert duration_s(copy) <= network["live_s"] + 1.0


def test_the_windows_stop_keeps_and_adds_what_its_stream_dropped(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    # The window's Stop detaches its destination from the session's switch: the idle switch
    # then said 0 dropped, so the health's "network" figure (and the remote's dropped frames)
    # fell back to nothing, and what the stop itself dropped was never in any figure.
    options = LiveOptions(
        camera="test", microphone="test", canvas_width=320, canvas_height=180,
        video_kbps=300, record=False,
    )  # fmt: skip
    plan = LiveShowPlan(show=SHOW, sessions_dir=tmp_path / "sessions", rehearsal_feeds=[])
    live = build_live_show(options, plan, switched=True)
    live.media.start()
    figures: dict[str, int] = {}

    def output() -> NetworkOutput:
        assert live.network_switch is not None
        attached = live.network_switch.attached
        assert isinstance(attached, NetworkOutput)
        return attached

    def network_frames() -> int:
        assert live.media.stats is not None
        return int(live.media.stats.sample()["dropped_frames_network_total"])

    async def run() -> None:
        live.begin_session(SessionMode.REHEARSAL)
        await live.go_live(nginx_rtmp.url(KEY))
        await asyncio.to_thread(
            wait_until, lambda: output().status().state is OutputState.LIVE, 30.0
        )
        destination = output()
        nginx_rtmp.kill()
        await asyncio.to_thread(
            wait_until,
            lambda: destination.status().state is OutputState.RECONNECTING,
            30.0,
        )
        figures["before"] = network_frames()
        figures["output_before"] = destination.status().dropped_video_frames
        assert live.media.stats is not None
        encoded = live.media.stats.sample()["frames_encoded_total"]
        # A second of pictures more, queued for the server that is down.
        await asyncio.to_thread(
            wait_until,
            lambda: live.media.stats.sample()["frames_encoded_total"] >= encoded + 30,
            30.0,
        )
        await live.stop_live()
        figures["stopped"] = destination.status().dropped_video_frames
        figures["after"] = network_frames()
        await live.close()

    try:
        asyncio.run(run())
    finally:
        live.shutdown()
    # What the stop dropped (the frames queued while the server was down) is in the figure,
    # and the figure never goes back.
    assert figures["stopped"] >= figures["output_before"] + 30
    assert figures["after"] >= figures["stopped"]
