"""Round five of the hostile runs (issue 10): network outputs, disks, stopping and signals,
secrets hygiene. Each test reproduces one finding with real parts (a small tmpfs, a hostile
TCP server, stunnel, nginx-rtmp) and failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from anchordesk.cli.main import main
from anchordesk.core.redact import mask_url, mask_urls

from .disks import fill, tmpfs
from .test_disk_writers import stats_reporter


def test_stats_stopped_by_a_full_disk_never_truncate_a_file_its_name_now_leads_to(
    tmp_path: Path,
) -> None:
    """--stats on a disk that fills, its name replaced meanwhile by a link to another file
    (a clean-up, another program, or someone who may write that folder): the end of the
    stats cut the other file to the stats' size."""
    other = tmp_path / "someone-elses.txt"
    other.write_text("a line that is not ours\n" * 1000, encoding="utf-8")
    before = other.read_bytes()
    with tmpfs(tmp_path / "disk", 64) as disk:
        path = disk / "stats.jsonl"
        reporter, encoder = stats_reporter(path)
        try:
            reporter.sample()
            path.unlink()
            path.symlink_to(other)
            fill(disk)
            for _ in range(20):
                reporter.sample()
            reporter.close()
        finally:
            encoder.close()
        assert reporter.fault is not None and "is full" in reporter.fault
    assert other.read_bytes() == before


PASSWORD = "Pa55-w0rd-of-the-ingest"


@pytest.mark.parametrize(
    ("url", "hidden"),
    [
        # A password pasted with a character that ends the server's name: every parser read
        # its first part as a port and its rest as the path; both were printed.
        (f"rtmp://streamer:{PASSWORD[:4]}/{PASSWORD[4:]}@ingest.example/live/key", PASSWORD),
        (f"rtmp://streamer:{PASSWORD[:4]}#{PASSWORD[4:]}@ingest.example/live/key", PASSWORD),
        (f"rtmps://streamer:{PASSWORD[:4]}?{PASSWORD[4:]}@ingest.example:443/a/k", PASSWORD),
        (f"rtmp://{PASSWORD[:4]}/{PASSWORD[4:]}@ingest.example/live/key", PASSWORD),
        # A backslash for a slash: the whole "host\app\KEY" was taken for the server's name.
        ("rtmp://ingest.example\\live\\sk_live_51Round5KEYc0ffee", "Round5KEYc0ffee"),
    ],
)
def test_a_password_or_key_that_breaks_the_server_s_name_is_masked_and_refused(
    url: str, hidden: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = [hidden[:4], hidden[4:]]
    for shown in (mask_url(url), mask_urls(f"pushing to {url} now")):
        assert not any(part in shown for part in parts), shown
        assert "ingest.example" in shown  # still says which server
    assert main(["live", "--camera", "test", "--mic", "test", "--to", url, "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert not any(part in err for part in parts), err
    assert "%2F" in err or "backslash" in err, err


def test_an_at_sign_in_a_key_or_a_feed_query_is_not_taken_for_user_info() -> None:
    assert mask_url("rtmp://ingest.example/live/k@y") == "rtmp://ingest.example/live/****"
    assert (
        mask_url("https://api.example.com/feed?email=a@b.com")
        == "https://api.example.com/feed?email=****"
    )
