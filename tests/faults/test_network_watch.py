"""What the parent reads about a stuck network child: FFmpeg's log lines (how far the
connection got) and the kernel's view of its TCP socket (what the server acknowledged)."""

from __future__ import annotations

import contextlib
import os
import socket
import sys

import pytest
from servers import wait_until

from anchordesk.media.network_watch import (
    AcknowledgementWatch,
    ConnectionPhases,
    Phase,
    SocketReader,
    SocketState,
)

REFUSED = [
    "[tcp @ 0x1] Starting connection attempt to 127.0.0.1 port 1935",
    "[tcp @ 0x1] Successfully connected to 127.0.0.1 port 1935",
    "[rtmp @ 0x2] Handshaking...",
    "[rtmp @ 0x2] Type answer 3",
    "[rtmp @ 0x2] Server version 13.14.10.13",
    "[rtmp @ 0x2] Proto = rtmp, path = /live/****, app = live, fname = ****",
    "[rtmp @ 0x2] Creating stream...",
]


def phases_after(lines: list[str], scheme: str = "rtmp") -> ConnectionPhases:
    phases = ConnectionPhases(scheme)
    for line in lines:
        phases.feed(line)
    return phases


def test_a_stream_closed_after_the_publish_request_was_refused() -> None:
    phases = phases_after(REFUSED)
    assert phases.phase is Phase.PUBLISHING
    assert phases.failure("[Errno 5] Input/output error").startswith(
        "the server refused the stream (check the stream key"
    )


def test_the_server_s_own_words_are_kept() -> None:
    phases = phases_after([*REFUSED, "[rtmp @ 0x2] Server error: Invalid stream key"])
    assert phases.failure("[Errno 104] Connection reset by peer") == (
        "the server refused the stream: Invalid stream key (check the stream key and the "
        "application name in the URL)"
    )


def test_rtmps_stuck_after_tcp_is_a_tls_handshake_failure() -> None:
    phases = phases_after(REFUSED[:2], scheme="rtmps")
    assert phases.failure("", timed_out_s=10).startswith(
        "the TLS handshake failed: no answer within 10 s (is this an RTMPS port?"
    )
    phases.feed("[tls @ 0x3] error:0A00010B:SSL routines::wrong version number")
    assert "wrong version number" in phases.failure("[Errno 5] Input/output error")


def test_rtmp_to_a_tls_port_and_timeouts_by_phase() -> None:
    assert "use rtmps://" in phases_after(REFUSED[:3]).failure("[Errno 104] reset")
    assert phases_after(REFUSED[:1]).failure("", timed_out_s=3) == (
        "could not reach the server within 3 s"
    )
    assert phases_after(REFUSED[:3]).failure("", timed_out_s=3) == (
        "no answer from the server within 3 s"
    )
    # Before the connection started (a bad header...) the child's own reason stands.
    assert phases_after([]).failure("bad header: x") == "bad header: x"


def test_acknowledgements_stall_counts_only_while_bytes_wait_unacknowledged() -> None:
    watch = AcknowledgementWatch()
    flowing = SocketState(unacknowledged_bytes=30_000, window_closed=False, retransmissions=0)
    closed = SocketState(unacknowledged_bytes=400_000, window_closed=True, retransmissions=0)
    lost = SocketState(unacknowledged_bytes=400_000, window_closed=False, retransmissions=2)
    watch.update(flowing, 10.0)  # bytes in flight on a healthy link: not a stall
    assert watch.stalled_for_s(11.0) == 0.0
    watch.update(closed, 11.0)
    watch.update(closed, 12.5)
    assert watch.stalled_for_s(13.0) == 2.0
    watch.update(flowing, 13.5)  # the server read again
    assert watch.stalled_for_s(14.0) == 0.0
    watch.update(lost, 14.0)
    assert watch.stalled_for_s(15.0) == 1.0
    watch.update(None, 15.5)  # unknown never counts as a stall
    assert watch.stalled_for_s(16.0) == 0.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")
def test_the_kernel_shows_a_server_that_stops_reading() -> None:
    # A real loopback connection whose receiving end never reads: once its receive buffer is
    # full, the sender's bytes wait unacknowledged behind a zero window.
    with socket.create_server(("127.0.0.1", 0)) as server:
        sender = socket.create_connection(server.getsockname())
        receiver, _ = server.accept()
        with contextlib.closing(sender), contextlib.closing(receiver):
            reader = SocketReader(os.getpid())
            assert reader.read() is not None  # this process's connected sockets
            sender.setblocking(False)
            chunk = b"\0" * 65536

            def server_stopped() -> bool:
                with contextlib.suppress(BlockingIOError):
                    sender.send(chunk)
                state = reader.read()
                return state is not None and state.server_not_acknowledging

            wait_until(server_stopped, 10, interval_s=0.01, what="a closed window")
            receiver.recv(1 << 22)  # the server reads: the window opens, bytes are acknowledged


def test_no_proc_means_no_reading_and_no_stall(tmp_path: os.PathLike[str]) -> None:
    assert SocketReader(os.getpid(), proc=str(tmp_path)).read() is None
