r"""Round thirty-two, secrets (R32in F1, F2): a stream key in a push URL with no server
(``rtmp:///live2/KEY``) or written with backslashes (``rtmp:\\host\live2\KEY``) is masked by
the one rule wherever the URL is quoted: the rule itself, ``live --to``'s refusal and the log
file, the settings' problem lines and the list of saved names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from anchordesk.core.redact import mask_pasted_address, mask_url, mask_urls, url_secrets

from ..live_runs import child_env

KEY = "abcd-efgh-ijkl-mnop-qrst"  # no digit: the rule's "looks like a key" does not see it
NO_SERVER = [f"rtmp:///live2/{KEY}", f"rtmps:///live2/{KEY}", f"rtmp:////live2/{KEY}"]
BACKSLASHES = [
    f"rtmp:\\live2\\{KEY}",
    f"rtmp:\\\\a.rtmp.youtube.com\\live2\\{KEY}",
    f"rtmp:\\\\\\live2\\{KEY}",
    f"rtmp:/a.rtmp.youtube.com\\live2\\{KEY}",
]


def _run_live(home: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    run = subprocess.run(
        [sys.executable, "-m", "anchordesk", "live", "--camera", "test", "--mic", "none",
         "--canvas", "320x180", "--seconds", "1", "--no-record", *args],
        capture_output=True, text=True, timeout=120, env=child_env(home),
    )  # fmt: skip
    log = home / "xdg_state_home" / "AnchorDesk" / "log" / "anchordesk.log"
    return run, log.read_text(encoding="utf-8") if log.exists() else ""


@pytest.mark.parametrize("url", NO_SERVER + BACKSLASHES)
def test_the_one_rule_masks_the_key_of_a_url_with_no_server_or_with_backslashes(url: str) -> None:
    # Before: mask_url("rtmp:///live2/KEY") gave the URL back whole (read as host "live2" and
    # the application "KEY"), as did every backslash form ("live2\KEY" read as the host).
    assert KEY not in mask_url(url), mask_url(url)
    assert mask_url(url).endswith("****"), mask_url(url)
    assert KEY not in mask_urls(f"error: --to {url}: the URL names no server"), url
    assert KEY in url_secrets(url), url_secrets(url)
    assert KEY not in mask_pasted_address(url), mask_pasted_address(url)


def test_the_rule_still_reads_a_server_after_three_slashes_as_a_server() -> None:
    # Round 3's reading stays: the server and the application are kept, the key is masked.
    assert mask_url(f"rtmp:///ingest.example/app/{KEY}") == "rtmp:///ingest.example/app/****"
    assert mask_url(f"rtmp:\\\\host\\app\\{KEY}") == "rtmp:\\\\host\\app\\****"


@pytest.mark.parametrize("url", [*NO_SERVER[:2], *BACKSLASHES[:2]])
def test_live_to_a_url_with_no_server_or_backslashes_is_refused_with_its_key_masked(
    tmp_path: Path, url: str
) -> None:
    # Before: "error: --to rtmp:///live2/KEY: the URL names no server", the key whole on stderr
    # and in anchordesk.log; the backslash forms were taken as a saved name, quoted whole.
    run, log = _run_live(tmp_path, "--to", url)
    said = run.stdout + run.stderr
    assert run.returncode == 2, said
    assert "Traceback" not in said
    assert "error: --to rtmp" in said and "****" in said, said
    assert "backslash" in said if "\\" in url else "names no server" in said, said
    assert KEY not in said and KEY not in log, said


def test_a_settings_value_and_a_destination_name_holding_such_a_url_are_quoted_masked(
    tmp_path: Path,
) -> None:
    # Before: `settings: destinations[1].enabled is "rtmp:///live2/KEY", not true or false`
    # and "saved: 'rtmp:///live2/KEY', 'd'", the key whole on stderr and in the log.
    folder = tmp_path / "xdg_config_home" / "AnchorDesk"
    folder.mkdir(parents=True)
    server = "rtmp://127.0.0.1/live2"
    destinations = [
        {"id": "d1", "name": f"rtmp:///live2/{KEY}", "preset": "custom", "server_url": server},
        {"id": "d2", "name": "d", "preset": "custom", "server_url": server,
         "enabled": f"rtmp:\\\\host\\live2\\{KEY}"},
    ]  # fmt: skip
    (folder / "settings.json").write_text(json.dumps({"destinations": destinations}))
    run, log = _run_live(tmp_path, "--to", "nothere")
    said = run.stdout + run.stderr
    assert run.returncode == 2, said
    assert "destinations[1].enabled" in said and "no saved destination" in said, said
    assert "'rtmp:///live2/****'" in said, said
    assert KEY not in said and KEY not in log, said
