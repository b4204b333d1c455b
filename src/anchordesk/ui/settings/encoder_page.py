"""Settings page: the encoder (codec, canvas, rates, keyframes) and the local recording.

Signals: ``EncoderPage.encoder_changed()``: a value the destination page warns about changed.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from anchordesk.live.options import KNOWN_CANVASES
from anchordesk.live.settings import EncoderSettings
from anchordesk.ui import file_dialogs
from anchordesk.ui.settings.page import PageContext, SettingsPage, select_data


class EncoderPage(SettingsPage):
    encoder_changed = Signal()

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("encoder-page")
        self.encoder_combo = QComboBox(self)
        self.encoder_combo.setObjectName("encoder")
        self.canvas_combo = QComboBox(self)
        self.canvas_combo.setObjectName("canvas")
        for name in KNOWN_CANVASES:
            self.canvas_combo.addItem(name.replace("x", " × "), name)
        self.fps_spin = QSpinBox(self)
        self.fps_spin.setRange(10, 60)
        self.video_kbps_spin = QSpinBox(self)
        self.video_kbps_spin.setObjectName("video-kbps")
        self.video_kbps_spin.setRange(200, 51000)
        self.video_kbps_spin.setSingleStep(250)
        self.audio_kbps_spin = QSpinBox(self)
        self.audio_kbps_spin.setRange(32, 512)
        self.audio_kbps_spin.setSingleStep(32)
        self.keyframe_spin = QSpinBox(self)
        self.keyframe_spin.setRange(1, 10)
        self.record_check = QCheckBox(self)
        self.recordings_dir_edit = QLineEdit(self)
        self.recordings_dir_browse = QPushButton(self)
        self.recordings_dir_browse.clicked.connect(self._browse_recordings_dir)
        self.labels = [QLabel(self) for _ in range(7)]
        form = QFormLayout(self)
        recordings_row = QHBoxLayout()
        recordings_row.addWidget(self.recordings_dir_edit, 1)
        recordings_row.addWidget(self.recordings_dir_browse)
        fields: list[QWidget] = [
            self.encoder_combo,
            self.canvas_combo,
            self.fps_spin,
            self.video_kbps_spin,
            self.audio_kbps_spin,
            self.keyframe_spin,
        ]
        for label, widget in zip(self.labels, fields, strict=False):
            form.addRow(label, widget)
            label.setBuddy(widget)
        form.addRow("", self.record_check)
        form.addRow(self.labels[6], recordings_row)
        self.labels[6].setBuddy(self.recordings_dir_edit)
        for spin in (self.fps_spin, self.video_kbps_spin, self.audio_kbps_spin, self.keyframe_spin):
            spin.valueChanged.connect(self.encoder_changed)
        self.canvas_combo.currentIndexChanged.connect(self.encoder_changed)

    def title(self) -> str:
        return self.tr("Encoder")

    def fill(self) -> None:
        s = self.settings
        self.encoder_combo.clear()
        self.encoder_combo.addItem("", "libx264")
        self.encoder_combo.addItem("", "auto")
        select_data(self.encoder_combo, s.encoder.encoder)
        if self.canvas_combo.findData(s.encoder.canvas) < 0:
            self.canvas_combo.addItem(s.encoder.canvas.replace("x", " × "), s.encoder.canvas)
        select_data(self.canvas_combo, s.encoder.canvas)
        self.apply(s.encoder)
        self.record_check.setChecked(s.record)
        self.recordings_dir_edit.setText(s.recordings_dir or "")

    def apply(self, encoder: EncoderSettings) -> None:
        """Show these rates (the destination page's "recommended encoder" button)."""
        self.fps_spin.setValue(encoder.fps)
        self.video_kbps_spin.setValue(encoder.video_kbps)
        self.audio_kbps_spin.setValue(encoder.audio_kbps)
        self.keyframe_spin.setValue(encoder.keyframe_interval_s)

    def encoder_settings(self) -> EncoderSettings:
        return EncoderSettings(
            encoder=self.encoder_combo.currentData() or "libx264",
            video_kbps=self.video_kbps_spin.value(),
            audio_kbps=self.audio_kbps_spin.value(),
            canvas=self.canvas_combo.currentData() or "1280x720",
            fps=self.fps_spin.value(),
            keyframe_interval_s=self.keyframe_spin.value(),
        )

    def collect(self) -> None:
        self.settings.encoder = self.encoder_settings()
        record = self.record_check.isChecked()
        if record != self.settings.record:
            self.settings.record_asked = True  # a choice made here answers "record?" too
        self.settings.record = record
        self.settings.recordings_dir = self.recordings_dir_edit.text().strip() or None

    def retranslate(self) -> None:
        self.encoder_combo.setItemText(0, self.tr("x264 (software)"))
        self.encoder_combo.setItemText(1, self.tr("Automatic (hardware if available)"))
        for label, text in zip(
            self.labels,
            (
                self.tr("&Encoder:"),
                self.tr("Ca&nvas:"),
                self.tr("&Frame rate (fps):"),
                self.tr("&Video bitrate (kbps):"),
                self.tr("&Audio bitrate (kbps):"),
                self.tr("&Keyframe interval (s):"),
                self.tr("Recordings fol&der:"),
            ),
            strict=True,
        ):
            label.setText(text)
        self.record_check.setText(self.tr("&Record a local copy"))
        self.recordings_dir_edit.setPlaceholderText(self.tr("The Videos folder"))
        self.recordings_dir_browse.setText(self.tr("&Browse…"))

    def _browse_recordings_dir(self) -> None:
        from pathlib import Path

        path = file_dialogs.get_existing_directory(
            self, self.tr("Folder for recordings"), self.recordings_dir_edit.text()
        )
        if path:
            self.recordings_dir_edit.setText(str(Path(path)))
