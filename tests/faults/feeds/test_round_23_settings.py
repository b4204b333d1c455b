"""Round twenty-three of issue 10 (R23hunt23in.md, found by a report-only hunt): settings files
that ended `anchordesk live` and the window with a traceback before their first line, or lost the
user's destinations. Real files on disk, read by the loader both front ends use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anchordesk.live.settings import load_settings

DESTINATION = {"id": "d1", "name": "Studio", "platform": "custom", "server": "rtmp://h/live"}


@pytest.mark.parametrize(
    ("what", "content"),
    [
        # (UTF-16 with its mark is read since round 31: test_round_31_in.py, and without it
        # since round 34: test_round_34_in.py; one that breaks off half-way is not.)
        ("utf-16 cut short", json.dumps({"language": "ja"}).encode("utf-16-le")[:-1]),
        ("a latin-1 byte", b'{"language": "ja", "x": "caf\xe9"}'),
        ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000),
    ],
)
def test_a_settings_file_that_cannot_be_read_is_set_aside_not_a_traceback(
    tmp_path: Path, what: str, content: bytes
) -> None:
    # Before: UnicodeDecodeError (outside the reader's try) and RecursionError (not caught).
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    settings = load_settings(path)
    assert settings.file_problem is not None, what
    assert (tmp_path / "settings.json.broken").read_bytes() == content  # nothing lost
    assert "is not valid JSON" in settings.problems[0]


def test_a_settings_file_saved_with_a_bom_keeps_its_destinations(tmp_path: Path) -> None:
    # Before: "not valid JSON", set aside, every destination gone (Notepad writes the BOM).
    path = tmp_path / "settings.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"destinations": [DESTINATION]}).encode())
    settings = load_settings(path)
    assert settings.file_problem is None
    assert [d.name for d in settings.destinations] == ["Studio"]
    assert not (tmp_path / "settings.json.broken").exists()


@pytest.mark.parametrize("key", ["destinations", "feeds", "recent_shows"])
@pytest.mark.parametrize("value", [7, True, 1.5, {"a": 1}])
def test_a_list_of_the_settings_given_as_another_type_is_said_and_ignored(
    tmp_path: Path, key: str, value: object
) -> None:
    # Before: TypeError ('int' object is not iterable), exit 1, the window never opened.
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({key: value, "language": "ja"}), encoding="utf-8")
    settings = load_settings(path)
    assert settings.language == "ja"  # the rest of the file is read
    assert any(f"{key} is not a list; ignored" in p for p in settings.problems), settings.problems
