"""The draft's products and segments as a table model: one row per JSON object, kept as typed.

Each row is the object the show file holds (a product or a segment), so fields the editor has
no column for (a product's own currency, a field of a newer format) are written back untouched.
A cell shows its field as text and stores what was typed as the JSON value it stands for: "12,5"
stays text for the reader to name instead of the editor guessing. Problems found by the check
are attached to cells and shown on them (colour, icon, tooltip).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QIcon
from PySide6.QtWidgets import QApplication, QStyle

from anchordesk.ui.editor.draft import Finding, cell_text, json_copy, number_or_text
from anchordesk.ui.words import plain_tooltip

ERROR_COLOUR = QColor("#ffcdd2")
WARNING_COLOUR = QColor("#ffe0b2")
ERROR_BRUSH = QBrush(ERROR_COLOUR)
WARNING_BRUSH = QBrush(WARNING_COLOUR)
FINDINGS_ROLE = Qt.ItemDataRole.UserRole + 10
PREVIEW_CHARS = 60

AnyIndex = QModelIndex | QPersistentModelIndex


class Kind(enum.Enum):
    TEXT = "text"  # kept as typed
    KEY = "key"  # stripped; empty is null when `empty_is_null`
    NUMBER = "number"  # a JSON number when it reads as one, else the text (named by the reader)
    LIST = "list"  # a list of lines, edited beside the table, shown joined
    LONG_TEXT = "long-text"  # a script, edited beside the table, shown as its first line


@dataclass(frozen=True)
class Column:
    """One column: the field it edits (``("deal", "price")`` for a nested one) and how."""

    key: tuple[str, ...]
    kind: Kind = Kind.TEXT
    empty_is_null: bool = False

    @property
    def editable_in_cell(self) -> bool:
        return self.kind not in (Kind.LIST, Kind.LONG_TEXT)


class DraftTableModel(QAbstractTableModel):
    """Rows of JSON objects under ``columns``; ``changed`` is emitted after every edit."""

    def __init__(self, columns: list[Column], on_changed: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.columns = columns
        self._rows: list[dict[str, Any]] = []
        self._headers = ["/".join(column.key) for column in columns]
        self._findings: dict[tuple[int, int], list[Finding]] = {}
        self._on_changed = on_changed

    # -- the rows as data ------------------------------------------------------------------------

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self._rows = [json_copy(row) if isinstance(row, dict) else {} for row in rows]
        self._findings = {}
        self.endResetModel()

    def rows(self) -> list[dict[str, Any]]:
        """The rows as the show file's JSON objects (a deep copy)."""
        return [json_copy(row) for row in self._rows]

    def row(self, row: int) -> dict[str, Any]:
        return self._rows[row]

    def value(self, row: int, column: int) -> Any:
        data: Any = self._rows[row]
        for part in self.columns[column].key:
            data = data.get(part) if isinstance(data, dict) else None
        return data

    def set_value(self, row: int, column: int, value: Any) -> None:
        """Store ``value`` (already a JSON value) in the row's field; None removes an optional
        number (an absent price is named by the reader as missing, a null as wrong)."""
        spec = self.columns[column]
        target = self._rows[row]
        for part in spec.key[:-1]:
            inner = target.get(part)
            if not isinstance(inner, dict):
                inner = {}
                target[part] = inner
            target = inner
        last = spec.key[-1]
        if value is None and spec.kind is Kind.NUMBER:
            target.pop(last, None)
        else:
            target[last] = value
        if len(spec.key) > 1 and not target:
            self._rows[row].pop(spec.key[0], None)  # a deal with no field left is no deal
        first, end = self.index(row, 0), self.index(row, self.columnCount() - 1)
        self.dataChanged.emit(first, end)
        if self._on_changed is not None:
            self._on_changed()

    def insert(self, row: int, data: dict[str, Any]) -> int:
        row = max(0, min(row, len(self._rows)))
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, json_copy(data))
        self.endInsertRows()
        if self._on_changed is not None:
            self._on_changed()
        return row

    def remove(self, row: int) -> None:
        if not 0 <= row < len(self._rows):
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()
        if self._on_changed is not None:
            self._on_changed()

    def move(self, row: int, step: int) -> int:
        """Move a row up (-1) or down (+1); returns where it is now."""
        target = row + step
        if not 0 <= row < len(self._rows) or not 0 <= target < len(self._rows):
            return row
        # Qt's destination is the row the moved one goes before.
        destination = target + 1 if step > 0 else target
        self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), destination)
        self._rows.insert(target, self._rows.pop(row))
        self.endMoveRows()
        if self._on_changed is not None:
            self._on_changed()
        return target

    # -- problems --------------------------------------------------------------------------------

    def set_findings(self, findings: dict[tuple[int, int], list[Finding]]) -> None:
        self._findings = findings
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, self.columnCount() - 1)
            )

    def findings_of(self, row: int, column: int | None = None) -> list[Finding]:
        if column is not None:
            return list(self._findings.get((row, column), []))
        return [
            finding
            for column_index in range(self.columnCount())
            for finding in self._findings.get((row, column_index), [])
        ]

    # -- QAbstractTableModel ---------------------------------------------------------------------

    def set_headers(self, headers: list[str]) -> None:
        self._headers = headers
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.columnCount() - 1)

    def header(self, column: int) -> str:
        return self._headers[column]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._headers):
            return self._headers[section]
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.columns[index.column()].editable_in_cell:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = index.row(), index.column()
        spec = self.columns[column]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            value = self.value(row, column)
            if spec.kind is Kind.LIST:
                items = value if isinstance(value, list) else []
                return " · ".join(cell_text(item) for item in items)
            if spec.kind is Kind.LONG_TEXT:
                return _preview(cell_text(value))
            return cell_text(value)
        findings = self._findings.get((row, column))
        if not findings:
            return None
        is_error = any(finding.is_error for finding in findings)
        if role == Qt.ItemDataRole.BackgroundRole:
            return ERROR_BRUSH if is_error else WARNING_BRUSH
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor("black"))  # readable on the light marks in a dark theme too
        if role == Qt.ItemDataRole.ToolTipRole:
            # A problem quotes the cell ("'<b>Serum</b>' …"): Qt would guess rich text from the
            # tag and render it.
            return plain_tooltip("\n".join(finding.message for finding in findings))
        if role == Qt.ItemDataRole.DecorationRole:
            style = QApplication.style()
            icon = (
                QStyle.StandardPixmap.SP_MessageBoxCritical
                if is_error
                else QStyle.StandardPixmap.SP_MessageBoxWarning
            )
            return QIcon(style.standardIcon(icon)) if style is not None else None
        if role == FINDINGS_ROLE:
            return findings
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        spec = self.columns[index.column()]
        if not spec.editable_in_cell:
            return False
        text = "" if value is None else str(value)
        stored: Any
        if spec.kind is Kind.NUMBER:
            stored = number_or_text(text)
        elif spec.kind is Kind.KEY:
            stored = text.strip() or (None if spec.empty_is_null else "")
        else:
            stored = text
        if stored == self.value(index.row(), index.column()):
            return False
        self.set_value(index.row(), index.column(), stored)
        return True


def _preview(script: str) -> str:
    first = script.strip().splitlines()[0] if script.strip() else ""
    return first if len(first) <= PREVIEW_CHARS else first[: PREVIEW_CHARS - 1] + "…"
