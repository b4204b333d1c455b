"""Round twenty-six of issue 10, the window (hunt26ui)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import QTranslator
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from tests.ui.conftest import open_control_room

from anchordesk.core import languages
from anchordesk.live.settings import Settings
from anchordesk.ui import i18n

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
