"""Round twenty-five, inputs (R25hunt25in): the fixes of its findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from anchordesk.live.settings import load_settings


@pytest.mark.parametrize(
    "url",
    [
        "http://bob:pw123secret@127.0.0.1:1/feed?token=AAAAAAAAAA",
        "http://127.0.0.1:1/feed?sig=BBBBBBBBBB&token=AAAAAAAAAA",
        "http://127.0.0.1:1/feed?api_key=KKKKKKKKKK&token=TTTTTTTTTT",
    ],
)
def test_a_feed_url_with_more_than_one_secret_is_kept_not_half_moved(
    tmp_path: Path, memory_keyring: Any, url: str
) -> None:
    # With a keyring, the loader stored the first secret of the URL (the password's token,
    # "sig"'s value) and saved the URL without any: the user:password or the real token
    # was lost, and the message said the token "was moved to the system keyring".
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"feeds": [{"id": "f1", "kind": "json", "url": url}]}), "utf-8")
    settings = load_settings(path)
    assert [feed.url for feed in settings.feeds] == [url]
    assert json.loads(path.read_text("utf-8"))["feeds"][0]["url"] == url
    assert memory_keyring.passwords == {}
    assert not any("moved" in problem for problem in settings.problems)
    assert any("token or a password in its URL" in p for p in settings.problems)
