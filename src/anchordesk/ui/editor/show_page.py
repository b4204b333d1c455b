"""The editor's "Show" page: title, currency, language, theme, banned words and ticker, each
with its problems right under it.

Signals:
    edited(): the user changed a field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSignalBlocker, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.show.model import Theme
from anchordesk.ui import file_dialogs
from anchordesk.ui.editor.draft import (
    Finding,
    cell_text,
    json_copy,
    relative_to_show,
    split_path,
)
from anchordesk.ui.editor.products_page import lines_of
from anchordesk.ui.editor.table_page import message_label, show_messages
from anchordesk.ui.words import say

DEFAULT_ACCENT = Theme().accent
# Where a problem of the show's own fields is shown: the key of its message label.
FIELD_KEYS = (
    "$",
    "format",
    "title",
    "currency",
    "language",
    "theme.accent",
    "theme.look",
    "theme.logo",
    "banned_words",
    "ticker",
)


class ShowPage(QWidget):
    """The show's own fields."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.base_dir: Path | None = None
        self._theme: dict[str, Any] | None = None  # the file's theme as read (None: it had none)
        self._loading = False
        self.title_edit = QLineEdit(self)
        self.title_edit.setObjectName("show-title")
        self.currency_combo = QComboBox(self)
        self.currency_combo.setEditable(True)
        self.currency_combo.addItems(["CNY", "USD", "JPY", "EUR", "HKD", "TWD", "KRW", "GBP"])
        self.language_combo = QComboBox(self)
        self.language_combo.setEditable(True)
        self.language_combo.addItems(["zh_CN", "en", "ja"])
        self.accent_edit = QLineEdit(self)
        self.accent_edit.setObjectName("theme-accent")
        self.accent_edit.setPlaceholderText(DEFAULT_ACCENT)
        self.accent_button = QPushButton(self)
        self.accent_button.clicked.connect(self._pick_accent)
        self.look_combo = QComboBox(self)
        self.look_combo.addItem("", "dark")
        self.look_combo.addItem("", "light")
        self.logo_edit = QLineEdit(self)
        self.logo_button = QPushButton(self)
        self.logo_button.clicked.connect(self._pick_logo)
        self.banned_edit = QPlainTextEdit(self)
        self.banned_edit.setObjectName("banned-words")
        self.ticker_edit = QPlainTextEdit(self)
        for edit in (self.banned_edit, self.ticker_edit):
            edit.setMaximumHeight(90)
            edit.setTabChangesFocus(True)
        self.messages: dict[str, QLabel] = {
            key: message_label(self, f"message-{key}") for key in FIELD_KEYS
        }
        self.labels = [QLabel(self) for _ in range(8)]
        # The fields keep their height and the free space stays below them (a message label
        # would otherwise take it all); a long list of messages scrolls instead of squeezing.
        fields = QWidget(self)
        form = QFormLayout()
        accent_row = QHBoxLayout()
        accent_row.addWidget(self.accent_edit, 1)
        accent_row.addWidget(self.accent_button)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo_edit, 1)
        logo_row.addWidget(self.logo_button)
        form.addRow(self.messages["$"])
        form.addRow(self.messages["format"])
        rows: list[tuple[QWidget | QHBoxLayout, str]] = [
            (self.title_edit, "title"),
            (self.currency_combo, "currency"),
            (self.language_combo, "language"),
            (accent_row, "theme.accent"),
            (self.look_combo, "theme.look"),
            (logo_row, "theme.logo"),
            (self.banned_edit, "banned_words"),
            (self.ticker_edit, "ticker"),
        ]
        for label, (field_widget, key) in zip(self.labels, rows, strict=True):
            form.addRow(label, field_widget)
            form.addRow("", self.messages[key])
            if isinstance(field_widget, QWidget):
                label.setBuddy(field_widget)
        column = QVBoxLayout(fields)
        column.addLayout(form)
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(fields)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.labels[3].setBuddy(self.accent_edit)
        self.labels[5].setBuddy(self.logo_edit)
        self.fields: dict[str, QWidget] = {
            "title": self.title_edit,
            "currency": self.currency_combo,
            "language": self.language_combo,
            "theme": self.accent_edit,
            "banned_words": self.banned_edit,
            "ticker": self.ticker_edit,
        }
        for line_edit in (self.title_edit, self.accent_edit, self.logo_edit):
            line_edit.textEdited.connect(self._edited)
        for combo in (self.currency_combo, self.language_combo):
            combo.editTextChanged.connect(self._edited)
        self.look_combo.currentIndexChanged.connect(self._edited)
        for text_edit in (self.banned_edit, self.ticker_edit):
            text_edit.textChanged.connect(self._edited)
        self.retranslate()

    def load(self, data: dict[str, Any]) -> None:
        """Show a show's fields (tolerant: values of a wrong type are shown as text)."""
        self._loading = True
        try:
            raw_theme = data.get("theme")
            self._theme = json_copy(raw_theme) if isinstance(raw_theme, dict) else None
            theme = self._theme or {}
            blockers = [
                QSignalBlocker(widget)
                for widget in (self.currency_combo, self.language_combo, self.look_combo)
            ]
            self.title_edit.setText(cell_text(data.get("title")))
            self.currency_combo.setEditText(cell_text(data.get("currency")))
            self.language_combo.setEditText(cell_text(data.get("language")))
            self.accent_edit.setText(cell_text(theme.get("accent")))
            self.look_combo.setCurrentIndex(max(self.look_combo.findData(theme.get("look")), 0))
            self.logo_edit.setText(cell_text(theme.get("logo")))
            self.banned_edit.setPlainText(
                "\n".join(cell_text(word) for word in _list(data.get("banned_words")))
            )
            self.ticker_edit.setPlainText(
                "\n".join(cell_text(line) for line in _list(data.get("ticker")))
            )
            del blockers
        finally:
            self._loading = False

    def values(self) -> dict[str, Any]:
        """The show's own fields as the file holds them.

        A theme field left empty is left out, so the reader's default applies (a show without
        a theme used to come back with ``accent: ""``, "not a colour").
        """
        theme = dict(self._theme or {})
        for key, text in (
            ("accent", self.accent_edit.text().strip()),
            ("logo", self.logo_edit.text().strip()),
        ):
            if text:
                theme[key] = text
            elif key == "logo" and "logo" in theme:
                theme["logo"] = None
            else:
                theme.pop(key, None)
        look = self.look_combo.currentData()
        if look != "dark" or "look" in theme:
            theme["look"] = look
        data: dict[str, Any] = {
            "title": self.title_edit.text(),
            "currency": self.currency_combo.currentText().strip(),
            "language": self.language_combo.currentText().strip(),
            "banned_words": lines_of(self.banned_edit.toPlainText()),
            "ticker": lines_of(self.ticker_edit.toPlainText()),
        }
        if theme or self._theme is not None:
            data["theme"] = theme
        return data

    def set_findings(self, findings: list[Finding]) -> None:
        """Put each problem under its field (the file's own problems at the top)."""
        by_key: dict[str, list[tuple[str, bool]]] = {key: [] for key in FIELD_KEYS}
        for finding in findings:
            by_key[field_key(finding.path)].append((_located(finding), finding.is_error))
        for key, lines in by_key.items():
            show_messages(self.messages[key], lines)

    def focus_field(self, path: str) -> None:
        parts = split_path(path)
        widget = self.fields.get(str(parts[0]) if parts else "", self.title_edit)
        if parts[:2] == ["theme", "logo"]:
            widget = self.logo_edit
        elif parts[:2] == ["theme", "look"]:
            widget = self.look_combo
        widget.setFocus()

    def _edited(self, *_args: object) -> None:
        if not self._loading:
            self.edited.emit()

    def _pick_accent(self) -> None:
        colour = QColorDialog.getColor(QColor(self.accent_edit.text() or DEFAULT_ACCENT), self)
        if colour.isValid():
            self.accent_edit.setText(colour.name())
            self._edited()

    def _pick_logo(self) -> None:
        path = file_dialogs.get_open_file_name(
            self,
            self.tr("Logo"),
            str(self.base_dir or Path.home()),
            self.tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"),
        )
        if path:
            self.logo_edit.setText(relative_to_show(Path(path), self.base_dir))
            self._edited()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        for label, text in zip(
            self.labels,
            (
                self.tr("&Title:"),
                self.tr("&Currency:"),
                self.tr("&Language:"),
                self.tr("&Accent colour:"),
                self.tr("Loo&k:"),
                self.tr("L&ogo:"),
                self.tr("&Banned words (one per line):"),
                self.tr("T&icker announcements (one per line):"),
            ),
            strict=True,
        ):
            label.setText(text)
        self.accent_button.setText(self.tr("C&hoose…"))
        self.logo_button.setText(self.tr("Choos&e…"))
        self.look_combo.setItemText(0, self.tr("Dark"))
        self.look_combo.setItemText(1, self.tr("Light"))


def field_key(path: str) -> str:
    """The key of the message label a show-level JSON path belongs under."""
    parts = [part for part in split_path(path) if isinstance(part, str)]
    if not parts:
        return "$"
    if parts[0] == "theme":
        key = ".".join(parts[:2])
        return key if key in FIELD_KEYS else "theme.accent"
    return parts[0] if parts[0] in FIELD_KEYS else "$"


def _located(finding: Finding) -> str:
    if finding.line is not None:
        return say(
            Words(
                QT_TRANSLATE_NOOP("ShowProblems", "line {line}, column {column}: {message}"),
                line=finding.line,
                column=finding.column,
                message=finding.message,
            )
        )
    return finding.message


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
