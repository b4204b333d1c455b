"""A masked line edit for stream keys and tokens, with a button that reveals the text."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QToolButton, QWidget


class SecretLineEdit(QWidget):
    """A password-style field plus a "Show"/"Hide" toggle.

    Signals:
        edited(str): the user changed the text (not emitted for :meth:`set_loaded_text`).

    ``user_edited`` tells whether the user typed into the field, so a value arriving late from
    the keyring never overwrites what the user typed.
    """

    edited = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line_edit = QLineEdit(self)
        self.line_edit.setEchoMode(QLineEdit.EchoMode.Password)
        # No input method or autocomplete may keep the key: Qt turns those off for Password mode.
        self.reveal_button = QToolButton(self)
        self.reveal_button.setCheckable(True)
        self.reveal_button.toggled.connect(self._on_reveal)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line_edit, 1)
        layout.addWidget(self.reveal_button)
        self.user_edited = False
        self.line_edit.textEdited.connect(self._on_edited)
        self.setFocusProxy(self.line_edit)
        self._retranslate()

    def text(self) -> str:
        return self.line_edit.text()

    def set_loaded_text(self, text: str) -> None:
        """Fill the field from the keyring unless the user already typed something."""
        if not self.user_edited:
            self.line_edit.setText(text)

    def set_placeholder(self, text: str) -> None:
        self.line_edit.setPlaceholderText(text)

    def set_accessible_name(self, text: str) -> None:
        self.line_edit.setAccessibleName(text)
        self.reveal_button.setAccessibleName(self.tr("Show or hide %1").replace("%1", text))

    def is_revealed(self) -> bool:
        return self.line_edit.echoMode() == QLineEdit.EchoMode.Normal

    def _on_edited(self, text: str) -> None:
        self.user_edited = True
        self.edited.emit(text)

    def _on_reveal(self, revealed: bool) -> None:
        self.line_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if revealed else QLineEdit.EchoMode.Password
        )
        self._retranslate()

    def hideEvent(self, event: object) -> None:
        # A revealed key must not stay on screen when the page is left.
        self.reveal_button.setChecked(False)
        super().hideEvent(event)  # type: ignore[arg-type]

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self.reveal_button.setText(self.tr("Hide") if self.is_revealed() else self.tr("Show"))
        self.reveal_button.setToolTip(
            self.tr("Hide the text") if self.is_revealed() else self.tr("Show the text")
        )
