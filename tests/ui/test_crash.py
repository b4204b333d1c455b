"""An uncaught exception in the window: logged, a dialog with the log's path and a copy button,
and the program goes on (one dialog at a time, the same failure once)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from anchordesk.core import logs, paths
from anchordesk.ui import crash, desktop

pytestmark = pytest.mark.qt_no_exception_capture  # the reporter under test is the hook

SECRET = "rtmp://live.example.com/app/CRASHKEY123"


@pytest.fixture
def reporter(qapp: QApplication, tmp_path: Path) -> Iterator[crash.CrashReporter]:
    logs.setup_logging(stderr=None, log_dir=tmp_path, native_crashes=False)
    reporter = crash.CrashReporter()
    reporter.install()
    yield reporter
    reporter.uninstall()
    if reporter.dialog is not None:
        reporter.dialog.close()


def failing_button(qtbot: QtBot, message: str) -> QPushButton:
    button = QPushButton("fails")
    qtbot.addWidget(button)

    def fail() -> None:
        raise RuntimeError(message)

    button.clicked.connect(fail)
    return button


def click_from_the_event_loop(qtbot: QtBot, button: QPushButton) -> None:
    """A click delivered by Qt's event loop, as a user's is (a click() called from Python hands
    the exception back to the Python caller on some PySide versions)."""
    clicked: list[bool] = []
    button.clicked.connect(lambda: clicked.append(True))
    QTimer.singleShot(0, button.click)
    qtbot.waitUntil(lambda: bool(clicked))


def test_an_error_in_a_slot_shows_the_log_path_and_copies_masked_details(
    qtbot: QtBot, reporter: crash.CrashReporter, tmp_path: Path
) -> None:
    button = failing_button(qtbot, f"cannot reach {SECRET}")
    click_from_the_event_loop(qtbot, button)  # PySide hands it to sys.excepthook, goes on
    dialog = reporter.dialog
    assert dialog is not None and dialog.isVisible()
    assert str(tmp_path / logs.LOG_FILE_NAME) in dialog.log_label.text()
    assert "RuntimeError" in dialog.details and "test_crash.py" in dialog.details
    assert "CRASHKEY123" not in dialog.details
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == dialog.details
    log_text = (tmp_path / logs.LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "RuntimeError" in log_text and "CRASHKEY123" not in log_text

    # The program keeps running: the same failure again is logged, not a second dialog.
    click_from_the_event_loop(qtbot, button)
    assert reporter.errors_while_open == 1
    dialog.keep_button.click()
    assert reporter.dialog is None
    click_from_the_event_loop(qtbot, button)
    assert reporter.dialog is None
    assert (tmp_path / logs.LOG_FILE_NAME).read_text(encoding="utf-8").count("RuntimeError") >= 3


def test_an_error_in_another_thread_reaches_the_dialog_on_the_qt_thread(
    qtbot: QtBot, reporter: crash.CrashReporter
) -> None:
    def worker() -> None:
        raise ValueError("the pipeline thread failed")

    # pytest (before 8.4) swaps threading.excepthook around each test's call: install again.
    reporter.install()

    thread = threading.Thread(target=worker, name="pipeline-test")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: reporter.dialog is not None)
    assert reporter.dialog is not None
    assert "pipeline-test" in reporter.dialog.details
    assert "ValueError: the pipeline thread failed" in reporter.dialog.details


def test_quit_closes_the_windows_for_a_clean_stop(
    qtbot: QtBot, reporter: crash.CrashReporter
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    click_from_the_event_loop(qtbot, failing_button(qtbot, "another failure"))
    assert reporter.dialog is not None
    reporter.dialog.quit_button.click()
    assert not window.isVisible()


def test_the_application_has_its_icon_and_desktop_file_name(qapp: QApplication) -> None:
    desktop.set_application_identity(qapp)
    assert qapp.desktopFileName() == paths.APP_ID
    sizes = {size.width() for size in qapp.windowIcon().availableSizes()}
    assert {16, 32, 48, 256} <= sizes


def test_the_dialog_speaks_chinese(qtbot: QtBot, qapp: QApplication) -> None:
    from anchordesk.ui import i18n

    i18n.install(qapp, "zh_CN")
    try:
        dialog = crash.CrashDialog("details", Path("/tmp/anchordesk.log"))
        qtbot.addWidget(dialog)
        assert dialog.keep_button.text() == "继续运行"
        assert dialog.copy_button.text() == "复制详情"
        label = dialog.log_label.text()
        assert "/tmp/anchordesk.log" in label and "日志" in label
    finally:
        i18n.install(qapp, "en")
