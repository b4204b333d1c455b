"""The show's keyboard: one QAction per command, shortcuts configurable and shown in the menus.

Every action uses ``Qt.ApplicationShortcut`` so it fires wherever the focus is inside the
program (the teleprompter on a second screen included). Default keys avoid plain letters and
digits so typing in the comment search box never triggers a command; PageDown/PageUp for the
run sheet match what presentation clickers send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class HotkeySpec:
    action_id: str
    default: str
    label: Callable[[], str]  # translated lazily: the language can change after import


def _product_spec(number: int) -> HotkeySpec:
    return HotkeySpec(
        f"product_{number}",
        f"Ctrl+{number}",
        lambda: QCoreApplication.translate("Hotkeys", "Put product %1 on screen").replace(
            "%1", str(number)
        ),
    )


HOTKEYS: tuple[HotkeySpec, ...] = (
    HotkeySpec(
        "next_segment", "PgDown", lambda: QCoreApplication.translate("Hotkeys", "Next segment")
    ),
    HotkeySpec(
        "previous_segment",
        "PgUp",
        lambda: QCoreApplication.translate("Hotkeys", "Previous segment"),
    ),
    *(_product_spec(n) for n in range(1, 10)),
    HotkeySpec(
        "clear_product",
        "Ctrl+0",
        lambda: QCoreApplication.translate("Hotkeys", "Take the product off screen"),
    ),
    HotkeySpec(
        "toggle_deal",
        "Ctrl+D",
        lambda: QCoreApplication.translate("Hotkeys", "Start or stop the flash deal"),
    ),
    HotkeySpec(
        "pin_comment",
        "Ctrl+P",
        lambda: QCoreApplication.translate("Hotkeys", "Pin the selected comment"),
    ),
    HotkeySpec(
        "unpin_comment",
        "Ctrl+Shift+P",
        lambda: QCoreApplication.translate("Hotkeys", "Unpin the comment"),
    ),
    HotkeySpec(
        "take", "Ctrl+T", lambda: QCoreApplication.translate("Hotkeys", "Take the staged card")
    ),
    HotkeySpec(
        "go_live", "Ctrl+Shift+L", lambda: QCoreApplication.translate("Hotkeys", "Go live / stop")
    ),
    HotkeySpec(
        "teleprompter",
        "F11",
        lambda: QCoreApplication.translate("Hotkeys", "Show the teleprompter"),
    ),
    HotkeySpec(
        "focus_comments",
        "Ctrl+F",
        lambda: QCoreApplication.translate("Hotkeys", "Search the comments"),
    ),
)

_SETTINGS_GROUP = "hotkeys"


class Hotkeys:
    """Creates and owns the show's QActions; ``triggered`` handlers are attached by the window."""

    def __init__(self, parent: QWidget, settings: QSettings) -> None:
        self._settings = settings
        self.actions: dict[str, QAction] = {}
        for spec in HOTKEYS:
            action = QAction(spec.label(), parent)
            action.setObjectName(f"action_{spec.action_id}")
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            parent.addAction(action)
            self.actions[spec.action_id] = action
        self.apply()

    def sequence(self, action_id: str) -> QKeySequence:
        spec = next(s for s in HOTKEYS if s.action_id == action_id)
        stored = self._settings.value(f"{_SETTINGS_GROUP}/{action_id}", spec.default)
        return QKeySequence(str(stored) if stored is not None else "")

    def apply(self) -> None:
        for spec in HOTKEYS:
            action = self.actions[spec.action_id]
            action.setShortcut(self.sequence(spec.action_id))
            action.setText(spec.label())

    def save(self, sequences: dict[str, QKeySequence]) -> None:
        for action_id, sequence in sequences.items():
            spec = next(s for s in HOTKEYS if s.action_id == action_id)
            text = sequence.toString(QKeySequence.SequenceFormat.PortableText)
            if text == spec.default:
                self._settings.remove(f"{_SETTINGS_GROUP}/{action_id}")
            else:
                self._settings.setValue(f"{_SETTINGS_GROUP}/{action_id}", text)
        self.apply()

    def retranslate(self) -> None:
        self.apply()


class HotkeyDialog(QDialog):
    """Edit every shortcut; a key used twice is refused with the two actions named."""

    def __init__(self, hotkeys: Hotkeys, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hotkeys = hotkeys
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.setAccessibleName(self.tr("Keyboard shortcuts"))
        layout = QVBoxLayout(self)
        self._table = QTableWidget(len(HOTKEYS), 2, self)
        self._table.setAccessibleName(self.tr("Shortcuts"))
        self._table.setHorizontalHeaderLabels([self.tr("Command"), self.tr("Shortcut")])
        self._table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._table.verticalHeader().hide()
        self._editors: dict[str, QKeySequenceEdit] = {}
        for row, spec in enumerate(HOTKEYS):
            item = QTableWidgetItem(spec.label())
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self._table.setItem(row, 0, item)
            editor = QKeySequenceEdit(hotkeys.sequence(spec.action_id), self._table)
            editor.setMaximumSequenceLength(1)
            editor.setAccessibleName(spec.label())
            self._table.setCellWidget(row, 1, editor)
            self._editors[spec.action_id] = editor
        layout.addWidget(self._table)
        self._problem = QLabel(self)
        self._problem.setTextFormat(Qt.TextFormat.PlainText)
        self._problem.setStyleSheet("color: #c62828")
        layout.addWidget(self._problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults,
            self,
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        restore = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.clicked.connect(self._restore_defaults)
        layout.addWidget(buttons)
        self.resize(520, 560)

    def _restore_defaults(self) -> None:
        for spec in HOTKEYS:
            self._editors[spec.action_id].setKeySequence(QKeySequence(spec.default))

    def conflict(self) -> tuple[str, str] | None:
        seen: dict[str, str] = {}
        for spec in HOTKEYS:
            text = self._editors[spec.action_id].keySequence().toString()
            if not text:
                continue
            if text in seen:
                return seen[text], spec.label()
            seen[text] = spec.label()
        return None

    def _accept(self) -> None:
        clash = self.conflict()
        if clash:
            self._problem.setText(
                self.tr("“%1” and “%2” have the same shortcut.")
                .replace("%1", clash[0])
                .replace("%2", clash[1])
            )
            return
        self._hotkeys.save({k: e.keySequence() for k, e in self._editors.items()})
        self.accept()
