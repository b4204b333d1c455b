"""Round twenty-four of issue 10, what the lead fixed after the helpers' reports (R24hunt24in2.md,
"Left"): a saved destination whose server URL holds a lone surrogate. A real run of the command
line, its settings file on disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_saved_server_url_with_a_lone_surrogate_is_one_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    # Before: UnicodeEncodeError out of validate_url (exit 1, a traceback): its check of bytes
    # that are not UTF-8 knew only the command line's (U+DC80-DCFF), not JSON's "\ud800".
    config = tmp_path / "config" / "AnchorDesk"
    config.mkdir(parents=True)
    (config / "settings.json").write_text(
        '{"destinations": [{"id": "d1", "name": "custom", "preset": "custom",'
        ' "server_url": "rtmp://127.0.0.1:9/li\\ud800ve"}]}',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", "--to", "custom", "--to-key-stdin",
         "--camera", "test", "--mic", "test", "--seconds", "2", "--no-record"],
        input="sk_test_123\n", capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "the URL holds a byte that is not UTF-8 text at character 22" in run.stderr
    assert "sk_test_123" not in run.stderr
