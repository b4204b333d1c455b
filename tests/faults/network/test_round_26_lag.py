"""Round twenty-six of issue 10, the network child's first seconds (R26hunt26lag.md).

Real parts: nginx-rtmp on loopback recording what it takes, the real network child. A loaded
machine's slow child start (Python and FFmpeg loading took 1-3.3 s beside busy processes) is a
child command that waits for a file the test creates: the order of events, not a timing.
"""

from __future__ import annotations

from pathlib import Path

from packetgen import PacketGenerator
from servers import NginxRtmp, wait_until

from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState
from faults.child_parts import KEY, LateChild, gated_child


def test_a_connection_starts_at_the_keyframe_made_when_its_child_was_ready(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    # On a loaded machine the child took 1-3.3 s to start. The connection's keyframe was chosen
    # when the child was started, so the server's stream began that much in the past, and the
    # packets queued behind it came in one burst: the first seconds of every connection were
    # up to 3.3 s behind the host (R24hunt24lag2, left). Here the child is ready after 3 s of
    # stream (keyframes at 0, 1 and 2 s): the stream must start at the one of 2 s.
    late = LateChild(nginx_rtmp, tmp_path)
    try:
        late.start()
        # The first packet waits for the attempt (its deadline runs from it), then the rest.
        first_keyframe = next(i for i, p in enumerate(late.made) if p.kind == "video")
        for packet in late.made[: first_keyframe + 1]:
            late.output.send(packet)
        late.wait_for_the_attempt()
        for packet in late.made[first_keyframe + 1 :]:
            late.output.send(packet)
        late.go_live()
    finally:
        late.close()
    late.assert_started_at_the_newest_keyframe()
    # Nothing of the stream was lost: it had not begun (its very first connection was starting).
    assert late.output.status().dropped_video_frames == 0


def test_an_attempt_whose_child_is_never_ready_still_has_its_deadline(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    # Media now waits for the child's "ready": a child that never says it (stuck as it starts)
    # must not hold the attempt for ever. Its deadline runs from the first packet that waits.
    generator = PacketGenerator(width=160, height=120, fps=30, gop_s=1.0)
    output = NetworkOutput(
        nginx_rtmp.url(KEY),
        child_command=gated_child(tmp_path / "never-created"),
        start_timeout_s=1.0,
    )
    try:
        output.start(generator.templates)
        for packet in generator.packets(1.0):
            output.send(packet)
        down = wait_until(
            lambda: (s := output.status()).state is OutputState.RECONNECTING and s,
            30,
            what="the attempt's deadline",
        )
        output.stop(timeout_s=2)
    finally:
        generator.close()
    # Before: "could not reach the server within 1 s", for a server never tried.
    assert down.last_error == "the network process did not start within 1 s"
    assert output.status().state is OutputState.STOPPED


def test_a_connection_whose_queued_keyframe_is_fresh_asks_for_no_second_one(
    generator: PacketGenerator,
) -> None:
    # The connection now starts when its child is ready (0.2-0.4 s on an idle machine), behind
    # the stream's first keyframe: asking the pipeline for one more then put a second keyframe
    # 0.2-0.3 s after the first into nginx's recording (measured: keyframes at 0, 0.2 or 0.3,
    # then 2.2), 40-60 kB more in a slow link's first second. The queued one is fresh enough.
    packets = list(generator.packets(0.3))  # one keyframe, at 0 s
    output = NetworkOutput("rtmp://127.0.0.1:9/live/KEY")
    assert output.wants_keyframe() is False  # the pipeline polls every frame
    for packet in packets:
        output.send(packet)
    output._trim_queue_to_newest_keyframe()  # what a connection does when its child is ready
    queued_video = [p for p in output._queue if p.kind == "video"]
    assert queued_video[0].is_keyframe and queued_video[0].pts_s == 0.0
    assert output.wants_keyframe() is False
