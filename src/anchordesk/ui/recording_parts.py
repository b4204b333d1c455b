"""The window's recording parts: the first rehearsal's "record?" question and the status bar's
recording indicator (size and free disk space).

Signals: ``RecordingQuestion.answered(bool)``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from anchordesk.ui.docks.health import format_bytes
from anchordesk.ui.state import HealthState
from anchordesk.ui.words import plain_tooltip


class RecordingQuestion(QMessageBox):
    """Asked once, at the first rehearsal, instead of recording without a word; the answer is
    remembered (Record and Settings change it later). Window-modal and not blocking: the
    picture and the rehearsal go on while it is open, nothing recorded until it is answered."""

    answered = Signal(bool)

    def __init__(
        self, folder: str, bytes_per_hour: int, record_key: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recording-question")
        self.setIcon(QMessageBox.Icon.Question)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setWindowTitle(self.tr("Record rehearsals and shows?"))
        self.setText(self.tr("Keep a local recording of each rehearsal and show?"))
        self.setInformativeText(
            self.tr(
                "Recordings go to %1 and take about %2 an hour at these settings. You can "
                "change this later with Record (%3) or in Settings."
            )
            .replace("%1", folder)
            .replace("%2", format_bytes(bytes_per_hour))
            .replace("%3", record_key)
        )
        self.record_button = self.addButton(self.tr("&Record"), QMessageBox.ButtonRole.AcceptRole)
        self.skip_button = self.addButton(
            self.tr("&Don't record"), QMessageBox.ButtonRole.RejectRole
        )
        self.setDefaultButton(self.record_button)
        self.setEscapeButton(self.skip_button)
        self.buttonClicked.connect(self._clicked)

    def _clicked(self, button: object) -> None:
        self.answered.emit(button is self.record_button)


class RecordingIndicator(QLabel):
    """ "● REC 1.2 GB · 45.3 GB free" in the status bar while a recording is written, "REC
    paused: its disk is full" while it waits for room, "· part missing" once it went on in a
    new file (the files and the gaps in the tooltip); hidden otherwise (a recording that stops
    for good is said over the picture)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recording-indicator")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setContentsMargins(8, 0, 8, 0)
        self.setVisible(False)
        self._health = HealthState()

    def update_health(self, health: HealthState) -> None:
        self._health = health
        recording = health.recording in ("live", "connecting", "waiting", "stuck")
        self.setVisible(recording)
        if not recording:
            return
        if health.recording == "waiting":
            text = self.tr("REC paused: its disk is full")
        else:
            text = self.tr("● REC %1").replace("%1", format_bytes(health.recording_bytes))
        if health.recording_free_bytes is not None:
            text += " · " + self.tr("%1 free").replace(
                "%1", format_bytes(health.recording_free_bytes)
            )
        if health.recording_gaps and health.recording != "waiting":
            text += " · " + self.tr("part missing")
        self.setText(text)
        # The gaps in media's words, then every file (they are all kept), as written: a folder
        # of the settings named "<b>Shows</b>" was rendered as markup.
        self.setToolTip(plain_tooltip("\n".join((*health.recording_gaps, *health.recording_files))))
        self.setStyleSheet("color: #e65100" if health.recording == "waiting" else "color: #c62828")

    def retranslate(self) -> None:
        self.update_health(self._health)
