"""Fixtures shared by the fault tests. Test modules take them by name as arguments; pytest finds
them here (importing them into a module would shadow the argument: ruff F811)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from feed_servers import JsonFeedServer
from packetgen import PacketGenerator


class Clock:
    """A clock the test moves by hand (``now_s``), so a guard that measures at intervals is
    driven without waiting."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def generator(ffprobe: str) -> Iterator[PacketGenerator]:
    """Real H.264/AAC packets, a keyframe every 2 s, about 50 kB a second (skips without ffprobe:
    the tests that take it read their files back with it)."""
    gen = PacketGenerator(width=320, height=240, fps=30, gop_s=2.0)
    try:
        yield gen
    finally:
        gen.close()


@pytest.fixture
def feed() -> Iterator[JsonFeedServer]:
    """A local feed server speaking the documented JSON, polled every 100 ms."""
    with JsonFeedServer(poll_ms=100) as server:
        assert isinstance(server, JsonFeedServer)
        yield server
