"""Languages: the setting or the system locale picks Chinese, Japanese or English, switching
changes the strings of open widgets, and CJK text is drawn with real glyphs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QImage, QPainter
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from anchordesk.live.settings import Settings
from anchordesk.ui import i18n
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.general_page import GeneralPage


@pytest.fixture
def app_language(qapp: QApplication) -> Iterator[None]:
    yield
    i18n.install(qapp, "en")


def test_language_follows_the_setting_else_the_system_locale() -> None:
    assert i18n.resolve_language("ja") == "ja"
    assert i18n.resolve_language("zh-CN") == "zh_CN"
    assert i18n.resolve_language("system", QLocale("zh_TW")) == "zh_CN"
    assert i18n.resolve_language("system", QLocale("ja_JP")) == "ja"
    assert i18n.resolve_language(None, QLocale("de_DE")) == "en"
    assert i18n.resolve_language("system", QLocale("en_US")) == "en"


def test_every_catalogue_is_complete() -> None:
    import xml.etree.ElementTree as ElementTree

    for language in ("zh_CN", "ja"):
        ts_path = next(
            d / f"anchordesk_{language}.ts"
            for d in i18n.translation_dirs()
            if (d / f"anchordesk_{language}.ts").is_file()
        )
        root = ElementTree.parse(ts_path).getroot()
        messages = list(root.iter("message"))
        assert len(messages) > 100
        unfinished = [
            m.findtext("source")
            for m in messages
            if (m.find("translation") is not None)
            and m.find("translation").get("type") == "unfinished"  # type: ignore[union-attr]
        ]
        assert unfinished == [], f"{language}: {unfinished[:5]}"


def test_switching_to_chinese_changes_an_open_dialog(
    qtbot: QtBot, qapp: QApplication, app_language: None
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Settings"

    assert i18n.install(qapp, "zh_CN") == "zh_CN"
    qtbot.waitUntil(lambda: dialog.windowTitle() == "设置", timeout=3000)
    assert dialog.tabs.tabText(0) == "推流目标"

    assert i18n.install(qapp, "ja") == "ja"
    qtbot.waitUntil(lambda: dialog.windowTitle() == "設定", timeout=3000)

    i18n.install(qapp, "en")
    qtbot.waitUntil(lambda: dialog.windowTitle() == "Settings", timeout=3000)


def test_choosing_a_language_in_settings_installs_it(
    qtbot: QtBot, qapp: QApplication, app_language: None, memory_keyring: object
) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    language_combo = dialog.page(GeneralPage).language_combo
    language_combo.setCurrentIndex(language_combo.findData("ja"))
    with qtbot.waitSignal(dialog.language_changed):
        dialog.accept()
    assert i18n.current_language() == "ja"
    assert qapp.translate("SettingsDialog", "Settings") == "設定"


def _draw(text: str, font: QFont) -> QImage:
    image = QImage(64, 64, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return image


def test_cjk_text_renders_with_real_glyphs(qapp: QApplication) -> None:
    assert QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    assert QFontDatabase.families(QFontDatabase.WritingSystem.Japanese)
    font = QApplication.font()
    font.setPixelSize(40)
    # A missing glyph draws the same empty box for every character: distinct characters that
    # draw distinct pictures prove the font has them.
    pictures = [_draw(char, font) for char in ("直", "播", "商", "品", "タ", "イ")]
    blank = _draw(" ", font)
    for index, picture in enumerate(pictures):
        assert picture != blank
        for other in pictures[index + 1 :]:
            assert picture != other
