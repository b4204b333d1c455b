"""Atomic writes keep a file's permissions (a 0644 show file stayed 0600 after a save)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from anchordesk.core.files import write_text_atomically
from anchordesk.live.settings import Settings, save_settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "show.json"
    for mode in (0o644, 0o664, 0o600):
        path.write_text("{}", encoding="utf-8")
        path.chmod(mode)
        write_text_atomically(path, '{"title": "x"}\n')
        assert _mode(path) == mode
        assert path.read_text(encoding="utf-8") == '{"title": "x"}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["show.json"]  # no temporary file left


def test_a_new_file_gets_what_open_would_give_it(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        path = tmp_path / "new.json"
        write_text_atomically(path, "{}")
        assert _mode(path) == 0o644
        private = tmp_path / "private.json"
        write_text_atomically(private, "{}", new_file_mode=0o600)
        assert _mode(private) == 0o600
    finally:
        os.umask(mask)


def test_a_new_settings_file_is_the_users_alone(tmp_path: Path) -> None:
    path = save_settings(Settings(), tmp_path / "settings.json")
    assert _mode(path) == 0o600
