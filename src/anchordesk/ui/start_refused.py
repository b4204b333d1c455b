"""The show named at start-up (``anchordesk gui SHOW.json``, "Open with") that cannot run.

It used to be one status-bar line while the sample quietly took its place; an operator who
opened the wrong file, a broken one or a missing one could go on air with the sample. Now the
same problems dialog File → Open shows, saying plainly that the sample is running, with the next
steps as buttons: fix the file in the show editor, open another show, or go on with the sample.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QWidget

from anchordesk.ui.editor.problems_dialog import ProblemsDialog


class StartRefusedDialog(ProblemsDialog):
    """Signals: ``edit_requested(Path)`` (fix it in the show editor; only offered when the
    editor can read the file), ``open_requested()`` (choose another show); closing it in any
    other way keeps the sample."""

    edit_requested = Signal(Path)
    open_requested = Signal()

    def __init__(
        self, path: Path, lines: list[str], editable: bool, parent: QWidget | None = None
    ) -> None:
        if editable:
            heading = self.tr(
                "%1 cannot be opened: it has the problems below. The sample show is running "
                "instead. Fix the file in the show editor, or open another show."
            )
        else:
            heading = self.tr(
                "%1 cannot be opened: it has the problems below. The sample show is running "
                "instead. Open another show, or go on with the sample."
            )
        super().__init__(self.tr("Open show"), heading.replace("%1", str(path)), lines, parent)
        self.setObjectName("start-refused-dialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.path = path
        buttons = self.findChild(QDialogButtonBox)
        assert buttons is not None
        buttons.clear()
        self.edit_button: QPushButton | None = None
        if editable:
            self.edit_button = buttons.addButton(
                self.tr("&Edit in the show editor"), QDialogButtonBox.ButtonRole.ActionRole
            )
            self.edit_button.clicked.connect(self._edit)
        self.open_button = buttons.addButton(
            self.tr("&Open another show…"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.open_button.clicked.connect(self._open_another)
        self.sample_button = buttons.addButton(
            self.tr("Go on with the &sample"), QDialogButtonBox.ButtonRole.RejectRole
        )
        # Enter does what the operator most likely came for: fix the file they meant to open.
        default = self.edit_button or self.open_button
        default.setDefault(True)
        default.setFocus()

    def _edit(self) -> None:
        self.accept()
        self.edit_requested.emit(self.path)

    def _open_another(self) -> None:
        self.accept()
        self.open_requested.emit()
