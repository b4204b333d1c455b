"""Round twenty-eight of issue 10, the remote control (hunt28ui): a real server over a real
rehearsing LiveShow on loopback, and the real ``anchordesk control`` against it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from .live_runs import child_env
from .remote_parts import TOKEN, rehearsing, serving
from .test_round_nineteen_remote import SMALL_SHOW


def _close_standard_output() -> None:
    os.close(1)


async def _state_with_standard_output_closed(folder: Path) -> subprocess.CompletedProcess[str]:
    async with rehearsing(SMALL_SHOW, folder) as live, serving(lambda: live) as server:
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "anchordesk", "control", "--url", server.url, "state"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
            env=child_env(folder, ANCHORDESK_CONTROL_TOKEN=TOKEN),
            preexec_fn=_close_standard_output,
        )  # fmt: skip


def test_anchordesk_control_state_with_standard_output_closed_says_so_and_fails(
    tmp_path: Path,
) -> None:
    # Before: `anchordesk control state >&-` read the state, printed it into the null device
    # put on the closed descriptor and exited 0: a script checking the code saw a state read.
    run = asyncio.run(_state_with_standard_output_closed(tmp_path))
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        "error: anchordesk control: standard output is closed (>&-): nowhere to print the "
        "show's state; send it to a file, or to /dev/null to drop it"
    ]
