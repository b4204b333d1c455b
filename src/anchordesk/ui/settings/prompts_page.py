"""Settings page: which prompts the data board gives the host and the operator (every rule is
on unless turned off here or in the board's Rules menu; both write ``Settings.prompts_off``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from anchordesk.show.prompts import RULES
from anchordesk.ui.prompt_rules import rule_text
from anchordesk.ui.settings.page import PageContext, SettingsPage


class PromptsPage(SettingsPage):
    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("prompts-page")
        self.intro = QLabel(self)
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.intro.setWordWrap(True)
        self.rules: dict[str, QCheckBox] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        for rule in RULES:
            box = QCheckBox(self)
            box.setObjectName(f"prompt-{rule}")
            self.rules[rule] = box
            layout.addWidget(box)
        self.note = QLabel(self)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        layout.addStretch(1)

    def title(self) -> str:
        return self.tr("Prompts")

    def fill(self) -> None:
        for rule, box in self.rules.items():
            box.setChecked(rule not in self.settings.prompts_off)

    def collect(self) -> None:
        self.settings.prompts_off = [
            rule for rule, box in self.rules.items() if not box.isChecked()
        ]

    def retranslate(self) -> None:
        self.intro.setText(self.tr("The data board prompts the host and the operator when:"))
        for rule, box in self.rules.items():
            box.setText(rule_text(rule))
        self.note.setText(
            self.tr(
                "Each situation is prompted once, on the board, over the picture and on the "
                "teleprompter, and kept in the session's report."
            )
        )
