"""How the network child is started: ``python -m`` from an install, the app itself when frozen."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from anchordesk.media import network_child
from anchordesk.media.network_child import CHILD_MODE_ARGUMENT, child_command, masked

KEY = "sk-live-7f3a9c2e51"


def test_installed_program_runs_the_child_module_with_its_python() -> None:
    assert child_command("/usr/bin/python3", frozen=False) == [
        "/usr/bin/python3",
        "-m",
        "anchordesk.media.network_child",
    ]


def test_frozen_app_runs_its_own_executable_in_the_hidden_child_mode() -> None:
    command = child_command("/opt/AnchorDesk/anchordesk", frozen=True)
    assert command == ["/opt/AnchorDesk/anchordesk", "--network-child"]


def test_the_default_follows_sys_frozen_and_sys_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert child_command() == [sys.executable, "-m", "anchordesk.media.network_child"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/AnchorDesk/anchordesk")
    assert child_command() == ["/opt/AnchorDesk/anchordesk", CHILD_MODE_ARGUMENT]


def test_the_url_is_never_part_of_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # The key travels on stdin only: a command line is readable by every user of the machine.
    for frozen in (False, True):
        monkeypatch.setattr(sys, "frozen", frozen, raising=False)
        from anchordesk.media.network_output import NetworkOutput

        output = NetworkOutput(f"rtmp://127.0.0.1:1935/live/{KEY}")
        assert output.child_command == child_command(frozen=frozen)
        assert not any(KEY in part for part in output.child_command)


def test_cli_main_runs_the_child_before_parsing_arguments() -> None:
    # What the frozen app does with its hidden argument: the child's protocol, not argparse
    # (which would print a usage error). A bad header makes the child answer on stdout.
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from anchordesk.cli import main; sys.exit(main())",
         CHILD_MODE_ARGUMENT],
        input=b"not a header\n",
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    event = json.loads(result.stdout.splitlines()[0])
    assert event["event"] == "error" and event["message"].startswith("bad header")
    assert b"usage:" not in result.stderr


def test_child_messages_never_show_the_key() -> None:
    url = f"rtmp://example.com/live/{KEY}"
    text = masked(f"Connection to {url} refused; stream {KEY} closed", url)
    assert KEY not in text
    assert network_child.secrets_of(url)
