"""Round fifteen of issue 10, the lead's: the report says how the stream went (R13ui left)."""

from __future__ import annotations

import html as html_module
import json
import socket
from pathlib import Path

import pytest
from servers import NginxRtmp

from anchordesk.cli.main import main as cli_main

from ..live_runs import SMALL, child_env, run_live

pytestmark = pytest.mark.integration


def _report(session: Path, capsys: pytest.CaptureFixture[str], *options: str) -> str:
    capsys.readouterr()
    assert cli_main(["report", str(session), *options]) == 0
    return capsys.readouterr().out


def test_the_report_says_how_long_the_stream_was_live_and_where(
    tmp_path: Path, nginx_rtmp: NginxRtmp, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the report of a live run said nothing of its stream (only the run's last
    lines did, gone with the terminal): a show whose stream was down, or never live, read
    as a whole show. Now each destination, its time live and why it was down at the end."""
    session = tmp_path / "live.adsession"
    url = nginx_rtmp.url("r15-secret-key")
    run = run_live(
        *SMALL, "--to", url, "--no-record", "--session", str(session), "--seconds", "4",
        env=child_env(tmp_path),
    )  # fmt: skip
    assert run.process.returncode == 0, run.stderr
    data = json.loads(_report(session, capsys, "--json"))
    (stream,) = data["streams"]
    assert stream["destination"] == url.replace("r15-secret-key", "****")
    assert 1.0 <= stream["live_s"] <= 4.5
    assert (stream["reconnects"], stream["down_at_end_s"], stream["last_error"]) == (0, 0.0, "")
    english = _report(session, capsys, "--lang", "en")
    line = next(line for line in english.splitlines() if "Stream" in line)
    assert line.split("Stream", 1)[1].strip().startswith(f"{stream['destination']}: live 0:0")
    chinese = _report(session, capsys, "--lang", "zh_CN")
    assert f"推流        {stream['destination']}：直播 0:0" in chinese
    page = tmp_path / "r.html"
    _report(session, capsys, "--html", str(page), "--lang", "ja")
    assert html_module.escape(f"{stream['destination']}：配信 0:0") in page.read_text("utf-8")
    for text in (json.dumps(data), english, chinese, page.read_text("utf-8")):
        assert "r15-secret-key" not in text


def test_the_report_says_a_stream_that_never_went_live_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A destination nobody listens on: the run ends (exit 3: nobody saw the show there),
    and its report says so, not a show like any other."""
    with socket.create_server(("127.0.0.1", 0)) as gone:
        port = gone.getsockname()[1]
    session = tmp_path / "live.adsession"
    run = run_live(
        *SMALL, "--to", f"rtmp://127.0.0.1:{port}/live/r15-never", "--no-record",
        "--session", str(session), "--seconds", "3", env=child_env(tmp_path),
    )  # fmt: skip
    assert run.process.returncode == 3, run.stderr
    (stream,) = json.loads(_report(session, capsys, "--json"))["streams"]
    assert stream["live_s"] == 0 and stream["last_error"]
    english = _report(session, capsys, "--lang", "en")
    assert f"rtmp://127.0.0.1:{port}/live/****: never went live: {stream['last_error']}" in english
    assert "r15-never" not in english
