"""Round seventeen of issue 10, the network child, its stall watch and its TLS relay
(R17hunt17lag.md).

Real parts: nginx-rtmp on loopback recording what it takes (its FLV file grows as tags come:
the stream time the server has, read while it runs), behind a slow path: a relay that takes
the stream at a limited rate (a receive buffer of 16 kB, as a slow uplink or server keeps the
sender's window small). Packets are real H.264/AAC from the pipeline's encoders, at the
pipeline's pace.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import NginxRtmp, Stunnel, wait_until

from anchordesk.core.backoff import Backoff
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState
from faults.network_helpers import Feeder

pytestmark = pytest.mark.integration

# The stream of these tests: 800 kb/s of noise (x264 spends it) and 128 kb/s of AAC; with
# FLV and RTMP framing about 120 kB a second.
STREAM_BYTES_PER_S = 120_000


class SlowPath:
    """TCP on 127.0.0.1:``port`` forwarded to ``target_port``, taking the client's bytes at
    ``rate`` bytes a second at most (0: as fast as they come); the answers go back at once."""

    def __init__(self, target_port: int, rate: int) -> None:
        self.rate = rate
        self.target_port = target_port
        self.forwarded = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        # Accepted connections inherit it: the sender's window stays small, as on a slow link.
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16_384)
        self.port = int(self._server.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name="slow-path", daemon=True)
        self._thread.start()

    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live/test-key"

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self._server.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                self._sockets += [client, upstream]
                threading.Thread(target=self._answers, args=(upstream, client), daemon=True).start()
                threading.Thread(target=self._take, args=(client, upstream), daemon=True).start()

    # What a link of that rate takes at once after a quiet while: its pace banks no more.
    BURST_S = 0.05

    def _take(self, client: socket.socket, upstream: socket.socket) -> None:
        free_s = time.monotonic()  # when the link is free to take the next bytes
        with contextlib.suppress(OSError):
            while data := client.recv(4096):
                upstream.sendall(data)
                self.forwarded += len(data)
                if self.rate:
                    # The pace of a link of that rate (not a timing of the test). Paced from
                    # the connection's start, the time it was quiet was credit: a handshake
                    # slow on a loaded machine (1-2 s) let the next 50-100 kB through at
                    # loopback speed, and the link looked fast to the child's first measure
                    # (R31net: the round-24 lag test's 2.9-4.2 s under load).
                    free_s = max(free_s, time.monotonic() - self.BURST_S)
                    free_s += len(data) / self.rate
                    time.sleep(max(0.0, free_s - time.monotonic()))

    @staticmethod
    def _answers(upstream: socket.socket, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := upstream.recv(65536):
                client.sendall(data)

    def close(self) -> None:
        for connection in (self._server, *self._sockets):
            with contextlib.suppress(OSError):
                connection.close()


def stream_time_received_s(recording: Path) -> float | None:
    """The timestamp of the last whole tag of nginx's FLV recording, as it grows."""
    data = recording.read_bytes()
    offset, last_ms = 13, None
    while offset + 11 <= len(data):
        size = int.from_bytes(data[offset + 1 : offset + 4], "big")
        if offset + 11 + size + 4 > len(data):
            break
        last_ms = int.from_bytes(data[offset + 4 : offset + 7], "big") | data[offset + 7] << 24
        offset += 11 + size + 4
    return None if last_ms is None else last_ms / 1000


@pytest.fixture
def noisy() -> Iterator[PacketGenerator]:
    gen = PacketGenerator(width=320, height=240, fps=30, gop_s=2.0, video_kbps=800, noise=True)
    try:
        yield gen
    finally:
        gen.close()


def delays_behind_a_path(
    tmp_path: Path, generator: PacketGenerator, rate: int, seconds: float
) -> tuple[list[tuple[float, float]], NetworkOutput]:
    """Stream ``seconds`` through a path of ``rate`` bytes a second into nginx; the delay of
    the stream the server has behind the stream made (at the pipeline's pace: wall time),
    sampled every quarter second: (time since the first tag arrived, delay beyond the least
    one seen)."""
    samples: list[tuple[float, float]] = []
    with NginxRtmp(tmp_path / "nginx") as nginx:
        path = SlowPath(nginx.port, rate)
        output = NetworkOutput(path.url())
        try:
            output.start(generator.templates)
            with Feeder(output, generator) as feeder:
                recording = wait_until(
                    lambda: (nginx.recordings() or [None])[-1], 20, what="nginx's recording"
                )
                first_s = time.monotonic()
                offsets: list[tuple[float, float]] = []
                while (now_s := time.monotonic()) < first_s + seconds:
                    made_s = feeder.sent_s  # the stream time made (late on a loaded machine)
                    received_s = stream_time_received_s(recording)
                    if received_s is not None:
                        offsets.append((now_s - first_s, made_s - received_s))
                    time.sleep(0.25)  # sampling the server's file, not waiting for an outcome
            # The stream's first keyframe was made some time after the feeder started: the
            # offset of a prompt stream is not 0. Its least ones (a twentieth of the samples,
            # not the one least: on a loaded machine the feeder itself runs late now and then)
            # are taken as no delay.
            ordered = sorted(offset for _, offset in offsets)
            least = ordered[len(ordered) // 20]
            samples = [(at_s, offset - least) for at_s, offset in offsets]
        finally:
            output.stop()
            path.close()
    return samples, output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads sock_diag")
def test_an_uplink_at_half_the_stream_keeps_the_delay_under_a_second_and_says_what_it_dropped(
    tmp_path: Path, noisy: PacketGenerator, caplog: pytest.LogCaptureFixture
) -> None:
    # A path that takes half of what the stream brings: the excess waited in the child's
    # socket buffer (up to 4 MB: half a minute) while the status said "live 926 kbps". After
    # 30 s the viewers were 15 s behind the host's words, and nothing said so.
    caplog.set_level(logging.WARNING, logger="anchordesk.media.network_output")
    samples, output = delays_behind_a_path(tmp_path, noisy, STREAM_BYTES_PER_S // 2, 24.0)
    settled = sorted(delay_s for at_s, delay_s in samples if at_s > 6.0)
    shown = " ".join(f"{a:.1f}:{d:.2f}" for a, d in samples)
    # What the child can see is kept under 1 s; the path's own 16 kB buffer (a quarter second
    # at this rate, past the acknowledgements the child reads) and the quarter-second sampling
    # of nginx's file come on top, and on a loaded machine one sample now and then more (the
    # CI of stop 21 saw one of 72 at 1.66 s). Before the fix the delay was 15 s after 30 s and
    # growing: most samples within 1.3 s and none past 2 s tell the two apart.
    assert settled and settled[len(settled) * 9 // 10] < 1.3, shown
    assert settled[-1] < 2.0, shown
    status = output.status()
    assert status.dropped_video_frames > 100
    said = [r.getMessage() for r in caplog.records if "uplink too slow" in r.getMessage()]
    assert said, caplog.text
    # The delay said is the one the child measured of what it wrote in the last 10 s: "kept
    # under 1 s", or how far it went (R24hunt24lag: "kept under 1 s" was said while it was not).
    assert "dropped" in said[-1]
    assert re.search(r"delay (kept under 1 s|up to \d+(\.\d)? s)$", said[-1]), said
    # Said, not repeated for every frame: at most one line per 10 s (and the first).
    assert len(said) <= 4, said


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads sock_diag")
def test_a_fast_path_drops_nothing(tmp_path: Path, noisy: PacketGenerator) -> None:
    samples, output = delays_behind_a_path(tmp_path, noisy, 0, 12.0)
    status = output.status()
    assert status.dropped_video_frames == 0 and status.dropped_packets == 0
    assert status.notice is None
    # The stream waits for nothing on a fast path: 0.09 s of sampling noise here, 0.15-0.50 s
    # with twenty busy processes on two cores (the feeder and the sampling run late). A second
    # is where the output starts dropping for delay: none of it may come near that.
    assert max(delay_s for at_s, delay_s in samples if at_s > 2.0) < 1.0, samples
    assert status.state is OutputState.STOPPED


def test_past_a_second_video_goes_until_a_keyframe_in_time_and_audio_stays() -> None:
    # The rule alone, on an injected clock: a server that acknowledges 50 kB a second with
    # 80 kB waiting (1.6 s) loses video frames, never audio, until a keyframe comes with the
    # wait back under a second; far beyond (5 s), audio goes too.
    from anchordesk.media.network_delay import Backlog, StreamDelay

    delay = StreamDelay()
    acknowledged = 0
    decided: list[tuple[str, bool]] = []

    def step(now_s: float, waiting: int, kind: str = "video", keyframe: bool = False) -> bool:
        admitted = delay.admit(kind, keyframe, now_s, Backlog(waiting, acknowledged), now_s)
        decided.append((kind, admitted))
        return admitted

    for tick in range(30):  # a second at 30 frames, 50 kB acknowledged, 10 kB waiting
        acknowledged = 50_000 * tick // 30
        assert step(tick / 30, 10_000, keyframe=tick == 0)
    acknowledged = 50_000
    assert not step(1.0, 80_000)  # 1.6 s behind: this frame and the next ones go
    assert step(1.01, 80_000, "audio")
    acknowledged = 60_000
    assert not step(1.2, 20_000)  # back under, but no keyframe: the picture would break
    assert step(1.23, 20_000, keyframe=True)
    assert step(1.26, 20_000)
    acknowledged = 70_000
    assert not step(1.5, 500_000, "audio", keyframe=True)  # 10 s behind: the sound too
    assert delay.dropped_frames == 2 and delay.dropped_packets == 3
    # A fast path: a keyframe's burst waits a moment, then the buffer is empty again; the
    # rate over those idle moments is the stream's, not the link's. Nothing is dropped.
    fast, acknowledged = StreamDelay(), 0
    for tick in range(300):
        acknowledged += 4_000
        waiting = 150_000 if tick % 60 == 0 else 0
        assert fast.admit(
            "video", tick % 60 == 0, tick / 30, Backlog(waiting, acknowledged), tick / 30
        )
    # A link that takes a quarter of the stream empties its buffer while the video is out:
    # at the next keyframe its rate is known from the last wait, not measured blind again.
    slow, acknowledged = StreamDelay(), 0
    for tick in range(30):  # a second of waiting, 30 kB acknowledged
        acknowledged = 30_000 * tick // 30
        slow.admit("video", tick == 0, tick / 30, Backlog(20_000, acknowledged), tick / 30)
    assert slow.admit("audio", False, 1.5, Backlog(0, 40_000), 1.5)  # emptied
    assert not slow.admit("video", True, 2.0, Backlog(45_000, 40_000), 2.0)  # 1.5 s: not yet
    # Nothing known of the socket (not Linux, no sock_diag): nothing dropped.
    assert StreamDelay().admit("video", False, 9.0, None, 0.0)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="the TLS relay forks")
def test_a_frozen_server_behind_a_tls_terminator_is_seen_in_seconds(
    nginx_rtmp: NginxRtmp, stunnel_rtmps: Stunnel, noisy: PacketGenerator
) -> None:
    # rtmps to a platform's TLS terminator, whose server behind it freezes: the terminator
    # kept taking the stream into its buffers, nothing in TCP showed the server, and the
    # stream was "live" for 28-32 s (at 930 kb/s) before the stall was seen.
    output = NetworkOutput(
        stunnel_rtmps.url(key="sk-frozen-backend"),
        stall_timeout_s=2.0,
        backoff=Backoff(initial_delay_s=30.0),
    )
    output.start(noisy.templates)
    try:
        with Feeder(output, noisy):
            wait_until(lambda: output.status().state is OutputState.LIVE, 15, what="LIVE")
            nginx_rtmp.wait_for_recording(min_bytes=300_000)
            nginx_rtmp.freeze()
            frozen_s = time.monotonic()
            stalled = wait_until(
                lambda: (s := output.status()).state is OutputState.RECONNECTING and s,
                60,
                what="the stall",
            )
            seen_s = time.monotonic() - frozen_s
            nginx_rtmp.thaw()
    finally:
        output.stop(timeout_s=3)
    assert stalled.last_error == "the server stopped taking the stream (nothing read for 2 s)"
    assert seen_s < 8.0, seen_s


def test_the_servers_acknowledgements_are_read_across_chunks_and_a_wide_window_is_kept() -> None:
    # The relay reads the server's side as RTMP chunks (after its 3073-byte handshake): a Set
    # Chunk Size, an Acknowledgement split over two reads. A server that acknowledges every
    # 2.5 MB whatever it was asked is not said to have stopped after 96 kB.
    from anchordesk.media import tls_relay

    def message(kind: int, body: bytes, stream: int = 2) -> bytes:
        return (
            bytes([stream])
            + bytes(3)
            + len(body).to_bytes(3, "big")
            + bytes([kind])
            + bytes(4)
            + body
        )

    said: list[str] = []
    original = tls_relay._say
    tls_relay._say = said.append  # type: ignore[assignment]
    try:
        now_s = [100.0]
        acks = tls_relay.ServerAcknowledgements(window=32_768, clock=lambda: now_s[0])
        acks.on_received(bytes(3073) + message(1, (4096).to_bytes(4, "big")))
        acks.on_sent(200_000)  # no acknowledgement seen yet: nothing is said
        assert said == []
        ack = message(3, (30_000).to_bytes(4, "big"))
        acks.on_received(ack[:7])
        acks.on_received(ack[7:])
        acks.on_sent(90_000)
        assert said == []
        acks.on_sent(10_000)  # over three windows, but just now: a keyframe's burst
        assert said == []
        now_s[0] += 0.6
        acks.on_sent(1)  # 100 kB and 0.6 s without an acknowledgement
        assert said and "acknowledged none of the last 100001 bytes" in said[-1]
        acks.on_received(message(3, (62_000).to_bytes(4, "big")))
        assert said[-1].endswith("the server acknowledges again")
        # A chunk size of 2^31 - 1 and a message of 16 MB in one chunk: never held whole.
        huge = tls_relay.ServerAcknowledgements()
        huge.on_received(bytes(3073) + message(1, (0x7FFFFFFF).to_bytes(4, "big")))
        huge.on_received(message(9, b"")[:4] + (16_000_000).to_bytes(3, "big") + bytes([9, 0]))
        huge.on_received(bytes(3))
        for _ in range(250):
            huge.on_received(bytes(64_000))
            assert len(huge._data) < 64_000
        huge.on_received(message(3, (1_000).to_bytes(4, "big")))
        assert huge._last_sequence == 1_000
        wide = tls_relay.ServerAcknowledgements(window=32_768, clock=lambda: now_s[0])
        wide.on_received(bytes(3073))
        wide.on_received(message(3, (2_500_000).to_bytes(4, "big")))
        said.clear()
        now_s[0] += 5
        wide.on_sent(2_000_000)
        assert said == []
    finally:
        tls_relay._say = original  # type: ignore[assignment]
