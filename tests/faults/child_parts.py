"""The network child started late, on nginx-rtmp: the set-up the tests of its first seconds share
(R26hunt26lag, R28hunt28net). A loaded machine's slow child start (Python and FFmpeg loading took
1-3.3 s beside busy processes) is a child command that waits for a file the test creates: the
order of events, not a timing."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from packetgen import PacketGenerator
from servers import NginxRtmp, video_frame_times_s, wait_until

from anchordesk.media.network_child import child_command
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import EncodedPacket, OutputState

KEY = "round26-secret-key"


def gated_child(gate: Path) -> list[str]:
    """The network child, started only once ``gate`` exists (as slow as the test says)."""
    wait = 'while [ ! -e "$0" ]; do sleep 0.02; done; exec "$@"'
    return ["sh", "-c", wait, str(gate), *child_command()]


def first_picture_index(recording: Path, width: int) -> int:
    """The frame number of the first picture of ``recording``: PacketGenerator draws a bright
    bar at column ``4 * index`` (modulo the width) of an otherwise flat picture."""
    with av.open(str(recording)) as container:
        frame = next(container.decode(video=0))
    columns = frame.to_ndarray(format="gray").astype(np.float64).mean(axis=0)
    return round(int(np.argmax(columns[: width - 15])) / 4) % (width // 4)


class LateChild:
    """A network output to nginx-rtmp whose child starts when :meth:`go_live` says so: 3 s of
    stream (keyframes at 0, 1 and 2 s) are made before it, 1 s after it."""

    def __init__(self, nginx_rtmp: NginxRtmp, tmp_path: Path) -> None:
        self.nginx_rtmp = nginx_rtmp
        self.generator = PacketGenerator(width=320, height=240, fps=30, gop_s=1.0)
        self.gate = tmp_path / "child-may-start"
        self.output = NetworkOutput(nginx_rtmp.url(KEY), child_command=gated_child(self.gate))
        self.made: list[EncodedPacket] = list(self.generator.packets(3.0))

    def start(self) -> None:
        self.output.start(self.generator.templates)

    def wait_for_the_attempt(self) -> None:
        """Until the attempt has taken its first packet (its deadline runs from it)."""
        wait_until(
            lambda: (child := self.output._child) is not None and child.media_since_s is not None,
            20,
            what="the attempt to take the first packets",
        )

    def go_live(self) -> None:
        """The child starts now, 3 s of stream later; then 1 s more, and the stop."""
        self.gate.touch()
        wait_until(lambda: self.output.status().state is OutputState.LIVE, 30, what="LIVE")
        for packet in self.generator.packets(1.0):
            self.output.send(packet)
        self.output.stop(timeout_s=5)

    def close(self) -> None:
        self.generator.close()

    def assert_started_at_the_newest_keyframe(self) -> None:
        """What nginx recorded starts at the keyframe of 2 s (frame 60) and holds 2 s of it."""
        [recording] = self.nginx_rtmp.recordings()
        frames = video_frame_times_s(recording)
        assert frames[0][1], "the stream must start with a keyframe"
        # Before: picture 0 (3 s old when the server got it) and all 120 frames behind it.
        assert first_picture_index(recording, self.generator.width) == 60
        assert len(frames) == 60
