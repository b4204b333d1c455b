"""A failed connection says what went wrong in words a streamer can act on, never the key:
a refused stream key, ``rtmps://`` to a plain RTMP port, a key as the URL's only segment."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import NginxRtmp, wait_until

from anchordesk.core.backoff import Backoff
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState, OutputStatus
from faults.network_fixtures import refusing_nginx  # noqa: F401 (a fixture)
from faults.network_helpers import Feeder

pytestmark = pytest.mark.integration

KEY = "sk_live_51NfaultKEY7c2e"


def first_failure(url: str, generator: PacketGenerator) -> OutputStatus:
    """Push to ``url`` until its first attempt fails (no retry within the test)."""
    output = NetworkOutput(
        url, connect_timeout_s=1.0, backoff=Backoff(initial_delay_s=30.0, max_delay_s=60.0)
    )
    output.start(generator.templates)
    with Feeder(output, generator):
        status: OutputStatus = wait_until(
            lambda: (s := output.status()).state is OutputState.RECONNECTING and s,
            20,
            what="the first failure",
        )
    output.stop(timeout_s=2)
    return status


def test_a_refused_stream_key_is_told_in_words(
    refusing_nginx: NginxRtmp,  # noqa: F811
    packet_generator: PacketGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    status = first_failure(refusing_nginx.url(KEY), packet_generator)
    assert status.last_error == (
        "the server refused the stream (check the stream key and the application name in the URL)"
    )
    assert KEY not in caplog.text


def test_rtmps_to_a_plain_rtmp_port_says_the_tls_handshake_failed(
    nginx_rtmp: NginxRtmp, packet_generator: PacketGenerator
) -> None:
    url = nginx_rtmp.url(KEY).replace("rtmp://", "rtmps://")
    status = first_failure(url, packet_generator)
    assert status.last_error is not None
    assert status.last_error.startswith("the TLS handshake failed: no answer within 1 s")
    assert "is this an RTMPS port?" in status.last_error


def test_a_key_that_is_the_only_path_segment_is_never_printed(
    nginx_rtmp: NginxRtmp, tmp_path: Path
) -> None:
    # `anchordesk live --to rtmp://host/KEY`: the key is where an application name would be.
    # nginx knows no such application and refuses it; nothing printed or written shows it.
    stats = tmp_path / "stats.jsonl"
    url = f"rtmp://127.0.0.1:{nginx_rtmp.port}/{KEY}"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", "--to", url, "--camera", "test",
         "--mic", "test", "--canvas", "320x180", "--video-kbps", "300", "--seconds", "3",
         "--stats", str(stats)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    assert KEY not in result.stdout and KEY not in result.stderr
    written = stats.read_text(encoding="utf-8")
    assert KEY not in written
    assert f"rtmp://127.0.0.1:{nginx_rtmp.port}/****" in result.stderr
    outputs = [o for line in written.splitlines() for o in json.loads(line)["outputs"]]
    assert {o["name"] for o in outputs if o["kind"] == "network"} == {
        f"rtmp://127.0.0.1:{nginx_rtmp.port}/****"
    }
    assert "the server refused the stream" in result.stderr
