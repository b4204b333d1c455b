"""The TLS relay of an rtmps:// output (media/tls_relay.py), left by round six (R6net L4, L5):
real stunnel in front of a real nginx-rtmp; each test failed before its fix."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import NginxRtmp, Stunnel, wait_until

from anchordesk.core.backoff import Backoff
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState

from ..network_helpers import Feeder

pytestmark = pytest.mark.integration

# The network child's part: the checked TLS connection and its relay; the port is said, and on
# a line from stdin this process (the relay's parent, as FFmpeg is in the child) connects and
# does the RTMP handshake's first step (C0 C1), which the server answers (S0 S1).
_CHILD_WITH_RELAY = """
import socket, sys
from urllib.parse import urlsplit
from anchordesk.media import tls_relay
relay = tls_relay.relay(sys.argv[1], timeout_s=8.0)
target = relay.url
print(urlsplit(target).port, flush=True)
sys.stdin.readline()
with socket.create_connection(("127.0.0.1", urlsplit(target).port), timeout=10) as own:
    own.sendall(b"\\x03" + bytes(1536))
    answer = b""
    while len(answer) < 1537:
        data = own.recv(65536)
        if not data:
            break
        answer += data
print("answered" if len(answer) >= 1537 and answer[0] == 3 else f"no answer: {answer!r}")
"""


def test_the_relay_closes_a_strangers_connection_and_waits_for_its_own_ffmpeg(
    stunnel_rtmps: Stunnel,
) -> None:
    """R6net L5: any local program that connected to the relay's loopback port first got the
    checked TLS connection to the server (with the server's answers), and FFmpeg's own
    connection was refused: the stream could not start (a local denial of service)."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD_WITH_RELAY, stunnel_rtmps.url(key="relay-key")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdin is not None and child.stdout is not None
        port = int(child.stdout.readline())
        # Another local program (this test's process) connects first, and would listen.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as stranger:
            child.stdin.write("go\n")
            child.stdin.flush()
            # The relay closes it, unread (a reset); before, the server answered it.
            stranger.sendall(b"\x03" + bytes(1536))
            try:
                answer = stranger.recv(65536)
            except ConnectionResetError:
                answer = b""
            assert answer == b""
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert out.strip() == "answered", err
    assert "[tls relay] closed a connection from another local program" in err


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat[stat.rfind(")") + 2 :].split()[1]) == pid:
                    found.append(int(entry))
    return found


def test_the_relay_killed_alone_is_said_as_the_relay_not_the_server_and_the_run_reconnects(
    nginx_rtmp: NginxRtmp, stunnel_rtmps: Stunnel, packet_generator: PacketGenerator
) -> None:
    """R6net L4: ``kill -9`` of the relay alone (an OOM killer, a user's kill of the wrong
    process) read "the server closed the connection (connection reset by peer: it went down,
    restarted or dropped the stream)", which sent the streamer to look at a server that was
    fine."""
    output = NetworkOutput(
        stunnel_rtmps.url(key="relay-key"), backoff=Backoff(initial_delay_s=0.2, jitter_fraction=0)
    )
    output.start(packet_generator.templates)
    try:
        with Feeder(output, packet_generator):
            wait_until(lambda: output.status().state is OutputState.LIVE, 30, what="LIVE")
            child = output.child_pid
            assert child is not None
            [relay] = _children(child)
            os.kill(relay, signal.SIGKILL)
            status = wait_until(
                lambda: (s := output.status()).last_error is not None and s, 30, what="the end"
            )
            assert status.last_error == (
                "the TLS relay of this program ended (killed by SIGKILL), which cut the "
                "connection to the server"
            )
            # The next attempt has a relay of its own, and the stream goes on.
            wait_until(
                lambda: (s := output.status()).state is OutputState.LIVE and s.reconnects >= 1,
                30,
                what="LIVE again",
            )
            assert output.child_pid != child
        output.stop(timeout_s=5)
    finally:
        output.stop(timeout_s=1)


def test_the_server_going_away_behind_the_relay_is_still_said_as_the_servers_doing(
    nginx_rtmp: NginxRtmp, stunnel_rtmps: Stunnel, packet_generator: PacketGenerator
) -> None:
    """The other side of the rule above: the relay ends by itself when the server closes, and
    that stays the server's doing."""
    output = NetworkOutput(stunnel_rtmps.url(key="relay-key"), backoff=Backoff(initial_delay_s=30))
    output.start(packet_generator.templates)
    try:
        with Feeder(output, packet_generator):
            wait_until(lambda: output.status().state is OutputState.LIVE, 30, what="LIVE")
            nginx_rtmp.kill()
            status = wait_until(
                lambda: (s := output.status()).last_error is not None and s, 30, what="the end"
            )
    finally:
        output.stop(timeout_s=2)
    assert status.last_error.startswith("the server closed the connection ("), status.last_error
