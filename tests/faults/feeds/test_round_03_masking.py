"""Round three of masking (issue 10): stream keys in URLs that the free-text detector did not
see as URLs. ``rtmp:host/app/KEY`` (no ``//``, which FFmpeg accepts), ``rtmps:HOST/app/KEY``,
``rtmp:/host/…``, ``rtmp:///host/…`` and ``ftp://user:password@…`` were logged and printed in
clear; a URL followed by ``:`` or ``)`` in a sentence lost that punctuation. One detector in
core/redact.py (``mask_urls``) now finds them and ``mask_url`` reads each the same way."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from anchordesk.cli import main as cli_main
from anchordesk.core import logs
from anchordesk.core.logs import mask_text
from anchordesk.core.redact import mask_url, url_secrets

KEY = "sk_live_51NfaultKEY7c2e"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"rtmp:ingest.example/app/{KEY}", "rtmp:ingest.example/app/****"),
        (f"rtmps:INGEST.example/app/{KEY}", "rtmps:INGEST.example/app/****"),
        (f"RTMP://ingest.example/app/{KEY}", "rtmp://ingest.example/app/****"),
        (f"RTMPS:ingest.example:443/app/{KEY}", "rtmps:ingest.example:443/app/****"),
        (f"rtmp:/ingest.example/app/{KEY}", "rtmp:/ingest.example/app/****"),
        (f"rtmp:///ingest.example/app/{KEY}", "rtmp:///ingest.example/app/****"),
        (f"srt:ingest.example:9000?streamid={KEY}", "srt:ingest.example:9000?streamid=****"),
        (f"ftp://user:{KEY}@files.example/x", "ftp://****@files.example/x"),
        # Inside longer lines: the sentence's punctuation stays, the key goes.
        (
            f"12:00:01 WARNING output: cannot open rtmp:h/app/{KEY}: Input/output error",
            "12:00:01 WARNING output: cannot open rtmp:h/app/****: Input/output error",
        ),
        (f"(see rtmps://h/app/{KEY}).", "(see rtmps://h/app/****)."),
        (f"push to rtmp://[::1]:1935/app/{KEY}, then", "push to rtmp://[::1]:1935/app/****, then"),
        (f'url="RTMP:h/app/{KEY}"', 'url="rtmp:h/app/****"'),
    ],
)
def test_every_form_of_a_streaming_url_is_masked_in_free_text(text: str, shown: str) -> None:
    assert mask_text(text) == shown
    assert KEY not in mask_text(text)


@pytest.mark.parametrize(
    "url", [f"rtmp:h/app/{KEY}", f"rtmps:h/app/{KEY}", f"rtmp:/h/app/{KEY}", f"RTMP:h/app/{KEY}"]
)
def test_the_url_rule_and_its_secrets_read_the_form_without_slashes_alike(url: str) -> None:
    assert mask_url(url).endswith("/app/****")
    assert KEY in url_secrets(url)


@pytest.mark.parametrize(
    "text", ["wrist:band", "srt:42", "rtmp:", "see the rtmp: settings", "https://h/api/v1/c?x=1"]
)
def test_words_and_plain_urls_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


@pytest.mark.parametrize("to", [f"rtmp:ingest.example/app/{KEY}", f"rtmps:INGEST/app/{KEY}"])
def test_the_cli_never_prints_a_key_given_in_a_misspelt_url(
    to: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The URL has no "//": it was taken for a saved destination's name, and the refusal
    # printed it (and the key) as given.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert cli_main(["live", "--to", to, "--seconds", "1"]) == 2
    captured = capsys.readouterr()
    assert KEY not in captured.err + captured.out
    assert "/app/****" in captured.err


def test_a_log_line_quoting_such_a_url_is_masked_in_the_file(tmp_path: Path) -> None:
    logs.setup_logging(stderr=None, log_dir=tmp_path, native_crashes=False)
    logging.getLogger("anchordesk.test").warning("child said: rtmps:h:443/app/%s", KEY)
    for handler in logging.getLogger().handlers:
        handler.flush()
    written = (tmp_path / logs.LOG_FILE_NAME).read_text(encoding="utf-8")
    assert KEY not in written and "rtmps:h:443/app/****" in written
