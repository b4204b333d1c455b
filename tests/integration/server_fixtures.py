"""Fixtures that start real servers on loopback (see servers.py); every one is stopped at teardown.

Loaded for the whole suite by ``tests/conftest.py`` (``pytest_plugins``), so the integration,
media and UI tests share one set.

A test is skipped, with the reason, only when a program is truly absent (nginx's RTMP module,
stunnel, ffprobe); ``./dev.sh test`` installs them all.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import BlackHole, MissingTool, NginxRtmp, Stunnel, ffprobe_path


def _skip_if_missing(error: MissingTool) -> None:
    pytest.skip(f"{error}; ./dev.sh test installs it")


@pytest.fixture(scope="session")
def ffprobe() -> str:
    """The ffprobe program (skips when ffmpeg is not installed)."""
    try:
        return ffprobe_path()
    except MissingTool as error:
        _skip_if_missing(error)
        raise


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, driven headless over the DevTools protocol (skips when absent)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed; ./dev.sh test installs it")
    return found


@pytest.fixture
def nginx_rtmp(tmp_path: Path, ffprobe: str) -> Iterator[NginxRtmp]:
    """A running nginx-rtmp on a free loopback port, recording into ``.record_dir``."""
    try:
        server = NginxRtmp(tmp_path / "nginx")
    except MissingTool as error:
        _skip_if_missing(error)
        raise
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stunnel_rtmps(
    tmp_path: Path, nginx_rtmp: NginxRtmp, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stunnel]:
    """A TLS terminator (throw-away self-signed certificate) in front of ``nginx_rtmp``. Its
    certificate is trusted for the test (``SSL_CERT_FILE``, which the network child and the
    programs started with this environment inherit), as a private server's would be."""
    try:
        tunnel = Stunnel(tmp_path / "stunnel", target_port=nginx_rtmp.port)
    except MissingTool as error:
        _skip_if_missing(error)
        raise
    monkeypatch.setenv("SSL_CERT_FILE", str(tunnel.cert))
    tunnel.start()
    try:
        yield tunnel
    finally:
        tunnel.stop()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    """A TCP server that accepts connections and never answers."""
    with BlackHole() as server:
        yield server


@pytest.fixture
def packet_generator() -> Iterator[PacketGenerator]:
    """Real H.264/AAC packets (320x240, 30 fps, keyframe every 2 s, 440 Hz tone)."""
    generator = PacketGenerator()
    try:
        yield generator
    finally:
        generator.close()
