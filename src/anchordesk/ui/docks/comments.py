"""Comments dock: the live list with search, filters, question highlight, banned-word marks,
pin/unpin and hide.

Comments arrive in batches (the controller flushes a few times a second), are appended with one
``beginInsertRows`` per batch and the oldest are dropped past ``capacity`` rows, so 500
comments a second cost the Qt thread a few short slices instead of thousands of tiny ones.
The model returns comment text only as ``DisplayRole`` strings, which views draw as plain text:
a comment ``<b>x</b>`` shows exactly as typed.

Signals: ``pin_requested(object CommentRow)``, ``unpin_requested()``,
``hide_requested(object CommentRow)``.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from anchordesk.ui.docks.table_model import ModelIndex, RowTableModel
from anchordesk.ui.state import CommentRow

QUESTION_BACKGROUND = QColor("#e3f2fd")
FLAGGED_FOREGROUND = QColor("#c62828")


class CommentModel(RowTableModel):
    TIME, AUTHOR, TEXT = range(3)
    ROW_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, capacity: int = 5000, parent: QWidget | None = None) -> None:
        super().__init__(3, parent)
        self._rows: list[CommentRow] = []
        self._hidden: set[str] = set()
        self.capacity = capacity

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.TIME:
                return time.strftime("%H:%M:%S", time.localtime(row.at_s))
            if column == self.AUTHOR:
                # A rehearsal's audience is simulated: said so on every row it wrote.
                return f"🤖 {row.author}" if row.simulated else row.author
            marks = ("⚠ " if row.flagged else "") + ("？ " if row.is_question else "")
            return marks + row.text
        if role == Qt.ItemDataRole.ToolTipRole:
            # Qt guesses whether a tooltip is rich text from a tag in its first line; a
            # stranger's "<a href…>" would be rendered. Escaped inside <qt>, it shows as typed.
            text = f"{row.author}: {row.text}"
            if row.flagged:
                text += "\n⚠ " + ", ".join(row.hits)
            return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"
        if role == Qt.ItemDataRole.BackgroundRole and row.is_question:
            return QBrush(QUESTION_BACKGROUND)
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.flagged:
                return QBrush(FLAGGED_FOREGROUND)
            if row.is_question:
                return QBrush(QColor("#000"))
        if role == self.ROW_ROLE:
            return row
        return None

    def append(self, rows: Sequence[CommentRow]) -> None:
        rows = [r for r in rows if r.key not in self._hidden]
        if not rows:
            return
        if len(rows) > self.capacity:
            rows = rows[-self.capacity :]
        overflow = len(self._rows) + len(rows) - self.capacity
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self._rows[:overflow]
            self.endRemoveRows()
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def hide(self, key: str) -> None:
        self._hidden.add(key)
        for position, row in enumerate(self._rows):
            if row.key == key:
                self.beginRemoveRows(QModelIndex(), position, position)
                del self._rows[position]
                self.endRemoveRows()
                return

    def row(self, position: int) -> CommentRow:
        return self._rows[position]


class CommentFilter(QSortFilterProxyModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.questions_only = False
        self.flagged_only = False
        self.needle = ""

    def set_filters(self, needle: str, questions_only: bool, flagged_only: bool) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+: the old invalidateFilter is deprecated
            self.beginFilterChange()
        self.needle = needle.casefold()
        self.questions_only = questions_only
        self.flagged_only = flagged_only
        if hasattr(self, "endFilterChange"):
            self.endFilterChange()
        else:
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, CommentModel)
        row = model.row(source_row)
        if self.questions_only and not row.is_question:
            return False
        if self.flagged_only and not row.flagged:
            return False
        if self.needle:
            return self.needle in row.text.casefold() or self.needle in row.author.casefold()
        return True


class CommentPanel(QWidget):
    pin_requested = Signal(object)
    unpin_requested = Signal()
    hide_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None, capacity: int = 5000) -> None:
        super().__init__(parent)
        self.setObjectName("comments")
        self.model = CommentModel(capacity, self)
        self.proxy = CommentFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        self.questions_only = QCheckBox(self)
        self.flagged_only = QCheckBox(self)
        for control in (self.questions_only, self.flagged_only):
            control.toggled.connect(self._refilter)
        self.search.textChanged.connect(self._refilter)
        self.view = QTableView(self)
        self.view.setObjectName("comments_table")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        # Fixed row heights: measuring thousands of rows would stall the Qt thread.
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(CommentModel.TIME, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(
            CommentModel.TIME, self.fontMetrics().horizontalAdvance("00:00:00") + 18
        )
        header.setSectionResizeMode(CommentModel.AUTHOR, QHeaderView.ResizeMode.Interactive)
        # Names are short; the comment itself gets the width (its full text is the tooltip).
        header.resizeSection(CommentModel.AUTHOR, self.fontMetrics().horizontalAdvance("M") * 7)
        header.setSectionResizeMode(CommentModel.TEXT, QHeaderView.ResizeMode.Stretch)
        self.view.doubleClicked.connect(lambda _index: self.pin_selected())
        self.pin = QPushButton(self)
        self.unpin = QPushButton(self)
        self.hide_button = QPushButton(self)
        self.pin.clicked.connect(self.pin_selected)
        self.unpin.clicked.connect(self.unpin_requested)
        self.hide_button.clicked.connect(self.hide_selected)
        self.pinned_label = QLabel(self)
        self.pinned_label.setTextFormat(Qt.TextFormat.PlainText)
        self.pinned_label.setWordWrap(True)
        self.count_label = QLabel(self)
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.questions_only)
        filters.addWidget(self.flagged_only)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pin)
        buttons.addWidget(self.unpin)
        buttons.addWidget(self.hide_button)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.pinned_label)
        layout.addLayout(buttons)
        self._received = 0
        self._pinned: CommentRow | None = None
        self.retranslate()

    def retranslate(self) -> None:
        self.model.set_headers([self.tr("Time"), self.tr("Name"), self.tr("Comment")])
        self.search.setPlaceholderText(self.tr("Search comments"))
        self.search.setAccessibleName(self.tr("Search comments"))
        self.questions_only.setText(self.tr("Questions"))
        self.questions_only.setAccessibleName(self.tr("Show questions only"))
        self.flagged_only.setText(self.tr("Flagged"))
        self.flagged_only.setAccessibleName(self.tr("Show flagged comments only"))
        self.view.setAccessibleName(self.tr("Comments"))
        self.pin.setText(self.tr("Pin"))
        self.pin.setAccessibleName(self.tr("Pin the selected comment to the picture"))
        self.unpin.setText(self.tr("Unpin"))
        self.unpin.setAccessibleName(self.tr("Take the pinned comment off the picture"))
        self.hide_button.setText(self.tr("Hide"))
        self.hide_button.setAccessibleName(self.tr("Hide the selected comment"))
        self._render_pinned()
        self._render_count()

    def add_comments(self, rows: Sequence[CommentRow]) -> None:
        if not rows:
            return
        bar = self.view.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.model.append(rows)
        self._received += len(rows)
        self._render_count()
        if at_bottom:
            self.view.scrollToBottom()

    def _render_count(self) -> None:
        self.count_label.setText(self.tr("%1 received").replace("%1", str(self._received)))

    def set_pinned(self, row: CommentRow | None) -> None:
        if row != self._pinned:
            self._pinned = row
            self._render_pinned()

    def _render_pinned(self) -> None:
        if self._pinned is None:
            self.pinned_label.setText(self.tr("Nothing pinned"))
        else:
            self.pinned_label.setText(
                self.tr("Pinned: %1: %2")
                .replace("%1", self._pinned.author)
                .replace("%2", self._pinned.text)
            )
        self.unpin.setEnabled(self._pinned is not None)

    def selected(self) -> CommentRow | None:
        indexes = self.view.selectionModel().selectedRows()
        if not indexes:
            return None
        row = self.proxy.data(indexes[0], CommentModel.ROW_ROLE)
        return row if isinstance(row, CommentRow) else None

    def pin_selected(self) -> None:
        row = self.selected()
        if row is not None:
            self.pin_requested.emit(row)

    def hide_selected(self) -> None:
        row = self.selected()
        if row is not None:
            self.model.hide(row.key)
            self.hide_requested.emit(row)

    def _refilter(self) -> None:
        self.proxy.set_filters(
            self.search.text(), self.questions_only.isChecked(), self.flagged_only.isChecked()
        )
