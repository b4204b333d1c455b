"""Round twenty-six of issue 10, the window (hunt26ui)."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import QLibraryInfo, QTranslator
from PySide6.QtGui import QTextLayout, QTextOption
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot
from tests.ui.conftest import open_control_room
from tests.ui.test_round_fifteen_ui import tooltip_as_shown

from anchordesk.core import languages, paths
from anchordesk.live.settings import FeedSettings, Settings
from anchordesk.ui import file_dialogs, i18n, i18n_build
from anchordesk.ui.recording_parts import RecordingIndicator
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.feeds_page import FeedsPage
from anchordesk.ui.state import HealthState

_TOO_LONG_JA = "ファイル名が長すぎます"


class _WithExtra(QTranslator):
    """A real catalogue with texts this round added translated (as the lead's .ts will have
    them); the rest as the real catalogue says it."""

    def __init__(self, real: QTranslator | None, extra: dict[tuple[str, str], str]) -> None:
        super().__init__()
        self._real = real
        self._extra = extra

    def translate(  # type: ignore[override]
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        if (context, source) in self._extra:
            return self._extra[(context, source)]
        return self._real.translate(context, source, disambiguation, n) if self._real else ""

    def isEmpty(self) -> bool:
        return False


def _with_extra(
    monkeypatch: pytest.MonkeyPatch, language: str, extra: dict[tuple[str, str], str]
) -> None:
    real_catalog = languages.catalog
    stub = _WithExtra(real_catalog(language), extra)
    monkeypatch.setattr(
        languages, "catalog", lambda asked: stub if asked == language else real_catalog(asked)
    )
    monkeypatch.setattr(i18n, "catalog", languages.catalog)


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
    _with_extra(monkeypatch, "ja", {("Disk", "File name too long"): _TOO_LONG_JA})
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


class _Asked(QTranslator):
    """Notes every text Qt asks a translation for, translates none."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[tuple[str, str]] = set()

    def translate(  # type: ignore[override]
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        self.asked.add((context, source))
        return ""

    def isEmpty(self) -> bool:
        return False


@pytest.mark.parametrize("language", ["ja", "zh_CN"])
def test_every_label_of_qt_s_own_file_dialog_has_a_translation_in_qtbase_or_ours(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path, language: str
) -> None:
    """File → Open in a Japanese or Chinese window (Qt's own dialog, not a native one): "Look
    in:" and "Files of type:" stayed in English beside translated buttons (R24hunt24ui left):
    Qt 6 asks "&Look in:", the qtbase catalogues PySide6 ships know only Qt 5's "Look in:".
    Every text of Qt's file dialog is translated by qtbase's catalogue or found by lupdate in
    our sources (so it is in our catalogue, which Qt asks first)."""
    asked = _Asked()
    i18n.install(qapp, language)
    qapp.installTranslator(asked)
    try:
        for mode in ("open", "save", "folder"):
            dialog = file_dialogs.make_dialog(None, "x", str(tmp_path), "Shows (*.json)")
            dialog.setOption(dialog.Option.DontUseNativeDialog, True)
            if mode == "save":
                dialog.setAcceptMode(dialog.AcceptMode.AcceptSave)
            elif mode == "folder":
                dialog.setFileMode(dialog.FileMode.Directory)
            qtbot.addWidget(dialog)
            dialog.show()
            qapp.processEvents()
            dialog.hide()
    finally:
        qapp.removeTranslator(asked)
        i18n.install(qapp, "en")
    qtbase = QTranslator()
    assert qtbase.load(
        f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    )
    ts_path = tmp_path / f"scan_{language}.ts"
    lupdate = i18n_build.find_tool("lupdate")
    assert lupdate is not None
    sources = [str(path) for path in i18n_build.source_files()]
    subprocess.run([lupdate, "-silent", *sources, "-ts", str(ts_path)], check=True, timeout=60)
    ours = {
        (context.findtext("name"), message.findtext("source"))
        for context in ElementTree.parse(ts_path).getroot().iter("context")
        for message in context.iter("message")
    }
    dialog_texts = {(c, s) for c, s in asked.asked if c == "QFileDialog"}
    assert ("QFileDialog", "&Look in:") in dialog_texts
    missing = sorted(
        (context, source)
        for context, source in dialog_texts
        if not qtbase.translate(context, source) and (context, source) not in ours
    )
    assert missing == []


_FIGURES = "%1 · %2 left · %3 of %4 units left"
_FIGURES_IN = {"zh_CN": "%1 · 剩余 %2 · 剩 %3/%4 件", "ja": "%1 · 残り %2 · %4点中残り%3点"}


def _laid_out_lines(label: QLabel) -> int:
    """How many lines ``label`` (word-wrapped) shows its text on, at its width."""
    lines = 0
    for paragraph in label.text().split("\n"):
        layout = QTextLayout(paragraph, label.font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.beginLayout()
        while (line := layout.createLine()).isValid():
            line.setLineWidth(label.contentsRect().width())
            lines += 1
        layout.endLayout()
    return lines


@pytest.mark.parametrize(("language", "folder"), [("zh_CN", "zh"), ("ja", "ja"), ("en", "en")])
def test_a_running_deal_s_row_breaks_between_its_product_and_its_figures_at_1366x768(
    qtbot: QtBot,
    qapp: QApplication,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    folder: str,
) -> None:
    """A deal running on a product no longer on screen is a row under the deal form: in
    Chinese at 1366x768 it broke inside its words ("…剩\\n余 1:48 · 剩 99/100 件", R21hunt21ui).
    Now the product is on one line and its figures on the next, each whole."""
    if language in _FIGURES_IN:
        _with_extra(monkeypatch, language, {("ProductPanel", _FIGURES): _FIGURES_IN[language]})
    i18n.install(qapp, language)
    window = open_control_room(qtbot, executor, tmp_path, [])
    try:
        window.resize(1366, 768 - 30)  # the window manager's title bar
        window._apply_default_sizes()
        sample = paths.resources_dir() / "shows" / folder / "show.json"
        with qtbot.waitSignal(window.controller.session_started, timeout=20000):
            window.controller.open_show(sample)
        qtbot.waitUntil(lambda: len(window.products._cards) == 4, timeout=5000)
        controller = window.controller
        first, second = list(window.products._cards)[:2]
        controller.show_product(first)
        controller.start_deal(first, "9.00", 120, 100)
        controller.show_product(second)
        controller.poll_show()
        QApplication.processEvents()
        rows = list(window.products._running_rows.values())
        assert len(rows) == 1
        label = rows[0][0]
        # No line broken by the layout: each line of the row shows whole on its own.
        lines = label.text().count("\n") + 1
        assert _laid_out_lines(label) == lines, (label.text(), label.contentsRect().width())
        assert lines == 2, label.text()  # the product, then its figures
    finally:
        window._quitting = True
        window.controller.shutdown()
        i18n.install(qapp, "en")
