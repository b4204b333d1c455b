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
    as_said,
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


def failure(phases: ConnectionPhases, reason: str, timed_out_s: float | None = None) -> str:
    """The failure's line as the logs and ``anchordesk live`` print it."""
    return str(phases.failure_words(as_said(reason), timed_out_s=timed_out_s))


def phases_after(lines: list[str], scheme: str = "rtmp") -> ConnectionPhases:
    phases = ConnectionPhases(scheme)
    for line in lines:
        phases.feed(line)
    return phases


def test_a_stream_closed_after_the_publish_request_was_refused() -> None:
    phases = phases_after(REFUSED)
    assert phases.phase is Phase.PUBLISHING
    assert failure(phases, "[Errno 5] Input/output error").startswith(
        "the server refused the stream (check the stream key"
    )


def test_the_server_s_own_words_are_kept() -> None:
    phases = phases_after([*REFUSED, "[rtmp @ 0x2] Server error: Invalid stream key"])
    assert failure(phases, "[Errno 104] Connection reset by peer") == (
        "the server refused the stream: Invalid stream key (check the stream key and the "
        "application name in the URL)"
    )


def test_rtmps_stuck_after_tcp_is_a_tls_handshake_failure() -> None:
    phases = phases_after(REFUSED[:2], scheme="rtmps")
    assert failure(phases, "", timed_out_s=10).startswith(
        "the TLS handshake failed: no answer within 10 s (is this an RTMPS port?"
    )
    phases.feed("[tls @ 0x3] error:0A00010B:SSL routines::wrong version number")
    assert "wrong version number" in failure(phases, "[Errno 5] Input/output error")


def test_rtmp_to_a_tls_port_and_timeouts_by_phase() -> None:
    assert "use rtmps://" in failure(phases_after(REFUSED[:3]), "[Errno 104] reset")
    assert failure(phases_after(REFUSED[:1]), "", timed_out_s=3) == (
        "could not reach the server within 3 s"
    )
    assert failure(phases_after(REFUSED[:3]), "", timed_out_s=3) == (
        "no answer from the server within 3 s"
    )
    # Before the connection started (a bad header...) the child's own reason stands.
    assert failure(phases_after([]), "bad header: x") == "bad header: x"


def test_a_stall_counts_while_the_server_takes_nothing() -> None:
    watch = AcknowledgementWatch()

    def sample(acknowledged: int, window: int, waiting: int = 30_000) -> SocketState:
        return SocketState(
            unacknowledged_bytes=waiting,
            window_closed=window == 0,
            retransmissions=0,
            acknowledged_bytes=acknowledged,
            send_window_bytes=window,
        )

    watch.update(sample(1_000_000, 1_600_000), 10.0)
    watch.update(sample(1_050_000, 1_600_000), 10.5)  # read what arrived: a healthy server
    assert watch.stalled_for_s(11.0) == 0.0
    # Stopped: its kernel still acknowledges, the window shrinks by the same amount.
    watch.update(sample(1_100_000, 1_552_000), 11.0)
    watch.update(sample(1_150_000, 1_503_000), 11.5)
    assert watch.stalled_for_s(12.5) == 1.5
    watch.update(sample(1_200_000, 1_600_000), 12.5)  # it read again
    assert watch.stalled_for_s(13.0) == 0.0
    watch.update(sample(1_200_000, 0, waiting=400_000), 13.0)  # window closed: nothing taken
    watch.update(sample(1_200_000, 0, waiting=400_000), 14.0)
    assert watch.stalled_for_s(14.0) == 1.0
    lost = SocketState(unacknowledged_bytes=400_000, window_closed=False, retransmissions=2)
    watch.update(lost, 14.5)  # retransmissions without an acknowledgement (no TCP_INFO)
    assert watch.stalled_for_s(15.0) == 2.0
    watch.update(None, 15.5)  # unknown never counts as a stall
    assert watch.stalled_for_s(16.0) == 0.0
    watch.update(sample(1_200_000, 1_600_000, waiting=0), 16.0)  # idle: nothing to take
    watch.update(sample(1_200_000, 1_600_000, waiting=0), 17.0)
    assert watch.stalled_for_s(17.0) == 0.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and sock_diag")
def test_the_kernel_shows_a_server_that_stops_reading_within_a_sample() -> None:
    # A real loopback connection whose receiving end stops reading: its kernel acknowledges
    # and buffers what comes, and the window it announces shrinks by as much.
    chunk = b"\0" * 12_000
    with socket.create_server(("127.0.0.1", 0)) as server:
        sender = socket.create_connection(server.getsockname())
        receiver, _ = server.accept()
        with contextlib.closing(sender), contextlib.closing(receiver):
            reader = SocketReader(os.getpid())
            watch = AcknowledgementWatch()

            def send_acknowledged(read_it: bool) -> None:
                sender.sendall(chunk)
                received = 0
                while read_it and received < len(chunk):
                    received += len(receiver.recv(1 << 20))
                wait_until(lambda: reader.read().unacknowledged_bytes == 0, 5, what="the ack")

            send_acknowledged(read_it=True)
            watch.update(reader.read(), 0.0)
            # Stopped: acknowledged and buffered, not read. (The first chunk may still fit in
            # room the window had not announced yet; the next ones shrink it.)
            for second in range(1, 5):
                send_acknowledged(read_it=False)
                watch.update(reader.read(), float(second))
            assert watch.stalled_for_s(4.0) >= 2.0
            for _ in range(4):  # it reads again: the window opens
                received = 0
                while received < len(chunk):
                    received += len(receiver.recv(len(chunk) - received))
            send_acknowledged(read_it=True)
            watch.update(reader.read(), 5.0)
            assert watch.stalled_for_s(5.0) == 0.0


def test_no_proc_means_no_reading_and_no_stall(tmp_path: os.PathLike[str]) -> None:
    assert SocketReader(os.getpid(), proc=str(tmp_path)).read() is None


def test_a_chunk_that_contradicts_its_message_size_is_a_broken_server_not_a_key() -> None:
    # FFmpeg names its TCP handle in this line; it used to fall through to "check the key".
    lines = [*REFUSED[:6], "[tcp @ 0x1] RTMP packet size mismatch 1124995 != 14232684"]
    assert failure(phases_after(lines), "[Errno 5] Input/output error") == (
        "the server sent an RTMP message that cannot be read (rtmp packet size mismatch "
        "1124995 != 14232684): a fault of the server or of a proxy in between, not of the "
        "stream key"
    )
    # Bytes of another protocol end on the same framing error, after unknown message types:
    # those say more.
    lines.insert(-1, "[rtmp @ 0x2] Unknown packet type received 0x00")
    assert failure(phases_after(lines), "[Errno 5] Input/output error").startswith(
        "the server's answer is not RTMP"
    )
