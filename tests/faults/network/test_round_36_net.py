"""Round thirty-six, network outputs and recordings: what net36 found or finished
(/work/hunt/R36net36.md).

Each test reproduces one finding with real parts (the network child and FFmpeg against a
scripted RTMP server, nginx-rtmp, whole ``anchordesk live`` runs) and failed before its fix.
"""

from __future__ import annotations

import pytest
from packetgen import PacketGenerator

from anchordesk.media.network_watch import ConnectionPhases, Phase, as_said

from ..network_helpers import ScriptedRtmpServer
from .test_network_messages import first_failure

pytestmark = pytest.mark.integration

KEY = "sk_live_36netKEYa9c1"


def test_a_server_that_resets_the_connection_at_connect_is_not_said_to_refuse_the_stream(
    packet_generator: PacketGenerator,
) -> None:
    # Before: a server (or a firewall in between) that answers the RTMP handshake and then
    # resets the connection at "connect" was said "the server refused the stream: check the
    # application in the URL's path ('live') and the stream key". Nothing refused anything:
    # FFmpeg's RTMP reader says "Input/output error" for a reset as for a close, so what
    # is known is that the server closed the connection at that request.
    server = ScriptedRtmpServer(reset_at="connect")
    try:
        status = first_failure(server.url(key=KEY), packet_generator)
    finally:
        server.close()
    assert status.last_error == (
        "the server closed the connection when asked for the application ('live'): check the "
        "application in the URL's path and the stream key"
    )
    assert KEY not in repr(status)


_LINES = {
    Phase.APPLICATION: [
        "[tcp @ 0x1] Successfully connected to 127.0.0.1 port 1935",
        "[rtmp @ 0x2] Handshaking...",
        "[rtmp @ 0x2] Server version 0.0.0.0",
        "[rtmp @ 0x2] Proto = rtmp, path = /live/****, app = live, fname = ****",
    ],
}
_LINES[Phase.PUBLISHING] = [*_LINES[Phase.APPLICATION], "[rtmp @ 0x2] Creating stream..."]


@pytest.mark.parametrize(
    ("phase", "english"),
    [
        (
            Phase.APPLICATION,
            "the server reset the connection (connection reset by peer) when asked for the "
            "application ('live'): check the application in the URL's path and the stream key; "
            "a firewall or proxy in between can do this too",
        ),
        (
            Phase.PUBLISHING,
            "the server reset the connection (connection reset by peer) when asked for the "
            "stream: check the stream key and the application name in the URL; a firewall or "
            "proxy in between can do this too",
        ),
    ],
)
def test_a_reset_the_child_says_is_kept_in_the_words(phase: Phase, english: str) -> None:
    # Before: when the child did say the connection was reset ("[Errno 104] Connection reset
    # by peer", a write that met the reset) after "connect", the words were "the server
    # refused the stream …" and the reset was dropped.
    phases = ConnectionPhases("rtmp")
    for line in _LINES[phase]:
        phases.feed(line)
    words = phases.failure_words(as_said("[Errno 104] Connection reset by peer"))
    assert str(words) == english
