"""Comments dock: the live list with search, filters, question highlight, banned-word marks,
pin/unpin and hide.

Comments arrive in batches (the controller flushes a few times a second), are appended with one
``beginInsertRows`` per batch and the oldest are dropped past ``capacity`` rows, so 500
comments a second cost the Qt thread a few short slices instead of thousands of tiny ones.
The model returns comment text only as ``DisplayRole`` strings, which views draw as plain text:
a comment ``<b>x</b>`` shows exactly as typed.

Comments wrap onto two lines (the full text is the tooltip). The list follows new comments
while it is scrolled to the bottom; once the operator scrolls up or selects a comment it stays
where it is (the selected comment must not run away from the Pin key) and a "N new comments ↓"
button says what arrived meanwhile; pressing it (or End) follows again.

Signals: ``pin_requested(object CommentRow)``, ``unpin_requested()``,
``hide_requested(object CommentRow)``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent, QTextLayout
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core.money import format_number
from anchordesk.core.printable import BIDI_CONTROLS
from anchordesk.ui.docks.table_model import ModelIndex, RowTableModel
from anchordesk.ui.i18n import current_language
from anchordesk.ui.state import CommentRow
from anchordesk.ui.words import plain_tooltip

# Latin, Chinese, Japanese, Korean and the marks a row starts with ("？", "⚠", "✓").
_LINE_SAMPLE = "Ag中あ한？⚠✓"


def line_height_px(font: QFont) -> int:
    """One line of comment text as Qt lays it out, fallback fonts included: a CJK fallback
    (Noto Sans CJK under DejaVu Sans) is 18 px where the font's own metrics say 14, and rows
    sized from those metrics had room for one line only, so every Chinese or Japanese comment
    and every question (its "？" mark) was cut to one line with "…"."""
    layout = QTextLayout(_LINE_SAMPLE, font)
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(10_000)
    layout.endLayout()
    return max(1, round(line.height()))


QUESTION_BACKGROUND = QColor("#e3f2fd")
PINNED_LINE_CHARS = 160  # more than two lines of the panel hold, at any width it has
FLAGGED_FOREGROUND = QColor("#c62828")


class CommentModel(RowTableModel):
    TIME, AUTHOR, TEXT = range(3)
    ROW_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, capacity: int = 5000, parent: QWidget | None = None) -> None:
        super().__init__(3, parent)
        self._rows: list[CommentRow] = []
        self._hidden: set[str] = set()
        self._answered: set[str] = set()
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
            if row.key in self._answered:
                marks = "✓ " + marks
            return marks + row.text
        if role == Qt.ItemDataRole.ToolTipRole:
            # Qt guesses whether a tooltip is rich text from a tag in its first line; a
            # stranger's "<a href…>" would be rendered.
            text = f"{row.author}: {row.text}"
            if row.flagged:
                text += "\n⚠ " + ", ".join(row.hits)
            return plain_tooltip(text)
        if role == Qt.ItemDataRole.BackgroundRole and row.is_question:
            if row.key in self._answered:
                return None
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

    def mark_answered(self, key: str) -> bool:
        """Mark a question answered (shown ✓, no longer highlighted); False if not listed."""
        for position, row in enumerate(self._rows):
            if row.key == key:
                self._answered.add(key)
                first, last = self.index(position, 0), self.index(position, self.TEXT)
                self.dataChanged.emit(first, last)
                return True
        return False

    def is_answered(self, key: str) -> bool:
        return key in self._answered


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
        self.view.setTabKeyNavigation(False)  # Tab leaves; arrows move (R13ui F5)
        self.view.setObjectName("comments_table")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Two lines a comment (Qt elides the second when more would follow); the tooltip has it
        # all. Fixed row heights: measuring thousands of rows would stall the Qt thread.
        self.view.setWordWrap(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(2 * line_height_px(self.view.font()) + 8)
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
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.view.verticalScrollBar().actionTriggered.connect(self._scrolled_by_hand)
        self.new_comments = QPushButton(self.view)
        self.new_comments.setObjectName("new_comments_button")
        self.new_comments.setStyleSheet(
            "QPushButton { background: #1565c0; color: white; border-radius: 10px;"
            " padding: 3px 12px; font-weight: bold; }"
        )
        self.new_comments.clicked.connect(self.follow)
        self.new_comments.hide()
        self.following = True
        self._unseen = 0
        self.view.installEventFilter(self)
        self.pin = QPushButton(self)
        self.unpin = QPushButton(self)
        self.hide_button = QPushButton(self)
        self.pin.clicked.connect(self.pin_selected)
        self.unpin.clicked.connect(self.unpin_requested)
        self.hide_button.clicked.connect(self.hide_selected)
        self.pinned_label = QLabel(self)
        self.pinned_label.setTextFormat(Qt.TextFormat.PlainText)
        self.pinned_label.setWordWrap(True)
        # Growing text must never widen the dock (the layout jumped as comments arrived).
        self.pinned_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # At most two lines, the whole comment its tool tip: a pinned comment of 2,000 letters
        # (a feed's comment may be as long) took the whole panel at 1366x768, the comments
        # list squeezed to one row and the count written over (R13ui F8).
        self.pinned_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.pinned_label.setMaximumHeight(2 * line_height_px(self.pinned_label.font()) + 2)
        self.count_label = QLabel(self)
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.count_label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.questions_only)
        filters.addWidget(self.flagged_only)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pin)
        buttons.addWidget(self.unpin)
        buttons.addWidget(self.hide_button)
        buttons.addStretch(1)
        # The count beside the pinned line: the buttons' row stays as narrow as its buttons.
        status = QHBoxLayout()
        status.addWidget(self.pinned_label, 1)
        status.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addLayout(status)
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
        # Wide enough for 99 999 comments in this language: the dock never widens as they come.
        widest = self.tr("%1 received").replace("%1", "99999")
        self.count_label.setFixedWidth(self.count_label.fontMetrics().horizontalAdvance(widest) + 6)
        self._render_count()

    def start_session(self) -> None:
        """A new session (live, or a rehearsal again) lists only its own comments: the ended
        rehearsal's simulated questions stayed in the live list, where "pin the latest question"
        rightly found none of them and the selected ones could not be pinned."""
        self.model.clear()
        self._received = 0
        self._render_count()
        self.follow()

    def add_comments(self, rows: Sequence[CommentRow]) -> None:
        if not rows:
            return
        self.model.append(rows)
        self._received += len(rows)
        self._render_count()
        if self.following:
            self.view.scrollToBottom()
        else:
            self._unseen += len(rows)
            self._render_new_comments()

    def follow(self) -> None:
        """Back to the newest comment, and keep following the list."""
        self.following = True
        self._unseen = 0
        self.view.clearSelection()
        self.view.scrollToBottom()
        self._render_new_comments()

    def stop_following(self) -> None:
        if self.following:
            self.following = False
            self._unseen = 0
            self._render_new_comments()

    def _selection_changed(self) -> None:
        if self.view.selectionModel().hasSelection():
            self.stop_following()

    def _scrolled_by_hand(self, _action: int) -> None:
        bar = self.view.verticalScrollBar()
        # Applied after this signal: look at the position once the scroll happened.
        at_bottom = bar.sliderPosition() >= bar.maximum() - 2
        if at_bottom and not self.view.selectionModel().hasSelection():
            self.follow()
        else:
            self.stop_following()

    def _render_new_comments(self) -> None:
        button = self.new_comments
        if self.following or self._unseen == 0:
            button.hide()
            return
        # The count with its noun in the language's plural form ("1 new comment"): %Ln is
        # grouped as the window's language groups counts.
        button.setText(self.tr("%Ln new comment(s) ↓", "", self._unseen))
        button.setAccessibleName(self.tr("%Ln new comment(s): show the newest", "", self._unseen))
        button.adjustSize()
        self._place_new_comments()
        button.show()
        button.raise_()

    def _place_new_comments(self) -> None:
        button = self.new_comments
        view = self.view
        x = (view.width() - button.width()) // 2
        y = view.height() - button.height() - 10
        button.move(max(0, x), max(0, y))

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._place_new_comments()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # End in the list: back to the newest comment and follow (as the button does).
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_End
        ):
            self.follow()
            return True
        return super().eventFilter(watched, event)

    def mark_answered(self, key: str) -> bool:
        return self.model.mark_answered(key)

    def _render_count(self) -> None:
        self.count_label.setText(self.tr("%1 received").replace("%1", _count(self._received)))

    def set_pinned(self, row: CommentRow | None) -> None:
        if row != self._pinned:
            self._pinned = row
            self._render_pinned()

    def _render_pinned(self) -> None:
        if self._pinned is None:
            self.pinned_label.setText(self.tr("Nothing pinned"))
        else:
            line = (
                self.tr("Pinned: %1: %2")
                .replace("%1", self._pinned.author)
                .replace("%2", self._pinned.text)
            )
            self.pinned_label.setToolTip(plain_tooltip(line))
            if len(line) > PINNED_LINE_CHARS:  # two lines show no more; a cut isolate is dropped
                cut = line[:PINNED_LINE_CHARS]
                line = "".join(c for c in cut if c not in BIDI_CONTROLS) + "…"
            self.pinned_label.setText(line)
        if self._pinned is None:
            self.pinned_label.setToolTip("")
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

    def remove_comments(self, keys: Sequence[str]) -> None:
        """Comments the show hid leave the list: the operator's (here or from the phone), or
        those a platform took down (deleted, or their author banned)."""
        for key in keys:
            self.model.hide(key)

    def hide_selected(self) -> None:
        # The row leaves the list when the show has hidden it (remove_comments): a hide it
        # refuses (the session has ended) leaves the comment listed, as it is still shown.
        row = self.selected()
        if row is not None:
            self.hide_requested.emit(row)

    def _refilter(self) -> None:
        self.proxy.set_filters(
            self.search.text(), self.questions_only.isChecked(), self.flagged_only.isChecked()
        )


def _count(value: int) -> str:
    """Grouped in the window's language, as the data board writes its counts."""
    return format_number(value, current_language())
