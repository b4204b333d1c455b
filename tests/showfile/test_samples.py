"""The built-in sample shows: one per language the window speaks, each usable as it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from anchordesk.core.paths import resources_dir
from anchordesk.show.compliance import check_show
from anchordesk.showfile.csv_import import read_products_csv
from anchordesk.showfile.files import read_show_file
from anchordesk.showfile.images import image_problems
from anchordesk.showfile.samples import is_sample, sample_folder, sample_show_path


@pytest.mark.parametrize(
    ("language", "folder"),
    [("ja", "ja"), ("ja_JP", "ja"), ("zh_CN", "zh"), ("zh-TW", "zh"), ("en", "en"), ("de", "en")],
)
def test_the_sample_follows_the_language(language: str, folder: str) -> None:
    assert sample_folder(language) == folder
    path = sample_show_path(language)
    assert path == resources_dir() / "shows" / folder / "show.json"
    assert path is not None and is_sample(path)


def test_a_copy_of_a_sample_is_not_the_sample(tmp_path: Path) -> None:
    copy = tmp_path / "show.json"
    copy.write_bytes((resources_dir() / "shows" / "ja" / "show.json").read_bytes())
    assert not is_sample(copy)


def test_the_japanese_sample_is_japanese_valid_and_without_compliance_hits() -> None:
    path = resources_dir() / "shows" / "ja" / "show.json"
    report = read_show_file(path)
    assert report.show is not None, [str(p) for p in report.problems]
    assert report.problems == []  # no errors, no warnings, images included
    show = report.show
    assert show.language == "ja" and show.currency == "JPY"
    assert check_show(show) == []
    assert image_problems(show) == []

    def japanese(text: str) -> bool:
        return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)

    texts = [show.title, *show.ticker]
    texts += [p.title for p in show.products] + [pt for p in show.products for pt in p.points]
    texts += [s.title for s in show.rundown] + [s.script for s in show.rundown]
    assert all(japanese(text) for text in texts), [t for t in texts if not japanese(t)]
    assert len(show.products) >= 4 and sum(1 for s in show.rundown if s.deal) >= 3


def test_the_japanese_products_csv_imports_cleanly() -> None:
    folder = resources_dir() / "shows" / "ja"
    imported = read_products_csv(folder / "products.csv", show_dir=folder, show_currency="JPY")
    assert imported.problems == [] and imported.bad_rows == []
    show = read_show_file(folder / "show.json").show
    assert show is not None
    assert [p.sku for p in imported.products] == [p.sku for p in show.products]


def test_lang_ja_jp_opens_the_japanese_sample() -> None:
    """The window's language comes from LANG when no language is set; so does the sample."""
    program = (
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from anchordesk.ui import i18n\n"
        "i18n.install(app, None)\n"
        "from anchordesk.ui.controller import sample_show_path\n"
        "print(i18n.current_language(), sample_show_path())\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LC_") and key not in ("LANG", "LANGUAGE")
    }
    env.update(LANG="ja_JP.UTF-8", QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    language, path = result.stdout.split()
    assert language == "ja"
    assert Path(path) == resources_dir() / "shows" / "ja" / "show.json"
