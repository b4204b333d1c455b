"""Settings page: the camera and the microphone, each with a live preview while the page is open.

The previews run only while this page is shown: a camera preview loop in a worker, the
microphone's peak read on a UI timer (the sounddevice callback only stores it). Device lists
and opening the microphone go through :mod:`anchordesk.ui.workers`.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

from anchordesk.core.printable import escape_controls
from anchordesk.ui import file_dialogs
from anchordesk.ui.settings.devices import (
    CameraPreview,
    DeviceChoice,
    MicrophoneLevel,
    list_cameras,
    list_microphones,
)
from anchordesk.ui.settings.page import PageContext, SettingsPage, select_data
from anchordesk.ui.words import quoted_text
from anchordesk.ui.workers import run_task


class DevicesPage(SettingsPage):
    """Camera and microphone choice with previews."""

    MIC_POLL_MS = 50

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("devices-page")
        self.camera_preview: CameraPreview | None = None
        self._microphone: MicrophoneLevel | None = None
        self._microphones_listed = False
        self._shown = False
        self._mic_timer = QTimer(self)
        self._mic_timer.setInterval(self.MIC_POLL_MS)
        self._mic_timer.timeout.connect(self._update_mic_level)

        self.camera_label = QLabel(self)
        self.camera_combo = QComboBox(self)
        self.camera_combo.setObjectName("camera")
        self.camera_combo.setSizeAdjustPolicy(  # a device's name: as wide as the page allows
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.camera_combo.setMinimumContentsLength(24)
        self.camera_browse = QPushButton(self)
        self.camera_browse.clicked.connect(self._browse_camera_file)
        self.preview_label = QLabel(self)
        self.camera_preview_label = QLabel(self)
        self.camera_preview_label.setObjectName("camera-preview")
        self.camera_preview_label.setFixedSize(320, 180)
        self.camera_preview_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.camera_preview_label.setStyleSheet("background: #111; color: #ddd;")
        self.camera_status = QLabel(self)
        self.camera_status.setObjectName("camera-status")
        self.camera_status.setTextFormat(Qt.TextFormat.PlainText)
        self.camera_status.setWordWrap(True)
        self.microphone_label = QLabel(self)
        self.microphone_combo = QComboBox(self)
        self.microphone_combo.setObjectName("microphone")
        self.microphone_combo.setSizeAdjustPolicy(  # a device's name: as wide as the page allows
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.microphone_combo.setMinimumContentsLength(24)
        self.level_label = QLabel(self)
        self.microphone_meter = QProgressBar(self)
        self.microphone_meter.setObjectName("microphone-level")
        self.microphone_meter.setRange(0, 100)
        self.microphone_meter.setTextVisible(False)
        self.microphone_status = QLabel(self)
        self.microphone_status.setObjectName("microphone-status")
        self.microphone_status.setTextFormat(Qt.TextFormat.PlainText)
        self.microphone_status.setWordWrap(True)
        self.camera_combo.currentIndexChanged.connect(self._restart_camera_preview)
        self.microphone_combo.currentIndexChanged.connect(self._restart_microphone_level)

        form = QFormLayout(self)
        camera_row = QHBoxLayout()
        camera_row.addWidget(self.camera_combo, 1)
        camera_row.addWidget(self.camera_browse)
        form.addRow(self.camera_label, camera_row)
        form.addRow(self.preview_label, self.camera_preview_label)
        form.addRow("", self.camera_status)
        form.addRow(self.microphone_label, self.microphone_combo)
        form.addRow(self.level_label, self.microphone_meter)
        form.addRow("", self.microphone_status)
        self.camera_label.setBuddy(self.camera_combo)
        self.microphone_label.setBuddy(self.microphone_combo)

    # -- SettingsPage ------------------------------------------------------------------------

    def title(self) -> str:
        return self.tr("Devices")

    def fill(self) -> None:
        self.camera_combo.blockSignals(True)
        self.camera_combo.clear()
        self.camera_combo.addItem("", "auto")
        self.camera_combo.addItem("", "test")
        for choice in list_cameras():
            self.camera_combo.addItem(escape_controls(choice.label), choice.value)
        camera = self.settings.devices.camera
        if self.camera_combo.findData(camera) < 0:
            # Written out as the go-live check writes it: "/dev/video\u202e9 kcab" was
            # listed "/dev/videoback 9".
            self.camera_combo.addItem(escape_controls(camera), camera)
        select_data(self.camera_combo, camera)
        self.camera_combo.blockSignals(False)

        self.microphone_combo.blockSignals(True)
        self.microphone_combo.clear()
        for value in ("default", "test", "none"):
            self.microphone_combo.addItem("", value)
        microphone = self.settings.devices.microphone
        if self.microphone_combo.findData(microphone) < 0:
            self.microphone_combo.addItem(escape_controls(microphone), microphone)
        select_data(self.microphone_combo, microphone)
        self.microphone_combo.blockSignals(False)

    def collect(self) -> None:
        self.settings.devices.camera = self.camera_combo.currentData() or "auto"
        self.settings.devices.microphone = self.microphone_combo.currentData() or "default"

    def page_shown(self) -> None:
        self._shown = True
        self._list_microphones()
        self._restart_camera_preview()
        self._restart_microphone_level()

    def page_hidden(self) -> None:
        self._shown = False
        self._stop_camera_preview()
        self._stop_microphone_level()

    def retranslate(self) -> None:
        self.camera_label.setText(self.tr("&Camera:"))
        self.camera_combo.setItemText(0, self.tr("Automatic (first camera, else test pattern)"))
        self.camera_combo.setItemText(1, self.tr("Test pattern"))
        self.camera_browse.setText(self.tr("&Video file…"))
        self.preview_label.setText(self.tr("Preview:"))
        self.camera_preview_label.setAccessibleName(self.tr("Camera preview"))
        if self.camera_preview_label.pixmap().isNull():
            self.camera_preview_label.setText(self.tr("Preview"))
        self.microphone_label.setText(self.tr("&Microphone:"))
        self.microphone_combo.setItemText(0, self.tr("Default microphone"))
        self.microphone_combo.setItemText(1, self.tr("Test tone"))
        self.microphone_combo.setItemText(2, self.tr("No audio"))
        self.level_label.setText(self.tr("Level:"))
        self.microphone_meter.setAccessibleName(self.tr("Microphone level"))
        self.microphone_meter.setToolTip(self.tr("The microphone's loudest sound, live"))

    # -- camera ------------------------------------------------------------------------------

    def _restart_camera_preview(self, *_args: object) -> None:
        self._stop_camera_preview()
        if not self._shown:
            return
        spec = self.camera_combo.currentData() or "auto"
        self.camera_status.setText("")
        preview = CameraPreview(spec, self)
        preview.frame_ready.connect(self._on_camera_frame)
        preview.failed.connect(self._on_camera_failed)
        self.camera_preview = preview
        preview.start()

    def _on_camera_frame(self, image: QImage) -> None:
        self.camera_preview_label.setPixmap(
            QPixmap.fromImage(image).scaled(
                self.camera_preview_label.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def _on_camera_failed(self, spec: str) -> None:
        if spec == "auto":
            text = self.tr("No camera was found; the preview shows the test pattern.")
        else:
            index = self.camera_combo.findData(spec)
            name = (
                self.camera_combo.itemText(index)
                if index >= 0
                else escape_controls(Path(spec).name)
            )
            text = self.tr("“%1” could not be opened; the preview shows the test pattern.").replace(
                "%1",
                quoted_text(name),  # a name of 3,000 characters: a page 23,000 px wide
            )
        self.camera_status.setText(text)

    def _stop_camera_preview(self) -> None:
        preview, self.camera_preview = self.camera_preview, None
        if preview is not None:
            preview.frame_ready.disconnect(self._on_camera_frame)
            preview.stop()
            preview.deleteLater()

    def _browse_camera_file(self) -> None:
        path = file_dialogs.get_open_file_name(
            self,
            self.tr("Video file as camera"),
            "",
            self.tr("Videos (*.mp4 *.mkv *.mov *.webm *.avi);;All files (*)"),
        )
        if path:
            if self.camera_combo.findData(path) < 0:
                self.camera_combo.addItem(escape_controls(Path(path).name), path)
            select_data(self.camera_combo, path)

    # -- microphone --------------------------------------------------------------------------

    def _list_microphones(self) -> None:
        # PortAudio's first query can take a second: list microphones off the Qt thread, and
        # only once the user looks at this page.
        if self._microphones_listed:
            return
        self._microphones_listed = True
        run_task(list_microphones, self._on_microphones_listed, owner=self)

    def _on_microphones_listed(self, choices: list[DeviceChoice]) -> None:
        current = self.microphone_combo.currentData()
        self.microphone_combo.blockSignals(True)
        for choice in choices:
            if self.microphone_combo.findData(choice.value) < 0:
                self.microphone_combo.addItem(escape_controls(choice.label), choice.value)
        select_data(self.microphone_combo, current)
        self.microphone_combo.blockSignals(False)

    def _restart_microphone_level(self, *_args: object) -> None:
        self._stop_microphone_level()
        if not self._shown:
            return
        microphone = MicrophoneLevel(self.microphone_combo.currentData() or "default")
        self._microphone = microphone
        self.microphone_status.setText("")

        def started(ok: bool) -> None:
            if not shiboken6.isValid(self) or microphone is not self._microphone:
                microphone.stop()  # the page closed or the choice changed meanwhile
                return
            if ok:
                self._mic_timer.start()
            elif microphone.error:
                # Named as the list names it ("Default microphone"), not in PortAudio's words
                # ("Error querying device -1"), which the log keeps (R25hunt25ui F2).
                index = self.microphone_combo.findData(microphone.spec)
                name = (
                    self.microphone_combo.itemText(index)
                    if index >= 0
                    else escape_controls(microphone.spec)
                )
                self.microphone_status.setText(
                    self.tr("The microphone could not be opened: %1").replace(
                        "%1", quoted_text(name)
                    )
                )

        run_task(microphone.start, started)

    def _update_mic_level(self) -> None:
        if self._microphone is not None:
            self.microphone_meter.setValue(int(self._microphone.level() * 100))

    def _stop_microphone_level(self) -> None:
        self._mic_timer.stop()
        self.microphone_meter.setValue(0)
        microphone, self._microphone = self._microphone, None
        if microphone is not None:
            microphone.stop()
