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


async def _first_answers(folder: Path) -> dict[str, str]:
    """The status line each ``Expect: 100-continue`` command gets first, its body held back."""
    import asyncio
    from urllib.parse import urlsplit

    from ..remote.test_round_19_remote import SMALL_SHOW
    from ..remote_parts import TOKEN, rehearsing, serving

    body = b'{"command": "next_segment"}'
    cases = {
        "a stranger": ("", len(body)),
        "a wrong token": ("Authorization: Bearer not-the-token\r\n", len(body)),
        "1 GB with the token": (f"Authorization: Bearer {TOKEN}\r\n", 1 << 30),
        "the operator": (f"Authorization: Bearer {TOKEN}\r\n", len(body)),
    }
    said: dict[str, str] = {}
    async with rehearsing(SMALL_SHOW, folder) as live, serving(lambda: live) as server:
        address = urlsplit(server.url)
        for name, (authorization, length) in cases.items():
            reader, writer = await asyncio.open_connection(address.hostname, address.port)
            writer.write(
                (
                    "POST /api/v1/commands HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"{authorization}Content-Type: application/json\r\n"
                    f"Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n"
                ).encode()
            )
            await writer.drain()
            said[name] = (await asyncio.wait_for(reader.readline(), 10)).decode().strip()
            if said[name].startswith("HTTP/1.1 100"):
                await reader.readline()  # (the 100's empty line)
                writer.write(body)
                await writer.drain()
                said[name] += " then " + (await reader.readline()).decode().strip()
            writer.close()
    return said


def test_only_a_command_the_remote_will_take_is_told_to_send_its_body(tmp_path: Path) -> None:
    # Before: aiohttp answered "100 Continue" before the token was looked at: a stranger, or a
    # Content-Length of 1 GB, was invited to upload, then refused (R24hunt24remote, Left).
    import asyncio

    said = asyncio.run(_first_answers(tmp_path))
    assert said["a stranger"].startswith("HTTP/1.1 401"), said
    assert said["a wrong token"].startswith("HTTP/1.1 401"), said
    assert said["1 GB with the token"].startswith("HTTP/1.1 413"), said
    assert said["the operator"] == "HTTP/1.1 100 Continue then HTTP/1.1 200 OK", said
