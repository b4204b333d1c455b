"""Round thirty-one (net31): the network child's attempts, the camera, stops and disks."""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import wait_until

from anchordesk.core.backoff import Backoff
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState
from anchordesk.media.sources.base import SourceState
from anchordesk.media.sources.camera import CameraSource

pytestmark = pytest.mark.integration

# A network child that takes the stream (says it went out) until ``gate`` exists, then takes
# nothing more: a server that stopped reading, as the output sees it through its child.
_STOPS_TAKING = r"""
import json, os, sys, time
gate = sys.argv[1]
def say(event, **fields):
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()
say("ready")
connected = False
packets = taken = 0
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        sys.exit(0)
    if os.path.exists(gate):
        break
    if not connected:
        say("opened")
        say("connected")
        connected = True
    packets += 1
    taken += len(chunk)
    say("progress", packets=packets, bytes=taken)
while True:
    time.sleep(60)
"""


class _SteppedClock:
    """The output's clock, moved by the test; counts the looks of the output's supervisor."""

    def __init__(self, supervisor: str) -> None:
        self.now_s = 0.0
        self._supervisor = supervisor
        self._looks = 0
        self._looked = threading.Condition()

    def __call__(self) -> float:
        if threading.current_thread().name == self._supervisor:
            with self._looked:
                self._looks += 1
                self._looked.notify_all()
        return self.now_s

    def step(self, seconds: float) -> None:
        """Move on by ``seconds`` (a pause of the program past the output's 1.5 s), and wait
        until the supervisor has looked at the new time twice (one whole loop)."""
        with self._looked:
            self.now_s += seconds
            seen = self._looks
            assert self._looked.wait_for(lambda: self._looks >= seen + 2, timeout=20)


def test_a_connection_that_stalled_is_not_stable_for_the_time_its_stall_was_being_seen(
    tmp_path: Path,
) -> None:
    """A connection is "stable" (the backoff goes back to its first delay) after
    ``stable_after_s`` live; its time live was counted up to when the stall was SEEN, 4 s
    after the server stopped taking the stream: live 10 s, then 5 s of nothing, counted 15 s,
    over 12: a server that takes 10 s of stream and then stops, again and again, was retried
    2 s after each stall for ever. Its time live ends where the stall began."""
    gate = tmp_path / "stop-taking"
    name = "r31-stall-reset"
    clock = _SteppedClock(supervisor=f"network-{name}")
    backoff = Backoff(initial_delay_s=30.0, max_delay_s=300.0, jitter_fraction=0.0, clock=clock)
    backoff.failed()  # an earlier attempt failed: this one is retry number 1
    output = NetworkOutput(
        "rtmp://127.0.0.1:9/live/r31-secret",
        stall_timeout_s=4.0,
        stable_after_s=12.0,
        backoff=backoff,
        child_command=[sys.executable, "-c", _STOPS_TAKING, str(gate)],
        clock=clock,
        name=name,
    )
    generator = PacketGenerator(width=160, height=90, fps=10, gop_s=1.0, video_kbps=200)
    output.start(generator.templates)
    try:
        for packet in generator.packets(0.5):
            output.send(packet)
        wait_until(lambda: output.status().state is OutputState.LIVE, 20, what="LIVE")
        for _ in range(10):  # live 10 s, the stream taken all along
            for packet in generator.packets(0.5):
                output.send(packet)
            clock.step(1.0)
        gate.touch()
        for _ in range(8):  # then nothing taken: seen stalled 4 s (and a step) later
            for packet in generator.packets(0.5):
                output.send(packet)
            clock.step(1.0)
            if output.status().state is OutputState.RECONNECTING:
                break
        status = output.status()
        output.stop(timeout_s=2)
    finally:
        generator.close()
    assert status.state is OutputState.RECONNECTING, status
    assert str(status.last_error) == "stalled: no progress for 4 s", status
    # Live until the child last took a packet: the last step of the ten, or the one before.
    assert 9.0 <= status.live_s <= 10.0, status
    # Before: 15 s "live", stable: the schedule started again (retry 1, 30 s).
    assert backoff.attempt == 2
    assert backoff.wait_s() >= 44.0  # 30 s x 1.5 from the stall (seen a step before, or now)


def test_a_camera_switched_back_while_its_first_open_hangs_stops_at_once() -> None:
    """The grab thread's "in the open" flag (a stop does not wait for a thread in the open:
    the window's camera switch froze 3 s on a stream camera whose server does not answer) was
    one for the camera, not one per grab thread: a camera stopped in its open and started
    again has two threads opening; the old one, failing, said "not opening" for the new
    one, and the next stop waited 3 s for the new one's open (the window frozen on each
    camera switch after a switch back). Each thread's open is its own."""
    mute = socket.create_server(("127.0.0.1", 0))
    mute.settimeout(30)
    camera = CameraSource(f"http://127.0.0.1:{mute.getsockname()[1]}/camera.mp4")
    try:
        camera.start()
        first, _ = mute.accept()  # the first grab thread is in the open
        first_thread = camera._thread
        assert first_thread is not None
        camera.stop()
        camera.start()
        second, _ = mute.accept()  # the second one too
        first.close()  # the first open fails now, while the second one still waits
        first_thread.join(20)
        assert not first_thread.is_alive()
        asked_s = time.monotonic()
        camera.stop()
        took_s = time.monotonic() - asked_s
        second.close()
    finally:
        mute.close()
    assert took_s < 1.0, took_s  # 0.00 s; 3.0 s before
    assert camera.status().state is SourceState.STOPPED


def test_the_time_this_program_was_paused_is_not_time_live(tmp_path: Path) -> None:
    """A run stopped (Ctrl+Z, SIGSTOP, a suspended laptop) for 6 s of its 8 said "Stream to
    rtmp://…/****: live 0:09": longer than the run, while nothing was sent for 6 s. The output
    sees the pause (its own clock jumped) and moved its deadlines on, not its time live."""
    name = "r31-paused"
    clock = _SteppedClock(supervisor=f"network-{name}")
    output = NetworkOutput(
        "rtmp://127.0.0.1:9/live/r31-secret",
        backoff=Backoff(initial_delay_s=30.0, max_delay_s=30.0, clock=clock),
        child_command=[sys.executable, "-c", _STOPS_TAKING, str(tmp_path / "never")],
        clock=clock,
        name=name,
    )
    generator = PacketGenerator(width=160, height=90, fps=10, gop_s=1.0, video_kbps=200)
    output.start(generator.templates)
    try:
        for packet in generator.packets(0.5):
            output.send(packet)
        wait_until(lambda: output.status().state is OutputState.LIVE, 20, what="LIVE")
        for seconds in (1.0, 1.0, 6.0, 1.0):  # live 2 s, paused 6 s, live 1 s more
            for packet in generator.packets(0.5):
                output.send(packet)
            clock.step(seconds)
        status = output.status()
        output.stop(timeout_s=2)
    finally:
        generator.close()
    assert status.state is OutputState.LIVE and status.last_error is None, status
    assert status.live_s == pytest.approx(3.0, abs=0.05), status  # 9.0 before
