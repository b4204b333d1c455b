"""Hostile round thirty-three, show files, CSVs and settings (misc33; R32in F5): through the
real command line. Each behaviour test failed on the code before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anchordesk.cli import main as cli_main

# 20 characters as written; NFKC writes each "㍿" out as "株式会社": 80 as kept.
SQUARED = "\u337f" * 20
SAID = (
    f"the sku '{SQUARED}' is 20 characters long as written and 80 once normalised "
    "(Unicode NFKC, as it is kept and compared); at most 64"
)


def _show(sku: str) -> dict[str, object]:
    return {
        "format": 1,
        "title": "Show",
        "currency": "USD",
        "language": "en",
        "products": [{"sku": sku, "title": "Mug", "price": "5.00", "stock": 3}],
        "rundown": [{"title": "Hello", "seconds": 60}],
    }


def test_a_show_files_sku_too_long_once_normalised_says_both_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: "the sku is 80 characters long; at most 64" for a SKU the file writes with 20."""
    show = tmp_path / "a.show.json"
    show.write_text(json.dumps(_show(SQUARED), ensure_ascii=False), encoding="utf-8")
    assert cli_main(["show", "check", str(show)]) == 2
    said = capsys.readouterr()
    (line,) = [line for line in (said.out + said.err).splitlines() if "products[0].sku" in line]
    assert line.endswith(SAID)


def test_a_csv_sku_too_long_once_normalised_says_both_counts_by_the_same_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "products.csv"
    rows.write_text(f"sku,title,price,stock\n{SQUARED},Mug,5.00,3\n", encoding="utf-8")
    assert cli_main(["show", "import-csv", "-o", str(tmp_path / "o.show.json"), str(rows)]) == 2
    said = capsys.readouterr()
    assert f"{rows}: error: row 2, column sku: {SAID}" in (said.out + said.err).splitlines()


def test_guard_a_sku_written_as_kept_is_said_with_one_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    show = tmp_path / "a.show.json"
    show.write_text(json.dumps(_show("M" * 65)), encoding="utf-8")
    assert cli_main(["show", "check", str(show)]) == 2
    said = capsys.readouterr()
    assert "the sku is 65 characters long; at most 64" in said.out + said.err


KEY = "abcd-efgh-ijkl-mnop-qrst"
SERVERS = {
    "no server": f"rtmp:///live2/{KEY}",
    "no slashes": f"rtmp:live2/{KEY}",
    "backslashes": f"rtmp:\\\\a.example\\live2\\{KEY}",
    "backslash, no server": f"rtmp:\\live2\\{KEY}",
    "a server (held before)": f"rtmp://[::1]:1/live2/{KEY}",
}


@pytest.mark.parametrize("server_url", SERVERS.values(), ids=SERVERS.keys())
def test_a_saved_server_url_holding_a_key_is_said_so_with_or_without_a_server(
    server_url: str,
) -> None:
    """Before: `rtmp:///live2/KEY` (the server left out) and the backslash forms got no "looks
    like a stream key" (the rule read the path only after a host), and were saved back as
    they were; `rtmp://HOST/live2/KEY` got it."""
    from anchordesk.live.settings import settings_from_dict, settings_to_dict

    destination = {"id": "d1", "name": "mine", "preset": "custom", "server_url": server_url}
    settings = settings_from_dict({"destinations": [destination]})
    assert [str(words) for words in settings.field_problems] == [
        "destination 'mine' has what looks like a stream key in its server URL; move the key "
        "to the stream key field in Settings"
    ]
    assert KEY not in json.dumps(settings_to_dict(settings))


def test_guard_a_server_url_without_a_key_is_no_problem() -> None:
    from anchordesk.live.settings import settings_from_dict

    for server_url in ("rtmp://ingest-server-01/live", "rtmp:///ingest.example/app"):
        destination = {"id": "d1", "name": "n", "preset": "custom", "server_url": server_url}
        assert settings_from_dict({"destinations": [destination]}).field_problems == []
