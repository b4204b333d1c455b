"""Settings page: the window's language and where secrets are kept."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from anchordesk.ui import i18n
from anchordesk.ui.settings.keyring_text import keyring_state_text
from anchordesk.ui.settings.page import PageContext, SettingsPage, select_data


class GeneralPage(SettingsPage):
    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("general-page")
        self.language_label = QLabel(self)
        self.language_combo = QComboBox(self)
        self.language_combo.setObjectName("language")
        self.language_combo.addItem("", "system")
        for code, name in i18n.LANGUAGES.items():
            self.language_combo.addItem(name, code)
        self.language_label.setBuddy(self.language_combo)
        self.keyring_label = QLabel(self)
        self.keyring_status = QLabel(self)
        self.keyring_status.setObjectName("keyring-status")
        self.keyring_status.setTextFormat(Qt.TextFormat.PlainText)
        self.keyring_status.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(self.language_label, self.language_combo)
        form.addRow(self.keyring_label, self.keyring_status)

    def title(self) -> str:
        return self.tr("General")

    def fill(self) -> None:
        select_data(self.language_combo, self.settings.language)

    def collect(self) -> None:
        self.settings.language = self.language_combo.currentData() or "system"

    def retranslate(self) -> None:
        self.language_label.setText(self.tr("&Language:"))
        self.language_combo.setItemText(0, self.tr("System language"))
        self.keyring_label.setText(self.tr("Stream keys:"))
        self.keyring_status.setText(keyring_state_text(self.context.store))
