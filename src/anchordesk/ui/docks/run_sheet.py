"""Run sheet dock: segments with planned and elapsed time, current one highlighted.

Signals: ``next_requested()``, ``previous_requested()``, ``jump_requested(int)``.
"""

from __future__ import annotations

from itertools import compress
from operator import attrgetter, is_not

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from anchordesk.show.timing import format_duration, stopwatch_text
from anchordesk.ui.state import SegmentRow, ShowState

OVER_RUN = QColor("#e53935")
CURRENT_BACKGROUND = QColor("#fff3c4")


class RunSheetPanel(QWidget):
    next_requested = Signal()
    previous_requested = Signal()
    jump_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("run_sheet")
        self._model = QStandardItemModel(0, 4, self)
        self._table = QTableView(self)
        self._table.setTabKeyNavigation(False)  # Tab leaves; arrows move (R13ui F5)
        self._table.setObjectName("run_sheet_table")
        self._table.setModel(self._model)
        self._table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.verticalHeader().hide()
        self._table.doubleClicked.connect(self._jump_to_index)
        header = self._table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self._previous = QPushButton(self)
        self._next = QPushButton(self)
        self._jump = QPushButton(self)
        self._previous.clicked.connect(self.previous_requested)
        self._next.clicked.connect(self.next_requested)
        self._jump.clicked.connect(self._jump_to_selection)
        buttons = QHBoxLayout()
        for button in (self._previous, self._next, self._jump):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._table)
        layout.addLayout(buttons)
        self._rows: tuple[SegmentRow, ...] = ()
        self._drawn: tuple[SegmentRow, ...] = ()  # the rows as the table shows them
        self.retranslate()

    def retranslate(self) -> None:
        self._model.setHorizontalHeaderLabels(
            ["#", self.tr("Segment"), self.tr("Plan"), self.tr("Elapsed")]
        )
        self._previous.setText(self.tr("◀ Previous"))
        self._next.setText(self.tr("Next ▶"))
        self._jump.setText(self.tr("Jump to selected"))
        self._previous.setAccessibleName(self.tr("Previous segment"))
        self._next.setAccessibleName(self.tr("Next segment"))
        self._jump.setAccessibleName(self.tr("Jump to the selected segment"))
        self._table.setAccessibleName(self.tr("Run sheet"))
        self._drawn = ()  # the rows written again in the new language

    def table(self) -> QTableView:
        return self._table

    def update_state(self, state: ShowState) -> None:
        if len(state.segments) != self._model.rowCount():
            self._model.setRowCount(len(state.segments))
            self._drawn = ()
        # Only the rows that changed (the running segment's clock, the one done, the next):
        # a show of 20,000 segments wrote every row's four cells at every refresh of the
        # state, several a second, and the window froze a second or more at each.
        drawn = self._drawn if len(self._drawn) == len(state.segments) else ()
        segments = state.segments
        if not drawn:
            for row in segments:
                self._update_row(row)
        else:  # the rows that are not the same objects (found in C), then compared
            for position in compress(range(len(segments)), map(is_not, segments, drawn)):
                if segments[position] != drawn[position]:
                    self._update_row(segments[position])
        self._drawn = segments
        if state.segments and self._rows and self._current(self._rows) != state.current_index:
            self._table.scrollTo(self._model.index(state.current_index, 0))
        self._rows = state.segments

    @staticmethod
    def _current(rows: tuple[SegmentRow, ...]) -> int:
        place = next(compress(range(len(rows)), map(attrgetter("is_current"), rows)), None)
        return -1 if place is None else rows[place].index

    def _update_row(self, row: SegmentRow) -> None:
        texts = [
            str(row.index + 1),
            row.title,
            format_duration(row.planned_s),
            # The running segment's clock as the phone counts it; a done one's time as the
            # report's timing table writes it.
            stopwatch_text(row.elapsed_s)
            if row.is_current
            else format_duration(row.elapsed_s)
            if row.is_done
            else "",
        ]
        font = QFont()
        font.setBold(row.is_current)
        for column, text in enumerate(texts):
            item = self._model.item(row.index, column)
            if item is None:
                item = QStandardItem()
                item.setEditable(False)
                self._model.setItem(row.index, column, item)
            if item.text() != text:
                item.setText(text)  # QStandardItem text is plain text: titles are never markup
            item.setFont(font)
            item.setBackground(QBrush(CURRENT_BACKGROUND) if row.is_current else QBrush())
            if row.is_current:
                item.setForeground(QBrush(QColor("#000")))
            if column == 3 and row.over_run and (row.is_current or row.is_done):
                item.setForeground(QBrush(OVER_RUN))
            elif column == 3 and not row.is_current:
                item.setForeground(QBrush())

    def current_row_text(self) -> str:
        index = self._current(self._rows)
        item = self._model.item(index, 1) if index >= 0 else None
        return item.text() if item else ""

    def elapsed_colour(self, index: int) -> QColor:
        item = self._model.item(index, 3)
        return item.foreground().color() if item else QColor()

    def _jump_to_selection(self) -> None:
        selected = self._table.selectionModel().selectedRows()
        if selected:
            self.jump_requested.emit(selected[0].row())

    def _jump_to_index(self, index: QModelIndex) -> None:
        self.jump_requested.emit(index.row())
