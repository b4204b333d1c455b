"""A dialog that lists a file's problems in full: one line each, selectable, scrollable, none cut.

Used when a CSV import is refused and when a show that cannot run is opened in the main window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core.printable import escape_controls


class ProblemsDialog(QDialog):
    """``heading`` (what happened, what was kept) above every problem line."""

    def __init__(
        self, title: str, heading: str, lines: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("problems-dialog")
        self.setWindowTitle(title)
        # File names and values are text: plain, and a line break or an escape in a file's name
        # written out (a show named "a\nb.json" broke the heading across two lines, free to
        # forge a line of the program's own).
        self.heading = QLabel(escape_controls(heading), self)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        self.problems = QPlainTextEdit(self)
        self.problems.setObjectName("problem-lines")
        self.problems.setReadOnly(True)
        self.problems.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.problems.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.problems.setPlainText("\n".join(lines))
        self.problems.setAccessibleName(title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.problems, 1)
        layout.addWidget(buttons)
        self.resize(760, 420)

    def lines(self) -> list[str]:
        return self.problems.toPlainText().splitlines()
