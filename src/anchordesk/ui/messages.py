"""Every message the window said this run, with its time: Help → Messages (Ctrl+Shift+M).

The banner over the picture keeps a notice six seconds and three at most, and the status bar
one line that the next replaces: an operator who looked away for a minute (a product shown to
the camera, a question answered) missed a fault said meanwhile ("the recording stopped: the
disk is full", "the session file cannot be written for now"), and nothing in the window showed
it again. The log keeps them for the run; the dialog shows them, and follows new ones while it
is open (it is not modal: the show goes on behind it).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core.printable import escape_controls


class MessageLog(QObject):
    """The window's messages of this run, oldest first, ``MAX_MESSAGES`` at most (a feed that
    fails and recovers all night says a few lines an hour; a bound keeps a pathological one
    from growing the log without end).

    Signals: ``added(str)``: a message was kept, as the dialog shows it."""

    added = Signal(str)

    MAX_MESSAGES = 1000

    def __init__(
        self, parent: QObject | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self._entries: deque[str] = deque(maxlen=self.MAX_MESSAGES)

    def add(self, text: str) -> None:
        # The time of day as the operator's clock reads it (the show's plan is in local time).
        # A message quotes comments and file names: plain text, control characters written
        # out (a line break in a file name must not start a forged line).
        line = f"{time.strftime('%H:%M:%S', time.localtime(self.clock()))}  {_one_line(text)}"
        self._entries.append(line)
        self.added.emit(line)

    def lines(self) -> list[str]:
        return list(self._entries)


def _one_line(text: str) -> str:
    return escape_controls(" ".join(text.splitlines()))


class MessagesDialog(QDialog):
    """The log, newest at the bottom, in a read-only plain-text view (selectable, copyable)."""

    def __init__(self, log: MessageLog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messages_dialog")
        self.log = log
        self.empty = QLabel(self)
        self.view = QPlainTextEdit(self)
        self.view.setObjectName("messages_view")
        self.view.setReadOnly(True)
        self.view.setTabChangesFocus(True)  # Tab reaches the buttons
        # As many lines as the log keeps: left open all night, the view grew past them
        # (5,000 lines after 5,000 messages) while Copy all gave the log's last 1,000.
        self.view.setMaximumBlockCount(log.MAX_MESSAGES)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton(self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_all)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.view)
        layout.addWidget(buttons)
        self.resize(720, 360)
        for line in log.lines():
            self.view.appendPlainText(line)
        self._show_empty()
        self.retranslate()
        log.added.connect(self._added)

    def changeEvent(self, event: QEvent) -> None:
        # The window keeps this dialog for the run: opened once in Japanese, it kept its
        # Japanese title and buttons in a window switched to English since.
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Messages"))
        self.empty.setText(self.tr("No message yet this run."))
        self.view.setAccessibleName(self.tr("Messages of this run"))
        self.copy_button.setText(self.tr("&Copy all"))

    def _added(self, line: str) -> None:
        self.view.appendPlainText(line)
        self._show_empty()

    def _show_empty(self) -> None:
        self.empty.setVisible(not self.log.lines())

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText("\n".join(self.log.lines()))
