"""Resources and translations are found through importlib.resources, the same way a checkout,
an installed wheel and the frozen app find them; the user's files go to the platform's folders."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from anchordesk.core import paths


def test_resources_are_the_package_anchordesk_resources() -> None:
    folder = paths.resources_dir()
    assert folder == resources.files("anchordesk.resources")
    for language in ("en", "zh"):
        show = json.loads((folder / "shows" / language / "show.json").read_text("utf-8"))
        assert show["products"], language
    assert json.loads((folder / "show.schema.json").read_text("utf-8"))["type"] == "object"


def test_translations_are_the_package_anchordesk_translations() -> None:
    folder = paths.translations_dir()
    assert folder == resources.files("anchordesk.translations")
    for language in ("zh_CN", "ja"):
        catalogues = [folder / f"anchordesk_{language}.{ext}" for ext in ("qm", "ts")]
        assert any(path.is_file() for path in catalogues), language


def test_the_icon_exists_as_svg_and_at_every_hicolor_size() -> None:
    assert "<svg" in paths.icon_path().read_text("utf-8")
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        assert paths.icon_path(size).is_file(), size


def test_user_folders_follow_the_platform_settings(isolated_user_dirs: Path) -> None:
    assert paths.user_config_dir().is_relative_to(isolated_user_dirs / "config")
    assert paths.user_data_dir().is_relative_to(isolated_user_dirs / "data")
    assert paths.user_log_dir().is_relative_to(isolated_user_dirs / "state")
    assert paths.user_log_dir().is_dir()
