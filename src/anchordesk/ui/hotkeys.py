"""The show's keyboard: one QAction per command, shortcuts configurable and shown in the menus.

Every action uses ``Qt.WindowShortcut`` on the control room, so it fires wherever the focus is
in the control room, its docks included (the teleprompter floated onto a second screen too),
and never in another window with keys of its own: application-wide, Studio mode
(Ctrl+Shift+S) and "Mark the question answered" (F8) took the show editor's Save as… and Next
problem keys, and Qt ran neither ("Ambiguous shortcut overload"). Default keys avoid plain
letters and digits so typing in the comment search box never triggers a command; PageDown/PageUp
for the run sheet match what presentation clickers send.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
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

from anchordesk.ui import window_ini


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
        "next_segment", "PgDown", lambda: QCoreApplication.translate("Hotkeys", "&Next segment")
    ),
    HotkeySpec(
        "previous_segment",
        "PgUp",
        lambda: QCoreApplication.translate("Hotkeys", "&Previous segment"),
    ),
    *(_product_spec(n) for n in range(1, 10)),
    HotkeySpec(
        "clear_product",
        "Ctrl+0",
        lambda: QCoreApplication.translate("Hotkeys", "Take the product &off screen"),
    ),
    HotkeySpec(
        "toggle_deal",
        "Ctrl+D",
        lambda: QCoreApplication.translate("Hotkeys", "Start or stop the flash &deal"),
    ),
    HotkeySpec(
        "pin_comment",
        "Ctrl+P",
        lambda: QCoreApplication.translate("Hotkeys", "P&in the selected comment"),
    ),
    HotkeySpec(
        "unpin_comment",
        "Ctrl+Shift+P",
        lambda: QCoreApplication.translate("Hotkeys", "&Unpin the comment"),
    ),
    HotkeySpec(
        "take", "Ctrl+T", lambda: QCoreApplication.translate("Hotkeys", "&Take the staged card")
    ),
    HotkeySpec(
        "go_live", "Ctrl+Shift+L", lambda: QCoreApplication.translate("Hotkeys", "&Go live / stop")
    ),
    HotkeySpec(
        "teleprompter",
        "F11",
        lambda: QCoreApplication.translate("Hotkeys", "Show the &teleprompter"),
    ),
    HotkeySpec(
        "pin_latest_question",
        "F7",
        lambda: QCoreApplication.translate("Hotkeys", "Pin the &latest question"),
    ),
    HotkeySpec(
        "mark_answered",
        "F8",
        lambda: QCoreApplication.translate("Hotkeys", "Mark the question &answered"),
    ),
    HotkeySpec(
        "studio_mode",
        "Ctrl+Shift+S",
        lambda: QCoreApplication.translate("Hotkeys", "&Studio mode"),
    ),
    HotkeySpec(
        "end_rehearsal",
        "Ctrl+Shift+E",
        lambda: QCoreApplication.translate("Hotkeys", "&End rehearsal"),
    ),
    HotkeySpec(
        "record",
        "Ctrl+Shift+R",
        lambda: QCoreApplication.translate("Hotkeys", "&Record"),
    ),
    HotkeySpec(
        "focus_comments",
        "Ctrl+F",
        lambda: QCoreApplication.translate("Hotkeys", "Searc&h the comments"),
    ),
    HotkeySpec(
        "messages",
        "Ctrl+Shift+M",
        lambda: QCoreApplication.translate("Hotkeys", "&Messages of this run…"),
    ),
)

_SETTINGS_GROUP = "hotkeys"

_CJK_MNEMONIC = re.compile(r"\s*[(（]&(\w)[)）]")


def without_mnemonic(text: str) -> str:
    """A label as a list or a screen reader shows it: "(&S)" and "&" gone, "&&" kept as "&"."""
    text = _CJK_MNEMONIC.sub("", text)
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def mnemonic(text: str) -> str | None:
    """The access key a Qt label or action text gives (upper case), or None."""
    index = 0
    while True:
        index = text.find("&", index)
        if index < 0 or index + 1 >= len(text):
            return None
        if text[index + 1] == "&":
            index += 2
            continue
        return text[index + 1].upper()


class _Explained(QObject):
    """Signals: ``reason(str)``: a key whose action cannot act now, and why (one line)."""

    reason = Signal(str)

    def emit_reason(self, text: str) -> None:
        self.reason.emit(text)


class Hotkeys:
    """Creates and owns the show's QActions; ``triggered`` handlers are attached by the window."""

    def __init__(self, parent: QWidget, settings: QSettings) -> None:
        self._settings = settings
        self._parent = parent
        self.actions: dict[str, QAction] = {}
        self._explainers: dict[str, tuple[QShortcut, Callable[[], str]]] = {}
        self.explained = _Explained()
        for spec in HOTKEYS:
            action = QAction(spec.label(), parent)
            action.setObjectName(f"action_{spec.action_id}")
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            parent.addAction(action)
            self.actions[spec.action_id] = action
        self.apply()

    def explain_when_disabled(self, action_id: str, reason: Callable[[], str]) -> None:
        """A disabled action's key does nothing in Qt, silently. While ``action_id`` is
        disabled, its key says ``reason()`` instead (through ``explained``)."""
        action = self.actions[action_id]
        shortcut = QShortcut(self._parent)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(lambda: self.explained.emit_reason(reason()))
        self._explainers[action_id] = (shortcut, reason)
        action.changed.connect(lambda: self._sync_explainer(action_id))
        self._sync_explainer(action_id)

    def _sync_explainer(self, action_id: str) -> None:
        shortcut, _reason = self._explainers[action_id]
        action = self.actions[action_id]
        shortcut.setKey(action.shortcut())
        shortcut.setEnabled(not action.isEnabled())

    def sequence(self, action_id: str) -> QKeySequence:
        spec = next(s for s in HOTKEYS if s.action_id == action_id)
        stored = self._settings.value(f"{_SETTINGS_GROUP}/{action_id}", spec.default)
        return QKeySequence(str(stored) if stored is not None else "")

    def apply(self) -> None:
        for spec in HOTKEYS:
            action = self.actions[spec.action_id]
            action.setShortcut(self.sequence(spec.action_id))
            action.setText(spec.label())
            action.setToolTip(
                f"{without_mnemonic(spec.label())} "
                f"({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                if not action.shortcut().isEmpty()
                else without_mnemonic(spec.label())
            )

    def save(self, sequences: dict[str, QKeySequence]) -> bool:
        """Keep and apply ``sequences``; False (nothing changed) while another program holds
        the settings file."""
        if not window_ini.free_to_write(self._settings):
            return False
        for action_id, sequence in sequences.items():
            spec = next(s for s in HOTKEYS if s.action_id == action_id)
            text = sequence.toString(QKeySequence.SequenceFormat.PortableText)
            if text == spec.default:
                self._settings.remove(f"{_SETTINGS_GROUP}/{action_id}")
            else:
                self._settings.setValue(f"{_SETTINGS_GROUP}/{action_id}", text)
        self._settings.sync()  # now, while it is free: a later sync could wait on a lock
        self.apply()
        return True

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
        # Tab goes on to each key field, then OK / Cancel / Restore Defaults: a table's own Tab
        # went round its cells for good, none of the buttons reachable (R13ui F5).
        self._table.setTabKeyNavigation(False)
        self._table.setAccessibleName(self.tr("Shortcuts"))
        self._table.setHorizontalHeaderLabels([self.tr("Command"), self.tr("Shortcut")])
        self._table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._table.verticalHeader().hide()
        self._editors: dict[str, QKeySequenceEdit] = {}
        for row, spec in enumerate(HOTKEYS):
            item = QTableWidgetItem(without_mnemonic(spec.label()))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self._table.setItem(row, 0, item)
            editor = QKeySequenceEdit(hotkeys.sequence(spec.action_id), self._table)
            editor.setMaximumSequenceLength(1)
            editor.setAccessibleName(without_mnemonic(spec.label()))
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
                return seen[text], without_mnemonic(spec.label())
            seen[text] = without_mnemonic(spec.label())
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
        if not self._hotkeys.save({k: e.keySequence() for k, e in self._editors.items()}):
            self._problem.setText(
                self.tr(
                    "The shortcuts were not saved: another program is writing the window's "
                    "settings file. Try again in a moment."
                )
            )
            return
        self.accept()
