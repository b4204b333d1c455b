"""Hostile inputs, round seven: what rounds five and six changed (the session's feed names,
the report's clock, money of other currencies, CSV signs), tried with inputs those rounds did
not use. Each test failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_hub import hub_names

from anchordesk.cli import main as cli_main
from anchordesk.live.options import FeedSpec
from anchordesk.showfile.samples import sample_show_path


@pytest.mark.parametrize(
    "second",
    [
        "json=http://127.0.0.1:8001/feed?token=abc",
        "json=http://127.0.0.1:8001/feed?token=other",  # a rotated token: the same feed
        "json=HTTP://127.0.0.1:8001/feed",
    ],
)
def test_anchordesk_live_refuses_the_same_feed_given_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], second: str
) -> None:
    """Before: the run read the feed twice (``json`` and ``json#2``) and kept every order
    twice: one $24.00 order made the report's GMV $48.00 and took two mugs from stock."""
    show = sample_show_path("en")
    assert show is not None
    first = "json=http://127.0.0.1:8001/feed?token=abc"
    argv = ["live", "--show", str(show), "--record", str(tmp_path / "r.mkv")]
    argv += ["--camera", "test", "--mic", "none", "--seconds", "1"]
    argv += ["--session", str(tmp_path / "s.adsession"), "--feed", first, "--feed", second]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "given twice" in err and "abc" not in err and "other" not in err
    assert not (tmp_path / "r.mkv").exists()


def test_a_feed_listed_twice_is_read_once_and_its_default_port_is_the_same_feed(
    tmp_path: Path,
) -> None:
    """The window's settings may list one feed twice (under two token entries); the hub
    reads it once. ``https://shop:443/`` is ``https://shop/``: a session continued with the
    port written out gets the feed's own name back (its cursor and ids), not ``json#2``."""
    path = tmp_path / "s.adsession"
    feed = FeedSpec("json", "https://shop.example/feed")
    assert hub_names(path, [feed, feed]) == ["json"]
    assert hub_names(path, [FeedSpec("json", "https://shop.example:443/feed")]) == ["json"]
    assert hub_names(path, [FeedSpec("json", "https://shop.example:8443/feed")]) == ["json#2"]
