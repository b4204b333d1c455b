"""Secrets given in the environment stay in AnchorDesk (issue 10, Deliver 5: "network children
get only the variables they need"; R6in/R6net left: every program the app starts inherited
``ANCHORDESK_*`` tokens and the stream key). Real ``anchordesk`` processes; each test failed
before the fix where it says so."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from feed_servers import JsonFeedServer, Reply

from ..live_runs import SMALL, LiveRun, child_env
from .test_round_05_feeds import kept

TOKEN = "json-feed-token-5ecret"
SECRETS = {
    "ANCHORDESK_JSON_TOKEN": TOKEN,
    "ANCHORDESK_STREAM_KEY": "sk_live_never_inherited",
    "ANCHORDESK_CONTROL_TOKEN": "control-token-0123456789",
    "ANCHORDESK_SHOPIFY_ORDERS_CLIENT_SECRET": "shpss_never_inherited",
}

# A program the app starts (here a cache tool of `desktop install`, found first on PATH; the
# window's browser and file manager start the same way): it keeps its /proc/PID/environ.
# It also dumps what the kernel shows of its parent's (anchordesk's own) environment.
_ENVIRONMENT_DUMPER = (
    '#!/bin/sh\ntr "\\0" "\\n" < /proc/$$/environ > "$ENVIRONMENT_DUMP"\n'
    'tr "\\0" "\\n" < /proc/$PPID/environ > "$ENVIRONMENT_DUMP.parent"\n'
)


def test_no_program_anchordesk_starts_inherits_its_secret_variables(tmp_path: Path) -> None:
    """Before: update-desktop-database (and xdg-open from the window, and whatever they start)
    held the stream key and every token for its life."""
    command = Path(sys.executable).parent / "anchordesk"
    if not command.exists():
        command = Path(shutil.which("anchordesk") or "")
    if not command.is_file():
        pytest.skip("the anchordesk command is not installed next to this Python")
    tools = tmp_path / "bin"
    tools.mkdir()
    dumper = tools / "update-desktop-database"
    dumper.write_text(_ENVIRONMENT_DUMPER, encoding="utf-8")
    dumper.chmod(0o755)
    dump = tmp_path / "environ.txt"
    env = child_env(
        tmp_path,
        PATH=f"{tools}:/usr/bin:/bin",
        ENVIRONMENT_DUMP=str(dump),
        ANCHORDESK_CONTROL_URL="http://127.0.0.1:8750",
        **SECRETS,
    )
    result = subprocess.run(
        [str(command), "desktop", "install"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    inherited = dict(line.partition("=")[::2] for line in dump.read_text().splitlines())
    assert inherited["ENVIRONMENT_DUMP"] == str(dump)  # the dump is the child's environment
    assert inherited["ANCHORDESK_CONTROL_URL"] == "http://127.0.0.1:8750"  # no secret: kept
    assert not set(SECRETS) & set(inherited)
    assert not any(value in dump.read_text() for value in SECRETS.values())
    # And anchordesk's own /proc/PID/environ (ps e, crash reporters, support scripts) no
    # longer shows them: before, it kept the environment the process started with.
    parent = Path(f"{dump}.parent").read_text()
    assert "ANCHORDESK_CONTROL_URL=http://127.0.0.1:8750" in parent.splitlines()
    assert not any(value in parent or name in parent for name, value in SECRETS.items())


class TokenFeed(JsonFeedServer):
    """The generic JSON feed behind a bearer token: a request without it is refused (401)."""

    def _handle(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply | None:
        if headers.get("authorization") != f"Bearer {TOKEN}":
            with self.lock:
                self.requests.append((path, query, headers))
            return Reply(401, b'{"error": "unauthorized"}', {"Content-Type": "application/json"})
        return super()._handle(path, query, headers)


@pytest.mark.integration
def test_a_feed_token_given_in_the_environment_still_authenticates(tmp_path: Path) -> None:
    """The run reads the token it withheld from its environment: the feed's server takes it
    and the order is kept."""
    server = TokenFeed(poll_ms=100)
    server.add_order("MUG", 1, "18.00")
    session = tmp_path / "S.adsession"
    with server:
        run = LiveRun(
            *SMALL,
            "--feed",
            f"json={server.url}",
            "--session",
            str(session),
            env=child_env(tmp_path, **SECRETS),
        )
        try:
            deadline = time.monotonic() + 60
            while kept(session) != (0, 1):
                assert run.process.poll() is None, run.stderr
                assert time.monotonic() < deadline, run.stderr
                time.sleep(0.05)
            run.send(signal.SIGTERM)
            assert run.wait(30) == 0, run.stderr
        finally:
            run.kill()
    with server.lock:
        sent = [headers.get("authorization") for _, _, headers in server.requests]
    assert sent and all(header == f"Bearer {TOKEN}" for header in sent), sent
    assert TOKEN not in run.stderr
