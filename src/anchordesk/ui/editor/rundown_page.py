"""The editor's run-sheet page: segments with their product and flash deal, and the selected
segment's teleprompter script and crew notes beside the table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSignalBlocker,
    Qt,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from anchordesk.ui.editor.draft import cell_text, number_or_text
from anchordesk.ui.editor.model import Column, Kind
from anchordesk.ui.editor.products_page import lines_of
from anchordesk.ui.editor.table_page import TablePage, message_label, show_messages

R_TITLE, R_SKU, R_SECONDS, R_DEAL_PRICE, R_DEAL_SECONDS, R_DEAL_STOCK, R_SCRIPT = range(7)
SEGMENT_COLUMNS = [
    Column(("title",)),
    Column(("sku",), Kind.KEY, empty_is_null=True),
    Column(("seconds",), Kind.NUMBER),
    Column(("deal", "price"), Kind.NUMBER),
    Column(("deal", "seconds"), Kind.NUMBER),
    Column(("deal", "stock"), Kind.NUMBER),
    Column(("script",), Kind.LONG_TEXT),
]
FIELD_COLUMNS = {"title": R_TITLE, "sku": R_SKU, "seconds": R_SECONDS, "script": R_SCRIPT}
DEAL_COLUMNS = {"price": R_DEAL_PRICE, "seconds": R_DEAL_SECONDS, "stock": R_DEAL_STOCK}
AnyIndex = QModelIndex | QPersistentModelIndex


class _SkuDelegate(QStyledItemDelegate):
    """The product column: a combo of the show's products (or none); a typed sku is kept."""

    def __init__(self, choices: Callable[[], list[tuple[str, str]]], parent: QWidget) -> None:
        super().__init__(parent)
        self._choices = choices

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> QWidget:
        combo = QComboBox(parent)
        combo.setEditable(True)
        combo.addItem("")
        for sku, title in self._choices():
            combo.addItem(f"{sku} — {title}" if title else sku, sku)
        return combo

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        value = index.data() or ""
        position = editor.findData(value)
        if position >= 0:
            editor.setCurrentIndex(position)
        else:
            editor.setEditText(value)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        data = editor.currentData()
        text = editor.currentText()
        if data is None or editor.itemText(editor.currentIndex()) != text:
            data = text.split(" — ")[0].strip()
        model.setData(index, data)


class RundownPage(TablePage):
    """The run sheet in a table; the selected segment's script and notes beside it."""

    def __init__(
        self, product_choices: Callable[[], list[tuple[str, str]]], parent: QWidget | None = None
    ) -> None:
        super().__init__(SEGMENT_COLUMNS, "rundown-table", parent)
        self.table.setItemDelegateForColumn(R_SKU, _SkuDelegate(product_choices, self))
        header = self.table.horizontalHeader()
        # Numbers take what they need; the segment's title and script share the rest.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(R_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(R_SCRIPT, QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton(self)
        self.add_button.setObjectName("add-segment")
        self.add_button.clicked.connect(lambda: self.add())
        self.remove_button = QPushButton(self)
        self.remove_button.clicked.connect(lambda: self.model.remove(self.current_row()))
        self.up_button = QPushButton(self)
        self.up_button.setObjectName("segment-up")
        self.up_button.clicked.connect(lambda: self.move_segment(-1))
        self.down_button = QPushButton(self)
        self.down_button.setObjectName("segment-down")
        self.down_button.clicked.connect(lambda: self.move_segment(1))
        self.total_label = QLabel(self)
        self.total_label.setTextFormat(Qt.TextFormat.PlainText)
        self.script_label = QLabel(self)
        self.script_edit = QPlainTextEdit(self)
        self.script_edit.setObjectName("segment-script")
        self.script_edit.setTabChangesFocus(True)
        self.script_edit.textChanged.connect(self._script_edited)
        self.script_message = message_label(self, "script-message")
        self.notes_label = QLabel(self)
        self.notes_edit = QPlainTextEdit(self)
        self.notes_edit.setObjectName("segment-notes")
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setMaximumHeight(80)
        self.notes_edit.textChanged.connect(self._notes_edited)
        self.notes_message = message_label(self, "notes-message")
        self.script_label.setBuddy(self.script_edit)
        self.notes_label.setBuddy(self.notes_edit)

        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.total_label)
        side = QVBoxLayout()
        side.addWidget(self.script_label)
        side.addWidget(self.script_edit, 1)
        side.addWidget(self.script_message)
        side.addWidget(self.notes_label)
        side.addWidget(self.notes_edit)
        side.addWidget(self.notes_message)
        main = QVBoxLayout()
        main.addWidget(self.list_message)
        main.addWidget(self.table, 1)
        main.addWidget(self.row_message)
        main.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addLayout(main, 3)
        layout.addLayout(side, 2)
        self.row_changed.connect(self._row_changed)
        self.edited.connect(self._update_total)
        self.model.modelReset.connect(self._update_total)
        self._row_changed(-1)
        self.retranslate()

    def add(self, segment: dict[str, Any] | None = None) -> int:
        row = self.model.insert(
            self.model.rowCount(),
            segment or {"title": "", "sku": None, "seconds": 60, "script": ""},
        )
        self.go_to(row, R_TITLE)
        return row

    def move_segment(self, step: int) -> None:
        """Move the selected segment up (-1) or down (+1) the run sheet."""
        row = self.current_row()
        if row < 0:
            return
        column = max(0, self.table.currentIndex().column())
        self.go_to(self.model.move(row, step), column)

    def refresh_row_message(self) -> None:
        row = self.current_row()
        super().refresh_row_message()
        script = [f for f in self.model.findings_of(row, R_SCRIPT) if "notes" not in f.path]
        notes = [f for f in self.model.findings_of(row, R_SCRIPT) if "notes" in f.path]
        show_messages(self.script_message, [(f.message, f.is_error) for f in script])
        show_messages(self.notes_message, [(f.message, f.is_error) for f in notes])

    def row_label(self, row: int) -> str:
        return self.tr("Segment %1").replace("%1", str(row + 1))

    def _row_changed(self, row: int) -> None:
        has_row = row >= 0
        for widget in (
            self.script_edit,
            self.notes_edit,
            self.remove_button,
            self.up_button,
            self.down_button,
        ):
            widget.setEnabled(has_row)
        segment = self.model.row(row) if has_row else {}
        with QSignalBlocker(self.script_edit), QSignalBlocker(self.notes_edit):
            self.script_edit.setPlainText(cell_text(segment.get("script")))
            self.notes_edit.setPlainText(cell_text(segment.get("notes")))

    def _script_edited(self) -> None:
        row = self.current_row()
        if row >= 0:
            self.model.set_value(row, R_SCRIPT, self.script_edit.toPlainText())

    def _notes_edited(self) -> None:
        row = self.current_row()
        if row < 0:
            return
        notes = self.notes_edit.toPlainText()
        segment = self.model.row(row)
        if notes:
            segment["notes"] = notes
        else:
            segment.pop("notes", None)
        self.edited.emit()

    def _update_total(self) -> None:
        total_s = 0
        for row in range(self.model.rowCount()):
            value = number_or_text(cell_text(self.model.value(row, R_SECONDS)))
            if isinstance(value, int | float):
                total_s += int(value)
        self.total_label.setText(
            self.tr("Planned: %1").replace("%1", f"{total_s // 60}:{total_s % 60:02d}")
        )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.model.set_headers(
            [
                self.tr("Segment"),
                self.tr("Product"),
                self.tr("Seconds"),
                self.tr("Deal price"),
                self.tr("Deal seconds"),
                self.tr("Deal stock"),
                self.tr("Script"),
            ]
        )
        self.table.setAccessibleName(self.tr("Run sheet"))
        self.add_button.setText(self.tr("&Add segment"))
        self.remove_button.setText(self.tr("&Remove segment"))
        self.up_button.setText(self.tr("Move &up"))
        self.down_button.setText(self.tr("Move &down"))
        self.script_label.setText(self.tr("Teleprompter &script:"))
        self.notes_label.setText(self.tr("Crew &notes (not on air):"))
        self._update_total()
        self.refresh_row_message()


__all__ = ["DEAL_COLUMNS", "FIELD_COLUMNS", "RundownPage", "lines_of"]
