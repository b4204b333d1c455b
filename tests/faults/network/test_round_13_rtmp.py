"""Round thirteen, the RTMP/RTMPS output against broken and hostile servers: what the
thirteenth hostile round found (R13rtmp.md).

Each test reproduces one finding with real parts (the network child and FFmpeg against a
scripted RTMP server or a TLS server of the test's own) and failed before its fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import Stunnel, wait_until

from anchordesk.core.backoff import Backoff
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState

from ..live_runs import SMALL, child_env, run_live
from ..network_helpers import Feeder, ScriptedRtmpServer
from .test_network_messages import first_failure

pytestmark = pytest.mark.integration

KEY = "sk_live_13rtmpKEY9f3a"


def test_a_server_that_ends_a_live_stream_in_words_is_quoted_not_errno_1(
    packet_generator: PacketGenerator,
) -> None:
    # Before: a server that ends a live broadcast with an error status (a platform stopping
    # the stream from its dashboard, a key revoked mid-show) was said as Python's
    # "[Errno 1] Operation not permitted: 'rtmp://…/****'" in the log, --stats, the run's
    # summary and the window; the server's own words ("stream ended by the broadcaster")
    # were lost.
    server = ScriptedRtmpServer(end_after_bytes=60_000, end_description="stream ended by admin")
    output = NetworkOutput(
        server.url(key=KEY), backoff=Backoff(initial_delay_s=30.0, max_delay_s=60.0)
    )
    try:
        output.start(packet_generator.templates)
        with Feeder(output, packet_generator):
            wait_until(lambda: output.status().state is OutputState.LIVE, 20, what="live")
            status = wait_until(
                lambda: (s := output.status()).state is OutputState.RECONNECTING and s,
                20,
                what="the server's end",
            )
    finally:
        output.stop(timeout_s=2)
        server.close()
    assert status.last_error == "the server ended the stream: stream ended by admin"
    assert KEY not in repr(status)


def test_a_server_that_never_answers_connect_is_not_said_to_refuse_the_key(
    packet_generator: PacketGenerator,
) -> None:
    # Before: a server that completes the RTMP handshake and never answers "connect" (an
    # overloaded ingest, a port of something else that mimics the handshake) was said "did
    # not accept the stream within 10 s (check the stream key …)": the stream, and its key,
    # had not even been asked for; the streamer was sent to reset a key that was right.
    server = ScriptedRtmpServer(answer_connect=False)
    try:
        status = first_failure(server.url(key=KEY), packet_generator)
    finally:
        server.close()
    assert status.last_error == (
        "the server did not answer the request to connect to the application within 1 s "
        "(check the application name in the URL, and that this port is the server's RTMP port)"
    )


def test_an_rtmps_server_that_ends_tls_with_an_alert_is_said_so(
    stunnel_rtmps: Stunnel, packet_generator: PacketGenerator
) -> None:
    # Before: an RTMPS server that ends the TLS connection with an alert once the handshake
    # is done (here stunnel requiring a client certificate: TLS 1.3 says so after the
    # handshake) was said "the server broke off the RTMP handshake": this program's TLS relay
    # swallowed the alert, FFmpeg only saw the connection close.
    stunnel_rtmps.stop()
    with stunnel_rtmps.config_path.open("a", encoding="utf-8") as config:
        config.write(f"verifyChain = yes\nCAfile = {stunnel_rtmps.cert}\n")
    stunnel_rtmps.start()
    status = first_failure(stunnel_rtmps.url(key=KEY), packet_generator)
    assert status.last_error == (
        "the server ended the TLS connection: tlsv13 alert certificate required"
    )


def test_a_server_that_asks_for_a_user_name_and_password_is_said_so(
    packet_generator: PacketGenerator,
) -> None:
    # Before: a server that asks for Adobe authentication (a user name and a password in the
    # URL: Akamai-style ingests, Wowza's module) was said "the server refused the stream:
    # [ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : (check the stream key
    # and the application name in the URL)": the key was not the fault.
    server = ScriptedRtmpServer(
        connect_error="[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : "
    )
    try:
        status = first_failure(server.url(key=KEY), packet_generator)
    finally:
        server.close()
    assert status.last_error == (
        "the server asks for a user name and a password: put them in the URL "
        "(rtmp://USER:PASSWORD@HOST/…)"
    )


@pytest.mark.parametrize("scheme", ["rtmp", "rtmps"])
def test_an_empty_port_is_refused_before_the_run(tmp_path: Path, scheme: str) -> None:
    # Before: "rtmp://127.0.0.1:/live/KEY" (a colon and no port: a port deleted by hand)
    # passed the checks; FFmpeg read port 0 and every attempt of the show failed "Invalid
    # argument returned 22" (rtmps:// went to port 443 without a word).
    run = run_live(
        *SMALL, "--no-record", "--seconds", "3", "--to", f"{scheme}://127.0.0.1:/live/{KEY}",
        env=child_env(tmp_path), timeout_s=60,
    )  # fmt: skip
    assert run.process.returncode == 2, run.stderr
    assert run.stderr.strip() == (
        f"error: --to {scheme}://127.0.0.1:/live/****: the port must be a number from 1 to 65535"
    )
