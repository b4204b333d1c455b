"""Round twenty-six of issue 10, the window (hunt26ui)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import QTranslator
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from tests.ui.conftest import open_control_room
from tests.ui.test_round_fifteen_ui import tooltip_as_shown

from anchordesk.core import languages
from anchordesk.live.settings import FeedSettings, Settings
from anchordesk.ui import i18n
from anchordesk.ui.recording_parts import RecordingIndicator
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.feeds_page import FeedsPage
from anchordesk.ui.state import HealthState

_TOO_LONG_JA = "ファイル名が長すぎます"


class _WithReasons(QTranslator):
    """The Japanese catalogue with the C library's reasons translated (as the lead's .ts will
    have them), the rest as the real catalogue says it."""

    def __init__(self, real: QTranslator | None) -> None:
        super().__init__()
        self._real = real

    def translate(  # type: ignore[override]
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        if (context, source) == ("Disk", "File name too long"):
            return _TOO_LONG_JA
        return self._real.translate(context, source, disambiguation, n) if self._real else ""

    def isEmpty(self) -> bool:
        return False


def test_a_recordings_folder_named_too_long_is_said_in_the_window_language_not_the_c_library_s(
    qtbot: QtBot,
    qapp: QApplication,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Record on, a recordings folder of the settings whose name is longer than the disk
    takes: a Japanese window said "…に書き込めません（File name too long）", the C library's
    English inside its line (R24hunt24ui left). The reason is said in the window's language."""
    real_catalog = languages.catalog
    stub = _WithReasons(real_catalog("ja"))
    monkeypatch.setattr(
        languages, "catalog", lambda language: stub if language == "ja" else real_catalog(language)
    )
    folder = tmp_path / ("r" * 300)
    settings = Settings(record=True, record_asked=True, recordings_dir=str(folder))
    i18n.install(qapp, "ja")
    try:
        said: list[str] = []
        window = open_control_room(qtbot, executor, tmp_path, [], settings=settings)
        window.controller.message.connect(said.append)
        assert window.controller.live is not None
        qtbot.waitUntil(lambda: any("r" * 300 in line for line in said), timeout=10000)
        lines = [line for line in said if "r" * 300 in line]
        assert any(_TOO_LONG_JA in line for line in lines), lines
        assert not any("File name too long" in line for line in lines), lines
        window._quitting = True
        window.controller.shutdown()
    finally:
        i18n.install(qapp, "en")


def test_the_recording_files_and_a_feed_line_are_shown_in_their_tooltips_as_written(
    qtbot: QtBot, memory_keyring: object
) -> None:
    """The REC indicator's tooltip (the recordings folder of the settings) and the Feeds
    page's line (the feed's address) were the last two tooltips made of raw text: a folder
    "<b>Shows</b>" showed as a bold "Shows", an address holding "<img src=…>" as a picture
    (R24hunt24ui left). Both are shown as written."""
    files = ("/home/me/<b>Shows</b>/2026-11-30 show.mkv", "/home/me/<i>x</i>/next.mkv")
    indicator = RecordingIndicator()
    qtbot.addWidget(indicator)
    indicator.update_health(HealthState(recording="live", recording_files=files))
    assert tooltip_as_shown(indicator.toolTip()) == "\n".join(files)

    url = "https://example.com/<img src='/etc/x.png'>/<b>chat</b>"
    settings = Settings(feeds=[FeedSettings("f1", "json", url)])
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    item = dialog.page(FeedsPage).feed_list.item(0)
    assert "<b>chat</b>" in item.text()
    assert tooltip_as_shown(item.toolTip()) == item.text()
