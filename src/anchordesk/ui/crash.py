"""The window's answer to an uncaught exception: log it, tell the user where the log is, let
them copy the details for a bug report, and keep the show running when that is safe.

PySide calls ``sys.excepthook`` for an exception raised in a slot or an event handler and then
goes on with the event loop: the widget that failed did not finish one update, everything else
(the picture, the recording, the stream, which run in their own threads) is untouched. Stopping
the program there would end a live show for a glitch in one panel, so the dialog offers to keep
running (the default) or to quit cleanly (closing the window finishes the recording as usual).

- Each exception is logged in full (with the secret masking of :mod:`anchordesk.core.logs`);
  the dialog shows the same masked text.
- One dialog at a time: an exception raised while it is open (a paint event failing at every
  frame) is logged and counted, not stacked into a storm of dialogs; the same failure (same
  type and place) opens the dialog once per run.
- Exceptions of other threads and of asyncio callbacks reach the dialog through a queued signal,
  so it is always built on the Qt thread.
- ``KeyboardInterrupt`` and ``SystemExit`` are not errors: they go to the previous hook.

Signals of :class:`CrashReporter`: ``reported(str)`` with the masked details, once per dialog.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from anchordesk import __version__
from anchordesk.core import logs

log = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def failure_site(kind: type[BaseException], tb: TracebackType | None) -> tuple[str, str, int]:
    """(type name, file, line) of the innermost frame: the identity of "the same failure"."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return (kind.__name__, "", 0)
    last = frames[-1]
    return (kind.__name__, last.filename, last.lineno or 0)


def crash_details(exc_info: ExcInfo, where: str) -> str:
    """The text a bug report needs, with every secret masked (it goes to the clipboard)."""
    setup = logs.current_setup()
    lines = [
        f"AnchorDesk {__version__} — {where}",
        f"Python {sys.version.split()[0]} on {sys.platform}",
        f"Log: {setup.log_file if setup and setup.log_file else 'none (stderr only)'}",
        "",
        *traceback.format_exception(*exc_info),
    ]
    return logs.mask_text("\n".join(line.rstrip("\n") for line in lines))


class CrashDialog(QDialog):
    """Says what happened in one sentence, where the log is, and shows the details."""

    def __init__(self, details: str, log_file: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.details = details
        self.log_file = log_file
        self.setWindowTitle(
            QCoreApplication.translate("CrashDialog", "AnchorDesk: unexpected error")
        )
        layout = QVBoxLayout(self)
        self.message = QLabel(
            QCoreApplication.translate(
                "CrashDialog",
                "Something went wrong inside AnchorDesk. The picture, the recording and the "
                "stream go on; the part of the window that failed may not have updated.",
            )
        )
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        where = (
            str(log_file)
            if log_file
            else QCoreApplication.translate("CrashDialog", "no log file (it could not be written)")
        )
        text = QCoreApplication.translate(
            "CrashDialog", "The log, to send with a bug report: {path}"
        ).format(path=where)
        self.log_label = QLabel(text)
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.log_label)
        self.more_label = QLabel()
        self.more_label.hide()
        layout.addWidget(self.more_label)
        self.text = QPlainTextEdit(details)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setMinimumSize(560, 200)
        layout.addWidget(self.text)

        buttons = QDialogButtonBox()
        self.copy_button = QPushButton(QCoreApplication.translate("CrashDialog", "Copy details"))
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.folder_button = QPushButton(
            QCoreApplication.translate("CrashDialog", "Open log folder")
        )
        self.folder_button.setEnabled(log_file is not None)
        self.folder_button.clicked.connect(self.open_log_folder)
        buttons.addButton(self.folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.quit_button = QPushButton(QCoreApplication.translate("CrashDialog", "Quit"))
        self.quit_button.clicked.connect(self.quit_program)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.keep_button = QPushButton(QCoreApplication.translate("CrashDialog", "Keep running"))
        self.keep_button.setDefault(True)
        self.keep_button.clicked.connect(self.accept)
        buttons.addButton(self.keep_button, QDialogButtonBox.ButtonRole.AcceptRole)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details)
        self.copy_button.setText(QCoreApplication.translate("CrashDialog", "Copied"))

    def open_log_folder(self) -> None:
        if self.log_file is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_file.parent)))

    def quit_program(self) -> None:
        # Closing the windows runs the normal shutdown: the recording is finished, not cut.
        self.reject()
        QApplication.closeAllWindows()

    def count_more(self, count: int) -> None:
        self.more_label.setText(
            QCoreApplication.translate(
                "CrashDialog", "{count} more errors since; they are in the log."
            ).format(count=count)
        )
        self.more_label.show()


class CrashReporter(QObject):
    """Installs the hooks; owns the one crash dialog."""

    reported = Signal(str)
    _from_other_thread = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialog: CrashDialog | None = None
        self.errors_while_open = 0
        self.seen_sites: set[tuple[str, str, int]] = set()
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        self._from_other_thread.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        sys.excepthook = self._previous_hook
        threading.excepthook = self._previous_thread_hook

    def install_on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """An exception in an asyncio callback (qasync runs them on the Qt thread)."""

        def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            error = context.get("exception")
            if not isinstance(error, Exception):
                loop.default_exception_handler(context)
                return
            message = str(context.get("message") or "error in an asyncio callback")
            self.report((type(error), error, error.__traceback__), message)

        loop.set_exception_handler(handler)

    # -- hooks ------------------------------------------------------------------------------

    def excepthook(
        self, kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt | SystemExit):
            self._previous_hook(kind, value, tb)
            return
        self.report((kind, value, tb), "uncaught exception")
        # A hook other than the log's or Python's (pytest-qt's, which fails the test) still
        # hears of it; those two would only log or print it a second time.
        previous = self._previous_hook
        if previous is not sys.__excepthook__ and not getattr(previous, logs.HOOK_MARK, False):
            previous(kind, value, tb)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "?"
        self.report(
            (args.exc_type, args.exc_value, args.exc_traceback),
            f"uncaught exception in thread {name}",
        )

    def report(self, exc_info: ExcInfo, where: str) -> None:
        """Log the exception; show (or count into) the dialog on the Qt thread."""
        logs.log_uncaught(*exc_info, where=where)
        site = failure_site(exc_info[0], exc_info[2])
        details = crash_details(exc_info, where)
        payload = (site, details)
        if threading.current_thread() is threading.main_thread():
            self._show(payload, where)
        else:
            try:
                self._from_other_thread.emit(payload, where)
            except RuntimeError:
                # The reporter went with the application (the program is ending) while a
                # thread still ran: the log has it. Raising here printed a second traceback
                # ("Exception in threading.excepthook") on the terminal.
                return

    def _show(self, payload: tuple[tuple[str, str, int], str], where: str) -> None:
        from PySide6.QtWidgets import QApplication

        site, details = payload
        if not isinstance(QApplication.instance(), QApplication):
            return  # the window is gone (the program is ending): the log has it
        if self.dialog is not None and self.dialog.isVisible():
            self.errors_while_open += 1
            self.dialog.count_more(self.errors_while_open)
            return
        if site in self.seen_sites:
            log.info("the same error again (%s at %s:%d): logged only", *site)
            return
        self.seen_sites.add(site)
        self.errors_while_open = 0
        setup = logs.current_setup()
        parent = QApplication.activeWindow()
        self.dialog = CrashDialog(details, setup.log_file if setup else None, parent)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.finished.connect(self._closed)
        # Not exec(): a nested event loop inside an exception hook can re-enter the code that
        # just failed. open() is window-modal and returns at once.
        self.dialog.open()
        self.reported.emit(details)

    def _closed(self) -> None:
        self.dialog = None


_termination_requested = False

# The signals that close the window as the close button does (SIGHUP exists on POSIX only).
CLOSING_SIGNALS = tuple(name for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))


def termination_requested() -> bool:
    """True once the system or the terminal asked the program to end (SIGTERM, SIGINT, SIGHUP):
    a window closes without asking."""
    return _termination_requested


def close_windows_on_sigterm() -> None:
    """SIGTERM (a logout, ``kill``, a service manager), SIGINT (Ctrl+C in the terminal that
    started the window) and SIGHUP (that terminal closed) close the windows like the close
    button: the recording is finished and the log says so, instead of the process dying
    mid-write (SIGHUP's default) or a KeyboardInterrupt raised inside whatever Qt override ran
    next, printed and swallowed while the show went on streaming (SIGINT's default).

    Python runs a signal handler at its next bytecode; the window runs Python many times a
    second (the preview and health timers), so the close comes within a frame or two.

    A signal the program was started to ignore stays ignored (``nohup anchordesk show.json &``,
    SIGHUP; a script's background job, SIGINT): taking it closed the window and stopped a live
    stream when the terminal hung up. The convention the commands follow (cli/stopping).
    """

    def handler(signal_number: int, _frame: object) -> None:
        close_requested(signal_number)

    if threading.current_thread() is threading.main_thread():
        for name in CLOSING_SIGNALS:
            number = getattr(signal, name)
            if signal.getsignal(number) is signal.SIG_IGN:
                log.info("%s was ignored when the program started: it stays ignored", name)
                continue
            signal.signal(number, handler)


def ignore_closing_signals() -> None:
    """Once the window is closed and the show's files finished: the closing signals this
    program took are ignored to its end (one it was started to ignore stays so)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in CLOSING_SIGNALS:
        number = getattr(signal, name)
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, signal.SIG_IGN)


def close_requested(signal_number: int) -> None:
    """Close every window soon, without asking (see :func:`close_windows_on_sigterm`)."""
    global _termination_requested
    log.info("%s: closing the window", signal.Signals(signal_number).name)
    # Nobody is there to answer "quit while live?": the asked close waited for an answer that
    # never came, and the window went on streaming after a logout or a ``kill``.
    _termination_requested = True
    QTimer.singleShot(0, QApplication.closeAllWindows)


def install(app: QApplication, loop: asyncio.AbstractEventLoop | None = None) -> CrashReporter:
    """Install the crash reporter for this application (kept alive as the app's child) and the
    clean stop on SIGTERM, SIGINT and SIGHUP."""
    reporter = CrashReporter(app)
    reporter.install()
    if loop is not None:
        reporter.install_on_loop(loop)
    close_windows_on_sigterm()
    return reporter
