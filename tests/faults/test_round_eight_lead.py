"""Round eight, the lead's own tries (real `anchordesk live` runs): a show started again with
the same command keeps the first run's figures as it keeps its recording."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .live_runs import SMALL, child_env, run_live

pytestmark = pytest.mark.integration


def test_a_run_started_again_with_the_same_stats_file_keeps_the_earlier_figures(
    tmp_path: Path,
) -> None:
    # Before: --stats was opened with "w", and the run started again after a crash (same
    # command, as the recording's rule expects) wiped the figures that showed why it crashed.
    stats, record = tmp_path / "stats.jsonl", tmp_path / "show.mkv"
    command = (*SMALL, "--record", str(record), "--stats", str(stats), "--seconds", "2")
    first = run_live(*command, env=child_env(tmp_path), timeout_s=60)
    assert first.process.returncode == 0, first.stderr
    kept = stats.read_bytes()
    assert len(kept.splitlines()) >= 1
    again = run_live(*command, env=child_env(tmp_path), timeout_s=60)
    assert again.process.returncode == 0, again.stderr
    assert stats.read_bytes() == kept
    second = tmp_path / "stats-2.jsonl"
    assert f"--stats {stats} exists and is kept" in again.stderr
    assert f"writing into {second}" in again.stderr
    samples = [json.loads(line) for line in second.read_text().splitlines()]
    assert samples and all("output_fps" in sample for sample in samples)
    assert (tmp_path / "show-2.mkv").exists()  # the recording's own rule, alongside
