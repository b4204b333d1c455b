"""The TLS relay of an rtmps:// output (media/tls_relay.py), left by round six (R6net L4, L5):
real stunnel in front of a real nginx-rtmp; each test failed before its fix."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from servers import Stunnel

pytestmark = pytest.mark.integration

# The network child's part: the checked TLS connection and its relay; the port is said, and on
# a line from stdin this process (the relay's parent, as FFmpeg is in the child) connects and
# does the RTMP handshake's first step (C0 C1), which the server answers (S0 S1).
_CHILD_WITH_RELAY = """
import socket, sys
from urllib.parse import urlsplit
from anchordesk.media import tls_relay
target, server = tls_relay.relay(sys.argv[1], timeout_s=8.0)
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
