"""Round eight, the lead's own tries (real `anchordesk live` runs): a show started again with
the same command keeps the first run's figures as it keeps its recording."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from packetgen import PacketGenerator
from servers import BlackHole, wait_until

from anchordesk.media.network_output import NetworkOutput
from anchordesk.media.packets import OutputState

from ..live_runs import SMALL, child_env, run_live
from ..network_helpers import Feeder

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


def test_a_log_folder_that_cannot_be_written_is_a_lost_file_with_exit_code_3(
    tmp_path: Path,
) -> None:
    # R8net L3: the run warned "logging to stderr only" at its start, then exited 0, although
    # the log is one of the files whose loss exit code 3 reports.
    in_the_way = tmp_path / "state"
    in_the_way.write_text("a file where the log folder would be")
    record = tmp_path / "show.mkv"
    run = run_live(
        *SMALL, "--record", str(record), "--seconds", "2",
        env=child_env(tmp_path, XDG_STATE_HOME=str(in_the_way)), timeout_s=60,
    )  # fmt: skip
    assert run.process.returncode == 3, run.stderr
    folder = in_the_way / "AnchorDesk" / "log"
    assert run.stderr.strip().splitlines()[-2:] == [
        f"error: log file: never written: the log folder {folder} cannot be reached (a part "
        "of the path is a file, not a folder)",
        "error: the show went on, but a file of this run is not whole (exit code 3)",
    ]
    # The recording itself is whole, and named.
    assert f"Recording kept in {record}" in run.stdout


def test_a_stop_while_the_destination_never_answered_ends_its_network_process_at_once(
    black_hole: BlackHole,
) -> None:
    # R8net L1: a child that never connected (a slow name lookup, a server silent in the
    # handshake) was given the whole graceful wait before it was killed: a stop during a slow
    # DNS answer took 1.1-1.2 s of the 2 s. Nothing reached a viewer: nothing is left to finish.
    generator = PacketGenerator()
    output = NetworkOutput(black_hole.url(key="sk_live_never"))
    output.start(generator.templates)
    try:
        with Feeder(output, generator):
            wait_until(lambda: black_hole.accepted >= 1, 30, what="a connection")
            pid = wait_until(lambda: output.child_pid, 10, what="a network process")
        asked_s = time.monotonic()
        output.stop(timeout_s=60)
        took_s = time.monotonic() - asked_s
    finally:
        generator.close()
    assert output.status().state is OutputState.STOPPED
    assert not Path(f"/proc/{pid}").exists(), "the network process is gone"
    # Not the 60 s deadline (36 s of it for a graceful end): at once.
    assert took_s < 30, took_s
