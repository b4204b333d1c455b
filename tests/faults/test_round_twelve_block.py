"""Round twelve, things that block: every path and stream the program opens, reads or writes.

Each test reproduces one finding with real parts (the installed program in a process of its
own, FIFOs nobody reads or writes, pipes that stop being read) and failed before its fix
(R12block.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from .live_runs import SMALL, child_env, run_live


def test_a_youtube_quota_file_that_is_a_pipe_is_said_and_never_waited_for(tmp_path: Path) -> None:
    # Before: `anchordesk live --feed youtube-chat=…` hung for ever before its first frame,
    # deaf to SIGTERM (killed by the harness after 30 s): the day's quota file in the data
    # folder was read with a blocking open(), which waits for a program to write the pipe.
    folder = tmp_path / "xdg_data_home" / "AnchorDesk"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "youtube-quota.json")
    feed = "youtube-chat=http://127.0.0.1:9/youtube/v3/liveChat/messages?liveChatId=abc"
    run = run_live(
        *SMALL,
        *("--record", str(tmp_path / "r.mkv"), "--feed", feed, "--seconds", "1"),
        env=child_env(tmp_path),
        timeout_s=30,
    )
    assert run.process.returncode == 0, run.stderr
    assert (
        f"YouTube quota: {folder}/youtube-quota.json cannot be read (a pipe, not a file): "
        "counting from 0" in run.stderr
    )
    assert (tmp_path / "r.mkv").stat().st_size > 0
