"""Round five of the hostile runs (issue 10): network outputs, disks, stopping and signals,
secrets hygiene. Each test reproduces one finding with real parts (a small tmpfs, a hostile
TCP server, stunnel, nginx-rtmp) and failed before its fix."""

from __future__ import annotations

from pathlib import Path

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
