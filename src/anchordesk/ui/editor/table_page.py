"""What the products and run-sheet pages share: a table over a draft model, the problems of the
selected row right under the table, and problems of the whole list above it.

Signals:
    edited(): the user changed the rows.
    row_changed(int): another row was selected (-1: none).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTableView, QWidget

from anchordesk.ui.editor.draft import Finding
from anchordesk.ui.editor.model import Column, DraftTableModel

ERROR_TEXT = "#c62828"
WARNING_TEXT = "#a65300"
MAX_LINES = 5


def message_label(parent: QWidget, object_name: str = "") -> QLabel:
    """A wrapped plain-text label that shows problems under a field (hidden while empty)."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if object_name:
        label.setObjectName(object_name)
    label.hide()
    return label


def show_messages(label: QLabel, lines: list[tuple[str, bool]]) -> None:
    """Put ``(text, is_error)`` lines in ``label``, red when any is an error, else amber.

    The same message twice (a word repeated in a script) is said once, errors first, and at
    most MAX_LINES: the rest is counted on a last line (F8 walks through them all), so a
    long list never pushes the field it is about off the page.
    """
    unique = list(dict.fromkeys(lines))
    unique.sort(key=lambda line: not line[1])
    shown = unique[:MAX_LINES] if len(unique) > MAX_LINES + 1 else unique
    text = "\n".join(("⛔ " if is_error else "⚠ ") + message for message, is_error in shown)
    if len(shown) < len(unique):
        more = QCoreApplication.translate("TablePage", "…and %1 more (F8 goes to each)")
        text += "\n" + more.replace("%1", str(len(unique) - len(shown)))
    label.setText(text)
    has_error = any(is_error for _text, is_error in unique)
    label.setStyleSheet(f"color: {ERROR_TEXT if has_error else WARNING_TEXT};")
    label.setVisible(bool(unique))


class TablePage(QWidget):
    """A table of rows over a :class:`DraftTableModel`."""

    edited = Signal()
    row_changed = Signal(int)

    def __init__(self, columns: list[Column], object_name: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.model = DraftTableModel(columns, self.edited.emit)
        self.table = QTableView(self)
        self.table.setObjectName(object_name)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        self.list_message = message_label(self, f"{object_name}-list-message")
        self.row_message = message_label(self, f"{object_name}-row-message")
        selection = self.table.selectionModel()
        selection.currentRowChanged.connect(self._current_row_changed)
        self.model.modelReset.connect(lambda: self._current_row_changed(QModelIndex()))
        self.model.rowsRemoved.connect(lambda *_: self.row_changed.emit(self.current_row()))

    def current_row(self) -> int:
        index = self.table.currentIndex()
        return index.row() if index.isValid() else -1

    def go_to(self, row: int, column: int) -> None:
        """Select a cell and bring it into view."""
        if not 0 <= row < self.model.rowCount():
            return
        index = self.model.index(row, max(0, column))
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.table.scrollTo(index)
        self.table.setFocus()

    def set_findings(
        self, cells: dict[tuple[int, int], list[Finding]], whole: list[Finding]
    ) -> None:
        """``cells``: findings by (row, column); ``whole``: findings about the list itself."""
        self.model.set_findings(cells)
        show_messages(self.list_message, [(f.message, f.is_error) for f in whole])
        self.refresh_row_message()

    def refresh_row_message(self) -> None:
        """The selected row's problems under the table, each with the column it is about."""
        row = self.current_row()
        lines: list[tuple[str, bool]] = []
        if row >= 0:
            for column in range(self.model.columnCount()):
                for finding in self.model.findings_of(row, column):
                    where = self.row_label(row) + ", " + self.model.header(column)
                    lines.append((f"{where}: {finding.message}", finding.is_error))
        show_messages(self.row_message, lines)

    def row_label(self, row: int) -> str:
        return str(row + 1)

    def _current_row_changed(
        self, current: QModelIndex, _previous: QModelIndex | None = None
    ) -> None:
        self.refresh_row_message()
        self.row_changed.emit(current.row() if current.isValid() else -1)
