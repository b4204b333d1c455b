"""The options of a live run, parsed and checked once, shared by the CLI, the window and tests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from anchordesk.core.errors import UserError
from anchordesk.feeds.spec import (
    FEED_KINDS,
    PUSH_KINDS,
    TOKEN_IN_CLEAR,
    FeedSpec,
    feed_url_problem,
    parse_feed,
    token_sent_in_clear,
)

__all__ = [
    "FEED_KINDS",
    "PUSH_KINDS",
    "TOKEN_IN_CLEAR",
    "FeedSpec",
    "LiveOptions",
    "check_destination",
    "feed_url_problem",
    "parse_canvas",
    "parse_feed",
    "token_sent_in_clear",
]

# Canvas shapes the compositor and the overlay layouts are designed for. Others are accepted as
# long as both sides are even (yuv420p needs even sizes).
KNOWN_CANVASES: dict[str, tuple[int, int]] = {
    "1280x720": (1280, 720),
    "1920x1080": (1920, 1080),
    "720x1280": (720, 1280),
    "1080x1920": (1080, 1920),
}


@dataclass
class LiveOptions:
    destinations: list[str] = field(default_factory=list)
    record_path: Path | None = None
    record: bool = True
    camera: str | None = None  # None: the first camera, else the test pattern with a warning
    microphone: str | None = None  # None: the default microphone, else the test tone
    canvas_width: int = 1280
    canvas_height: int = 720
    fps: int = 30
    video_kbps: int = 2500
    audio_kbps: int = 128
    audio_rate_hz: int = 48000
    encoder: str = "libx264"
    seconds: float | None = None
    stats_path: Path | None = None
    banner_text: str | None = None
    show_path: Path | None = None
    autoplay: bool = False
    feeds: list[FeedSpec] = field(default_factory=list)
    session_path: Path | None = None


def parse_canvas(text: str) -> tuple[int, int]:
    # Any count of digits: "1x1" was "expected WIDTHxHEIGHT" (it is one), not out of range.
    # ASCII digits by the one rule (core/typed_numbers): "\d" took "１２８０x７２０".
    match = re.fullmatch(r"\s*([0-9]{1,9})\s*[xX×]\s*([0-9]{1,9})\s*", text)
    if not match:
        raise UserError(f"--canvas {text!r}: expected WIDTHxHEIGHT, for example 1280x720")
    width, height = int(match.group(1)), int(match.group(2))
    if not (160 <= width <= 4096 and 160 <= height <= 4096):
        raise UserError(f"--canvas {text!r}: each side must be between 160 and 4096 pixels")
    if width % 2 or height % 2:
        raise UserError(f"--canvas {text!r}: width and height must be even numbers")
    return width, height


def check_destination(url: str) -> str:
    """The one URL rule of every network output (media/destination_url.py), applied while
    the arguments are read: nothing starts with a URL that cannot work. The key is masked."""
    from anchordesk.media.destination_url import validate_url

    validate_url(url)
    return url
