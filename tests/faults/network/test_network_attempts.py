"""Every network attempt has a deadline and is followed by the next one, whatever the server
does: never answers, hangs on the first connections only, or stops (SIGSTOP) mid-stream.

The child is started late in these tests (``late_child``), so the pipe to it is full before it
reports "opened": the state in which a retry used to wait for ever.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import BlackHole, NginxRtmp, codecs, wait_until

from anchordesk.core.backoff import Backoff
from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState
from faults.network_fixtures import holding_proxy  # noqa: F401 (a fixture)
from faults.network_helpers import Feeder, HoldingProxy, frozen_until_stalled, late_child

pytestmark = pytest.mark.integration

KEY = "sk_live_51NfaultKEY7c2e"
QUICK_RETRIES = {"connect_timeout_s": 1.0, "backoff": Backoff(initial_delay_s=0.3, max_delay_s=0.5)}


def heavy_generator() -> PacketGenerator:
    """3 Mb/s of noise: a late child finds the 64 kB pipe full, a stopped server's buffers fill
    in a second or two."""
    return PacketGenerator(video_kbps=3000, noise=True)


def test_a_server_that_never_answers_gets_attempt_after_attempt(
    black_hole: BlackHole, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="anchordesk.media.network_output")
    # Tokens of the program in its environment: the network child must not inherit them.
    monkeypatch.setenv("ANCHORDESK_STREAM_KEY", KEY)
    monkeypatch.setenv("ANCHORDESK_SHOPIFY_TOKEN", "shpat_0123456789abcdef")
    generator = heavy_generator()
    output = NetworkOutput(black_hole.url(key=KEY), child_command=late_child(), **QUICK_RETRIES)
    output.start(generator.templates)
    try:
        with Feeder(output, generator):
            pid = wait_until(lambda: output.child_pid, 10, what="a child process")
            environment = Path(f"/proc/{pid}/environ").read_bytes()
            wait_until(lambda: black_hole.accepted >= 3, 30, what="three attempts")
            wait_until(lambda: output.status().reconnects >= 3, 30, what="a fourth attempt")
        status = output.status()
        output.stop(timeout_s=2)
    finally:
        generator.close()
    assert status.last_error == "no answer from the server within 1 s"
    failures = [r.message for r in caplog.records if "no answer from the server" in r.message]
    retries = [r.message for r in caplog.records if "reconnecting (attempt" in r.message]
    assert len(failures) >= 3 and len(retries) >= 3
    assert all(f"reconnecting (attempt {n})" in line for n, line in enumerate(retries, 1))
    names = {line.split(b"=", 1)[0] for line in environment.split(b"\0") if line}
    assert not [name for name in names if name.startswith(b"ANCHORDESK_")]
    assert KEY.encode() not in environment
    assert KEY not in caplog.text


def test_held_twice_then_answered_goes_live_on_the_third_attempt(
    nginx_rtmp: NginxRtmp,
    holding_proxy: Callable[[int, int], HoldingProxy],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    proxy = holding_proxy(nginx_rtmp.port, 2)
    generator = heavy_generator()
    output = NetworkOutput(proxy.url(key=KEY), child_command=late_child(), **QUICK_RETRIES)
    output.start(generator.templates)
    started_s = time.monotonic()
    try:
        with Feeder(output, generator):
            wait_until(lambda: output.status().state is OutputState.LIVE, 30, what="LIVE")
            live_s = time.monotonic() - started_s
            nginx_rtmp.wait_for_recording(min_bytes=30_000)
        status = output.status()
        output.stop(timeout_s=3)
    finally:
        generator.close()
    with capsys.disabled():
        print(f"\n[held twice] live on attempt {status.reconnects + 1} after {live_s:.1f} s")
    assert proxy.accepted == 3
    assert status.reconnects == 2
    [recording] = nginx_rtmp.recordings()
    assert codecs(recording) == {"video": "h264", "audio": "aac"}


def test_a_stopped_server_is_seen_from_its_acknowledgements_and_retried_until_it_answers(
    nginx_rtmp: NginxRtmp, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger="anchordesk.media.network_output")
    generator = heavy_generator()
    output = NetworkOutput(nginx_rtmp.url(KEY), stall_timeout_s=1.0, **QUICK_RETRIES)
    output.start(generator.templates)
    try:
        with Feeder(output, generator):
            _, stalled, detected_s = frozen_until_stalled(output, nginx_rtmp)
            frozen_s = time.monotonic() - detected_s
            wait_until(lambda: output.status().reconnects >= 1, 10, what="the next attempt")
            next_attempt_s = time.monotonic() - frozen_s
            # The stopped server's kernel still accepts TCP: each attempt runs out of time.
            wait_until(lambda: output.status().reconnects >= 3, 30, what="two more attempts")
            nginx_rtmp.thaw()
            wait_until(lambda: output.status().state is OutputState.LIVE, 30, what="LIVE again")
        output.stop(timeout_s=3)
    finally:
        nginx_rtmp.thaw()
        generator.close()
    with capsys.disabled():
        print(
            f"\n[stopped server] seen {detected_s:.1f} s after SIGSTOP (stall_timeout_s 1), "
            f"next attempt {next_attempt_s:.1f} s after it"
        )
    assert stalled.last_error == "the server stopped taking the stream (nothing read for 1 s)"
    assert "no answer from the server within 1 s" in caplog.text
    assert len(nginx_rtmp.recordings()) >= 2  # the stream came back on a new connection
