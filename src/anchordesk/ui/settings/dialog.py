"""The settings dialog: destinations, devices, encoder, feeds, language.

Secrets (stream keys, feed tokens) are read from the keyring in a worker thread when the dialog
opens and written in ``accept``; they are never part of :class:`anchordesk.live.settings.Settings`,
so saving the settings cannot write them to disk.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core import secrets
from anchordesk.live.options import FEED_KINDS, KNOWN_CANVASES
from anchordesk.live.settings import (
    PRESETS,
    Destination,
    EncoderSettings,
    FeedSettings,
    PlatformPreset,
    Settings,
    check_server_url,
    encoder_warnings,
    new_id,
    recommended_encoder,
    save_settings,
    split_pasted_url,
)
from anchordesk.ui import i18n
from anchordesk.ui.remote import RemoteControl
from anchordesk.ui.settings.devices import (
    CameraPreview,
    DeviceChoice,
    MicrophoneLevel,
    list_cameras,
    list_microphones,
)
from anchordesk.ui.settings.remote_page import RemotePage
from anchordesk.ui.settings.secret_field import SecretLineEdit

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries results of worker threads back to the Qt thread (queued signal)."""

    secrets_loaded = Signal(dict)
    microphones_listed = Signal(list)
    microphone_started = Signal(bool, str)
    keyring_fell_back = Signal(str)


@dataclass
class _PendingSecret:
    name: str
    field: SecretLineEdit


class SettingsDialog(QDialog):
    """Edit a copy of the settings; ``accept`` writes keys to the keyring and the file.

    Signals:
        settings_saved(Settings): the settings were written (the new copy).
        language_changed(str): the language setting changed; it has been installed already.
    """

    settings_saved = Signal(object)
    language_changed = Signal(str)

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        settings_file: Path | None = None,
        secret_store: secrets.SecretStore | None = None,
        remote: RemoteControl | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settings-dialog")
        self._original = settings
        self.settings = copy.deepcopy(settings)
        self._settings_file = settings_file
        self._store = secret_store or secrets.store()
        self._relay = _Relay(self)
        self._relay.secrets_loaded.connect(self._on_secrets_loaded)
        self._relay.microphones_listed.connect(self._on_microphones_listed)
        self._relay.microphone_started.connect(self._on_microphone_started)
        self._loaded_secrets: dict[str, str] = {}
        # Secret fields by secret name; kept for deleted rows too, to delete their keys.
        self._key_fields: dict[str, SecretLineEdit] = {}
        self._deleted_secret_names: set[str] = set()
        self._camera_preview: CameraPreview | None = None
        self._microphone: MicrophoneLevel | None = None
        self._mic_timer = QTimer(self)
        self._mic_timer.setInterval(50)
        self._mic_timer.timeout.connect(self._update_mic_level)
        self._syncing = False
        self._microphones_listed = False

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._build_destinations_tab(), "")
        self.tabs.addTab(self._build_devices_tab(), "")
        self.tabs.addTab(self._build_encoder_tab(), "")
        self.tabs.addTab(self._build_feeds_tab(), "")
        self.tabs.addTab(self._build_general_tab(), "")
        # Remote control: its own page (ui/settings/remote_page.py) on the window's server.
        remote = remote or RemoteControl(lambda: None, self._store, self)
        self.remote_page = RemotePage(self.settings, remote, self)
        self.tabs.addTab(self.remote_page, "")
        self.settings_saved.connect(lambda _saved: self.remote_page.apply())
        self.tabs.currentChanged.connect(self._on_tab_changed)

        self.keyring_notice = QLabel(self)
        self.keyring_notice.setWordWrap(True)
        self.keyring_notice.setTextFormat(Qt.TextFormat.PlainText)
        self.keyring_notice.setStyleSheet("color: #b35c00;")
        self.keyring_notice.hide()
        self.error_label = QLabel(self)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.keyring_notice)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(760, 560)

        self._fill_from_settings()
        self._retranslate()
        # The store outlives this dialog and may call back from a worker thread: go through a
        # weak reference and a signal, so a late call neither crashes nor touches widgets
        # off the Qt thread.
        relay_ref = weakref.ref(self._relay)

        def on_fallback(reason: str) -> None:
            relay = relay_ref()
            if relay is not None:
                with contextlib.suppress(RuntimeError):  # the dialog is already gone
                    relay.keyring_fell_back.emit(reason)

        self._relay.keyring_fell_back.connect(self._update_keyring_status)
        self._store.on_fallback(on_fallback)
        self._load_secrets_async()

    # ------------------------------------------------------------------ building the pages

    def _build_destinations_tab(self) -> QWidget:
        page = QWidget(self)
        self.active_label = QLabel(page)
        self.active_combo = QComboBox(page)
        self.active_combo.setObjectName("active-destination")
        self.destination_list = QListWidget(page)
        self.destination_list.setObjectName("destination-list")
        self.destination_list.currentRowChanged.connect(self._on_destination_selected)
        self.add_destination_button = QPushButton(page)
        self.add_destination_button.setObjectName("add-destination")
        self.add_destination_menu = QMenu(self.add_destination_button)
        for preset in PRESETS.values():
            action = self.add_destination_menu.addAction(preset.name)
            action.setData(preset.preset_id)
            action.triggered.connect(
                lambda _checked=False, pid=preset.preset_id: self.add_destination(pid)
            )
        self.add_destination_button.setMenu(self.add_destination_menu)
        self.remove_destination_button = QPushButton(page)
        self.remove_destination_button.setObjectName("remove-destination")
        self.remove_destination_button.clicked.connect(self._remove_destination)

        left = QVBoxLayout()
        left.addWidget(self.destination_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_destination_button)
        row.addWidget(self.remove_destination_button)
        left.addLayout(row)

        self.destination_form_box = QGroupBox(page)
        form = QFormLayout(self.destination_form_box)
        self.destination_name = QLineEdit(self.destination_form_box)
        self.destination_name.setObjectName("destination-name")
        self.destination_platform = QComboBox(self.destination_form_box)
        self.destination_platform.setObjectName("destination-platform")
        for preset in PRESETS.values():
            self.destination_platform.addItem(preset.name, preset.preset_id)
        self.destination_server = QComboBox(self.destination_form_box)
        self.destination_server.setObjectName("destination-server")
        self.destination_server.setEditable(True)
        self.destination_server.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.destination_server_error = QLabel(self.destination_form_box)
        self.destination_server_error.setTextFormat(Qt.TextFormat.PlainText)
        self.destination_server_error.setStyleSheet("color: #c62828;")
        self.destination_server_error.setWordWrap(True)
        self.destination_server_error.hide()
        self.destination_key_stack = QWidget(self.destination_form_box)
        self.destination_key_layout = QVBoxLayout(self.destination_key_stack)
        self.destination_key_layout.setContentsMargins(0, 0, 0, 0)
        self.destination_limits = QLabel(self.destination_form_box)
        self.destination_limits.setTextFormat(Qt.TextFormat.PlainText)
        self.destination_limits.setWordWrap(True)
        self.destination_warnings = QLabel(self.destination_form_box)
        self.destination_warnings.setTextFormat(Qt.TextFormat.PlainText)
        self.destination_warnings.setWordWrap(True)
        self.destination_warnings.setStyleSheet("color: #b35c00;")
        self.apply_recommended_button = QPushButton(self.destination_form_box)
        self.apply_recommended_button.setObjectName("apply-recommended")
        self.apply_recommended_button.clicked.connect(self._apply_recommended)
        self.destination_name_label = QLabel(self.destination_form_box)
        self.destination_platform_label = QLabel(self.destination_form_box)
        self.destination_server_label = QLabel(self.destination_form_box)
        self.destination_key_label = QLabel(self.destination_form_box)
        form.addRow(self.destination_name_label, self.destination_name)
        form.addRow(self.destination_platform_label, self.destination_platform)
        form.addRow(self.destination_server_label, self.destination_server)
        form.addRow("", self.destination_server_error)
        form.addRow(self.destination_key_label, self.destination_key_stack)
        form.addRow(self.destination_limits)
        form.addRow(self.destination_warnings)
        form.addRow(self.apply_recommended_button)
        for label, buddy in (
            (self.destination_name_label, self.destination_name),
            (self.destination_platform_label, self.destination_platform),
            (self.destination_server_label, self.destination_server),
        ):
            label.setBuddy(buddy)

        self.destination_name.textEdited.connect(self._on_destination_form_edited)
        self.destination_platform.currentIndexChanged.connect(self._on_platform_changed)
        self.destination_server.editTextChanged.connect(self._on_destination_form_edited)
        server_edit = self.destination_server.lineEdit()
        if server_edit is not None:
            server_edit.editingFinished.connect(self._on_server_editing_finished)

        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addWidget(self.destination_form_box, 2)
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        top.addWidget(self.active_label)
        top.addWidget(self.active_combo, 1)
        layout.addLayout(top)
        layout.addLayout(columns, 1)
        return page

    def _build_devices_tab(self) -> QWidget:
        page = QWidget(self)
        self.camera_label = QLabel(page)
        self.camera_combo = QComboBox(page)
        self.camera_combo.setObjectName("camera")
        self.camera_browse = QPushButton(page)
        self.camera_browse.clicked.connect(self._browse_camera_file)
        self.camera_preview_label = QLabel(page)
        self.camera_preview_label.setObjectName("camera-preview")
        self.camera_preview_label.setFixedSize(320, 180)
        self.camera_preview_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.camera_preview_label.setStyleSheet("background: #111; color: #ddd;")
        self.camera_status = QLabel(page)
        self.camera_status.setTextFormat(Qt.TextFormat.PlainText)
        self.microphone_label = QLabel(page)
        self.microphone_combo = QComboBox(page)
        self.microphone_combo.setObjectName("microphone")
        self.microphone_meter = QProgressBar(page)
        self.microphone_meter.setObjectName("microphone-level")
        self.microphone_meter.setRange(0, 100)
        self.microphone_meter.setTextVisible(False)
        self.microphone_status = QLabel(page)
        self.microphone_status.setTextFormat(Qt.TextFormat.PlainText)
        self.camera_combo.currentIndexChanged.connect(self._restart_camera_preview)
        self.microphone_combo.currentIndexChanged.connect(self._restart_microphone_level)

        form = QFormLayout(page)
        camera_row = QHBoxLayout()
        camera_row.addWidget(self.camera_combo, 1)
        camera_row.addWidget(self.camera_browse)
        form.addRow(self.camera_label, camera_row)
        form.addRow("", self.camera_preview_label)
        form.addRow("", self.camera_status)
        form.addRow(self.microphone_label, self.microphone_combo)
        form.addRow("", self.microphone_meter)
        form.addRow("", self.microphone_status)
        self.camera_label.setBuddy(self.camera_combo)
        self.microphone_label.setBuddy(self.microphone_combo)
        return page

    def _build_encoder_tab(self) -> QWidget:
        page = QWidget(self)
        self.encoder_combo = QComboBox(page)
        self.encoder_combo.setObjectName("encoder")
        self.canvas_combo = QComboBox(page)
        self.canvas_combo.setObjectName("canvas")
        for name in KNOWN_CANVASES:
            self.canvas_combo.addItem(name.replace("x", " × "), name)
        self.fps_spin = QSpinBox(page)
        self.fps_spin.setRange(10, 60)
        self.video_kbps_spin = QSpinBox(page)
        self.video_kbps_spin.setObjectName("video-kbps")
        self.video_kbps_spin.setRange(200, 51000)
        self.video_kbps_spin.setSingleStep(250)
        self.audio_kbps_spin = QSpinBox(page)
        self.audio_kbps_spin.setRange(32, 512)
        self.audio_kbps_spin.setSingleStep(32)
        self.keyframe_spin = QSpinBox(page)
        self.keyframe_spin.setRange(1, 10)
        self.record_check = QCheckBox(page)
        self.recordings_dir_edit = QLineEdit(page)
        self.recordings_dir_browse = QPushButton(page)
        self.recordings_dir_browse.clicked.connect(self._browse_recordings_dir)
        self.encoder_labels = [QLabel(page) for _ in range(7)]
        form = QFormLayout(page)
        recordings_row = QHBoxLayout()
        recordings_row.addWidget(self.recordings_dir_edit, 1)
        recordings_row.addWidget(self.recordings_dir_browse)
        fields: list[QWidget | QHBoxLayout] = [
            self.encoder_combo,
            self.canvas_combo,
            self.fps_spin,
            self.video_kbps_spin,
            self.audio_kbps_spin,
            self.keyframe_spin,
        ]
        for label, widget in zip(self.encoder_labels, fields, strict=False):
            form.addRow(label, widget)
            if isinstance(widget, QWidget):
                label.setBuddy(widget)
        form.addRow("", self.record_check)
        form.addRow(self.encoder_labels[6], recordings_row)
        for widget in (
            self.fps_spin,
            self.video_kbps_spin,
            self.audio_kbps_spin,
            self.keyframe_spin,
        ):
            widget.valueChanged.connect(self._update_destination_warnings)
        self.canvas_combo.currentIndexChanged.connect(self._update_destination_warnings)
        return page

    def _build_feeds_tab(self) -> QWidget:
        page = QWidget(self)
        self.feed_list = QListWidget(page)
        self.feed_list.setObjectName("feed-list")
        self.feed_list.currentRowChanged.connect(self._on_feed_selected)
        self.add_feed_button = QPushButton(page)
        self.add_feed_button.setObjectName("add-feed")
        self.add_feed_button.clicked.connect(lambda: self.add_feed("json"))
        self.remove_feed_button = QPushButton(page)
        self.remove_feed_button.clicked.connect(self._remove_feed)
        self.feed_form_box = QGroupBox(page)
        self.feed_kind = QComboBox(self.feed_form_box)
        self.feed_kind.setObjectName("feed-kind")
        for kind in FEED_KINDS:
            self.feed_kind.addItem(kind, kind)
        self.feed_url = QLineEdit(self.feed_form_box)
        self.feed_url.setObjectName("feed-url")
        self.feed_enabled = QCheckBox(self.feed_form_box)
        self.feed_token_stack = QWidget(self.feed_form_box)
        self.feed_token_layout = QVBoxLayout(self.feed_token_stack)
        self.feed_token_layout.setContentsMargins(0, 0, 0, 0)
        self.feed_kind_label = QLabel(self.feed_form_box)
        self.feed_url_label = QLabel(self.feed_form_box)
        self.feed_token_label = QLabel(self.feed_form_box)
        form = QFormLayout(self.feed_form_box)
        form.addRow(self.feed_kind_label, self.feed_kind)
        form.addRow(self.feed_url_label, self.feed_url)
        form.addRow(self.feed_token_label, self.feed_token_stack)
        form.addRow("", self.feed_enabled)
        self.feed_kind_label.setBuddy(self.feed_kind)
        self.feed_url_label.setBuddy(self.feed_url)
        self.feed_kind.currentIndexChanged.connect(self._on_feed_form_edited)
        self.feed_url.textEdited.connect(self._on_feed_form_edited)
        self.feed_enabled.toggled.connect(self._on_feed_form_edited)
        left = QVBoxLayout()
        left.addWidget(self.feed_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_feed_button)
        row.addWidget(self.remove_feed_button)
        left.addLayout(row)
        layout = QHBoxLayout(page)
        layout.addLayout(left, 1)
        layout.addWidget(self.feed_form_box, 2)
        return page

    def _build_general_tab(self) -> QWidget:
        page = QWidget(self)
        self.language_label = QLabel(page)
        self.language_combo = QComboBox(page)
        self.language_combo.setObjectName("language")
        self.language_combo.addItem("", "system")
        for code, name in i18n.LANGUAGES.items():
            self.language_combo.addItem(name, code)
        self.language_label.setBuddy(self.language_combo)
        self.keyring_status = QLabel(page)
        self.keyring_status.setTextFormat(Qt.TextFormat.PlainText)
        self.keyring_status.setWordWrap(True)
        form = QFormLayout(page)
        form.addRow(self.language_label, self.language_combo)
        form.addRow(self.keyring_status)
        return page

    # ------------------------------------------------------------------ settings <-> widgets

    def _fill_from_settings(self) -> None:
        s = self.settings
        self.destination_list.clear()
        for destination in s.destinations:
            self._add_destination_item(destination)
        self._refresh_active_combo()
        if s.destinations:
            self.destination_list.setCurrentRow(0)
        else:
            self._on_destination_selected(-1)

        self._fill_device_combos()
        self._select_data(self.encoder_combo, s.encoder.encoder)
        if self.canvas_combo.findData(s.encoder.canvas) < 0:
            self.canvas_combo.addItem(s.encoder.canvas.replace("x", " × "), s.encoder.canvas)
        self._select_data(self.canvas_combo, s.encoder.canvas)
        self.fps_spin.setValue(s.encoder.fps)
        self.video_kbps_spin.setValue(s.encoder.video_kbps)
        self.audio_kbps_spin.setValue(s.encoder.audio_kbps)
        self.keyframe_spin.setValue(s.encoder.keyframe_interval_s)
        self.record_check.setChecked(s.record)
        self.recordings_dir_edit.setText(s.recordings_dir or "")

        self.feed_list.clear()
        for feed in s.feeds:
            self._add_feed_item(feed)
        if s.feeds:
            self.feed_list.setCurrentRow(0)
        else:
            self._on_feed_selected(-1)
        self._select_data(self.language_combo, s.language)

    def _fill_device_combos(self) -> None:
        self.camera_combo.blockSignals(True)
        self.camera_combo.clear()
        self.camera_combo.addItem("", "auto")
        self.camera_combo.addItem("", "test")
        for choice in list_cameras():
            self.camera_combo.addItem(choice.label, choice.value)
        camera = self.settings.devices.camera
        if self.camera_combo.findData(camera) < 0:
            self.camera_combo.addItem(camera, camera)
        self._select_data(self.camera_combo, camera)
        self.camera_combo.blockSignals(False)

        self.microphone_combo.blockSignals(True)
        self.microphone_combo.clear()
        for value in ("default", "test", "none"):
            self.microphone_combo.addItem("", value)
        microphone = self.settings.devices.microphone
        if self.microphone_combo.findData(microphone) < 0:
            self.microphone_combo.addItem(microphone, microphone)
        self._select_data(self.microphone_combo, microphone)
        self.microphone_combo.blockSignals(False)

    def _list_microphones_async(self) -> None:
        # PortAudio's first query can take a second: list microphones off the Qt thread, and
        # only once the user looks at the devices page.
        if self._microphones_listed:
            return
        self._microphones_listed = True
        relay = self._relay

        def list_in_worker() -> None:
            relay.microphones_listed.emit(list_microphones())

        QThreadPool.globalInstance().start(list_in_worker)

    def _on_microphones_listed(self, choices: list[DeviceChoice]) -> None:
        current = self.microphone_combo.currentData()
        self.microphone_combo.blockSignals(True)
        for choice in choices:
            if self.microphone_combo.findData(choice.value) < 0:
                self.microphone_combo.addItem(choice.label, choice.value)
        self._select_data(self.microphone_combo, current)
        self.microphone_combo.blockSignals(False)

    def collect(self) -> Settings:
        """The settings as the widgets show them (without secrets)."""
        s = self.settings
        self._store_destination_form()
        self._store_feed_form()
        s.active_destination_id = self.active_combo.currentData()
        s.devices.camera = self.camera_combo.currentData() or "auto"
        s.devices.microphone = self.microphone_combo.currentData() or "default"
        s.encoder = self._encoder_from_widgets()
        s.record = self.record_check.isChecked()
        s.recordings_dir = self.recordings_dir_edit.text().strip() or None
        s.language = self.language_combo.currentData() or "system"
        self.remote_page.collect(s)
        return s

    def _encoder_from_widgets(self) -> EncoderSettings:
        return EncoderSettings(
            encoder=self.encoder_combo.currentData() or "libx264",
            video_kbps=self.video_kbps_spin.value(),
            audio_kbps=self.audio_kbps_spin.value(),
            canvas=self.canvas_combo.currentData() or "1280x720",
            fps=self.fps_spin.value(),
            keyframe_interval_s=self.keyframe_spin.value(),
        )

    @staticmethod
    def _select_data(combo: QComboBox, value: object) -> None:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)

    # ------------------------------------------------------------------ destinations

    def add_destination(self, preset_id: str) -> Destination:
        preset = PRESETS[preset_id]
        destination = Destination(
            destination_id=new_id(),
            name=self._unique_name(preset.name),
            preset_id=preset_id,
            server_url=preset.servers[0] if preset.servers else "",
        )
        self.settings.destinations.append(destination)
        self._add_destination_item(destination)
        self._refresh_active_combo()
        if self.active_combo.currentData() is None and len(self.settings.destinations) == 1:
            self._select_data(self.active_combo, destination.destination_id)
        self.destination_list.setCurrentRow(self.destination_list.count() - 1)
        self.destination_name.setFocus()
        return destination

    def _unique_name(self, base: str) -> str:
        names = {d.name for d in self.settings.destinations}
        if base not in names:
            return base
        number = 2
        while f"{base} {number}" in names:
            number += 1
        return f"{base} {number}"

    def _add_destination_item(self, destination: Destination) -> None:
        item = QListWidgetItem(destination.name)
        item.setData(Qt.ItemDataRole.UserRole, destination.destination_id)
        self.destination_list.addItem(item)
        # Each destination has its own key field, so a key typed for one never moves to another.
        name = secrets.stream_key_name(destination.destination_id)
        key_field = SecretLineEdit(self.destination_key_stack)
        key_field.setObjectName(f"stream-key-{destination.destination_id}")
        key_field.hide()
        key_field.set_loaded_text(self._loaded_secrets.get(name, ""))
        self.destination_key_layout.addWidget(key_field)
        self._key_fields[name] = key_field
        self._retranslate_key_field(key_field, destination.preset)

    def _current_destination(self) -> Destination | None:
        item = self.destination_list.currentItem()
        if item is None:
            return None
        return self.settings.destination(item.data(Qt.ItemDataRole.UserRole))

    def stream_key_field(self, destination_id: str) -> SecretLineEdit:
        return self._key_fields[secrets.stream_key_name(destination_id)]

    def _on_destination_selected(self, row: int) -> None:
        destination = self._current_destination() if row >= 0 else None
        self.destination_form_box.setEnabled(destination is not None)
        self.remove_destination_button.setEnabled(destination is not None)
        for name, key_field in self._key_fields.items():
            if name.startswith("destination/"):
                key_field.setVisible(
                    destination is not None
                    and name == secrets.stream_key_name(destination.destination_id)
                )
        if destination is None:
            self.destination_limits.setText("")
            self.destination_warnings.setText("")
            return
        self._syncing = True
        try:
            self.destination_name.setText(destination.name)
            self._select_data(self.destination_platform, destination.preset_id)
            self._fill_servers(destination.preset, destination.server_url)
        finally:
            self._syncing = False
        self._update_destination_info()

    def _fill_servers(self, preset: PlatformPreset, current: str) -> None:
        self.destination_server.blockSignals(True)
        self.destination_server.clear()
        for server in preset.servers:
            self.destination_server.addItem(server)
        self.destination_server.setEditText(current)
        line_edit = self.destination_server.lineEdit()
        if line_edit is not None:
            line_edit.setPlaceholderText(preset.server_placeholder)
        self.destination_server.blockSignals(False)

    def _on_platform_changed(self, _index: int) -> None:
        destination = self._current_destination()
        if destination is None or self._syncing:
            return
        preset_id = self.destination_platform.currentData()
        if preset_id == destination.preset_id:
            return
        old_servers = destination.preset.servers
        destination.preset_id = preset_id
        server = destination.server_url
        if not server or server in old_servers:
            server = destination.preset.servers[0] if destination.preset.servers else ""
        destination.server_url = server
        self._fill_servers(destination.preset, server)
        key_field = self.stream_key_field(destination.destination_id)
        self._retranslate_key_field(key_field, destination.preset)
        self._update_destination_info()

    def _on_destination_form_edited(self, _text: str = "") -> None:
        if self._syncing:
            return
        self._store_destination_form()
        self._update_destination_info()

    def _on_server_editing_finished(self) -> None:
        """A pasted full push URL is split: the key goes to the masked key field."""
        destination = self._current_destination()
        if destination is None:
            return
        server, key = split_pasted_url(destination.preset, self.destination_server.currentText())
        if key:
            self.destination_server.setEditText(server)
            key_field = self.stream_key_field(destination.destination_id)
            key_field.line_edit.setText(key)
            key_field.user_edited = True
            self._store_destination_form()
            self._update_destination_info()

    def _store_destination_form(self) -> None:
        destination = self._current_destination()
        if destination is None:
            return
        destination.name = self.destination_name.text().strip() or destination.preset.name
        destination.server_url = self.destination_server.currentText().strip()
        item = self.destination_list.currentItem()
        if item is not None and item.text() != destination.name:
            item.setText(destination.name)
            self._refresh_active_combo()

    def _remove_destination(self) -> None:
        destination = self._current_destination()
        if destination is None:
            return
        row = self.destination_list.currentRow()
        self.settings.destinations.remove(destination)
        name = secrets.stream_key_name(destination.destination_id)
        self._deleted_secret_names.add(name)
        key_field = self._key_fields.pop(name)
        key_field.deleteLater()
        self.destination_list.takeItem(row)
        if self.settings.active_destination_id == destination.destination_id:
            self.settings.active_destination_id = None
        self._refresh_active_combo()

    def _refresh_active_combo(self) -> None:
        current = self.active_combo.currentData()
        if current is None and self.active_combo.count() == 0:
            current = self.settings.active_destination_id
        self.active_combo.blockSignals(True)
        self.active_combo.clear()
        self.active_combo.addItem(self.tr("Rehearsal — nothing is pushed"), None)
        for destination in self.settings.destinations:
            self.active_combo.addItem(destination.name, destination.destination_id)
        index = self.active_combo.findData(current)
        self.active_combo.setCurrentIndex(max(index, 0))
        self.active_combo.blockSignals(False)

    def _update_destination_info(self) -> None:
        destination = self._current_destination()
        if destination is None:
            return
        preset = destination.preset
        encoder = self._encoder_from_widgets()
        if preset.tiers:
            width, height = (int(v) for v in encoder.canvas.split("x"))
            tier = preset.tier_for(width, height, encoder.fps)
            assert tier is not None
            self.destination_limits.setText(
                self.tr(
                    "Recommended for %1: %2 kbps at %3p%4 (at most %5 kbps), a keyframe every "
                    "%6 s, up to %7×%8 at %9 fps."
                )
                .replace("%1", preset.name)
                .replace("%2", str(tier.recommended_kbps))
                .replace("%3", str(tier.height))
                .replace("%4", str(tier.fps))
                .replace("%5", str(tier.max_kbps))
                .replace("%6", str(preset.keyframe_interval_s))
                .replace("%7", str(preset.max_width))
                .replace("%8", str(preset.max_height))
                .replace("%9", str(preset.max_fps))
            )
        else:
            self.destination_limits.setText(
                self.tr("No platform limits are known for a custom server.")
            )
        problem = check_server_url(preset, destination.server_url)
        self.destination_server_error.setText(self._translate_server_problem(problem, preset))
        self.destination_server_error.setVisible(problem is not None)
        self._update_destination_warnings()

    def _update_destination_warnings(self, *_args: object) -> None:
        destination = self._current_destination()
        if destination is None:
            return
        warnings = encoder_warnings(destination.preset, self._encoder_from_widgets())
        if warnings:
            self.destination_warnings.setText(
                self.tr("The encoder settings exceed this platform's guidance:")
                + "\n"
                + "\n".join(f"• {w}" for w in warnings)
            )
        else:
            self.destination_warnings.setText("")
        self.apply_recommended_button.setEnabled(bool(destination.preset.tiers))

    def _apply_recommended(self) -> None:
        destination = self._current_destination()
        if destination is None:
            return
        encoder = recommended_encoder(destination.preset, self._encoder_from_widgets())
        self.fps_spin.setValue(encoder.fps)
        self.video_kbps_spin.setValue(encoder.video_kbps)
        self.audio_kbps_spin.setValue(encoder.audio_kbps)
        self.keyframe_spin.setValue(encoder.keyframe_interval_s)
        self._update_destination_info()

    def _translate_server_problem(self, problem: str | None, preset: PlatformPreset) -> str:
        if problem is None:
            return ""
        if problem.startswith("the server URL is empty"):
            return self.tr("%1 gives a server URL with each broadcast: paste it here.").replace(
                "%1", preset.name
            )
        if "RTMPS only" in problem:
            return self.tr("%1 accepts RTMPS only (rtmps://…).").replace("%1", preset.name)
        return self.tr("The server URL must start with rtmp:// or rtmps:// and name a host.")

    # ------------------------------------------------------------------ feeds

    def add_feed(self, kind: str) -> FeedSettings:
        feed = FeedSettings(feed_id=new_id(), kind=kind)
        self.settings.feeds.append(feed)
        self._add_feed_item(feed)
        self.feed_list.setCurrentRow(self.feed_list.count() - 1)
        return feed

    def _add_feed_item(self, feed: FeedSettings) -> None:
        item = QListWidgetItem(self._feed_title(feed))
        item.setData(Qt.ItemDataRole.UserRole, feed.feed_id)
        self.feed_list.addItem(item)
        name = secrets.feed_token_name(feed.feed_id)
        token_field = SecretLineEdit(self.feed_token_stack)
        token_field.setObjectName(f"feed-token-{feed.feed_id}")
        token_field.hide()
        token_field.set_loaded_text(self._loaded_secrets.get(name, ""))
        self.feed_token_layout.addWidget(token_field)
        self._key_fields[name] = token_field
        token_field.set_accessible_name(self.tr("Access token"))

    @staticmethod
    def _feed_title(feed: FeedSettings) -> str:
        return f"{feed.kind} — {feed.url}" if feed.url else feed.kind

    def _current_feed(self) -> FeedSettings | None:
        item = self.feed_list.currentItem()
        if item is None:
            return None
        feed_id = item.data(Qt.ItemDataRole.UserRole)
        return next((f for f in self.settings.feeds if f.feed_id == feed_id), None)

    def feed_token_field(self, feed_id: str) -> SecretLineEdit:
        return self._key_fields[secrets.feed_token_name(feed_id)]

    def _on_feed_selected(self, row: int) -> None:
        feed = self._current_feed() if row >= 0 else None
        self.feed_form_box.setEnabled(feed is not None)
        self.remove_feed_button.setEnabled(feed is not None)
        for name, token_field in self._key_fields.items():
            if name.startswith("feed/"):
                token_field.setVisible(
                    feed is not None and name == secrets.feed_token_name(feed.feed_id)
                )
        if feed is None:
            return
        self._syncing = True
        try:
            self._select_data(self.feed_kind, feed.kind)
            self.feed_url.setText(feed.url)
            self.feed_enabled.setChecked(feed.enabled)
        finally:
            self._syncing = False

    def _on_feed_form_edited(self, *_args: object) -> None:
        if not self._syncing:
            self._store_feed_form()

    def _store_feed_form(self) -> None:
        feed = self._current_feed()
        if feed is None:
            return
        feed.kind = self.feed_kind.currentData()
        feed.url = self.feed_url.text().strip()
        feed.enabled = self.feed_enabled.isChecked()
        item = self.feed_list.currentItem()
        if item is not None:
            item.setText(self._feed_title(feed))

    def _remove_feed(self) -> None:
        feed = self._current_feed()
        if feed is None:
            return
        self.settings.feeds.remove(feed)
        name = secrets.feed_token_name(feed.feed_id)
        self._deleted_secret_names.add(name)
        self._key_fields.pop(name).deleteLater()
        self.feed_list.takeItem(self.feed_list.currentRow())

    # ------------------------------------------------------------------ secrets

    def _load_secrets_async(self) -> None:
        names = list(self._key_fields)
        store = self._store
        relay = self._relay

        def load() -> None:
            found: dict[str, str] = {}
            for name in names:
                value = store.get(name)
                if value:
                    found[name] = value
            relay.secrets_loaded.emit(found)

        QThreadPool.globalInstance().start(load)

    def _on_secrets_loaded(self, found: dict[str, str]) -> None:
        self._loaded_secrets.update(found)
        for name, value in found.items():
            field = self._key_fields.get(name)
            if field is not None:
                field.set_loaded_text(value)
        self._update_keyring_status()

    def _update_keyring_status(self, *_args: object) -> None:
        if self._store.persistent:
            self.keyring_status.setText(
                self.tr("Stream keys and tokens are kept in the system keyring.")
            )
            self.keyring_notice.hide()
        else:
            text = self.tr(
                "No system keyring works on this computer (%1). Stream keys and tokens are kept "
                "for this run only and must be typed again next time."
            ).replace("%1", self._store.fallback_reason or "")
            self.keyring_status.setText(text)
            self.keyring_notice.setText(text)
            self.keyring_notice.show()

    def _write_secrets(self) -> None:
        for name in self._deleted_secret_names:
            self._store.delete(name)
        for name, field in self._key_fields.items():
            if field.user_edited:
                self._store.set(name, field.text().strip())

    # ------------------------------------------------------------------ devices

    def _on_tab_changed(self, index: int) -> None:
        if index == 1:
            self._list_microphones_async()
            self._restart_camera_preview()
            self._restart_microphone_level()
        else:
            self._stop_previews()

    def _restart_camera_preview(self, *_args: object) -> None:
        self._stop_camera_preview()
        if self.tabs.currentIndex() != 1:
            return
        spec = self.camera_combo.currentData() or "auto"
        self.camera_status.setText("")
        preview = CameraPreview(spec, self)
        preview.frame_ready.connect(self._on_camera_frame)
        preview.failed.connect(self._on_camera_failed)
        self._camera_preview = preview
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
        self.camera_status.setText(
            self.tr("Camera %1 could not be opened; the test pattern is shown.").replace("%1", spec)
        )

    def _stop_camera_preview(self) -> None:
        preview, self._camera_preview = self._camera_preview, None
        if preview is not None:
            preview.requestInterruption()
            preview.frame_ready.disconnect(self._on_camera_frame)
            # The loop checks the flag at least every 1/15 s; a read blocks at most one frame.
            preview.wait(2000)
            preview.deleteLater()

    def _restart_microphone_level(self, *_args: object) -> None:
        self._stop_microphone_level()
        if self.tabs.currentIndex() != 1:
            return
        microphone = MicrophoneLevel(self.microphone_combo.currentData() or "default")
        self._microphone = microphone
        self.microphone_status.setText("")
        relay = self._relay

        def start() -> None:
            started = microphone.start()
            relay.microphone_started.emit(started, microphone.error or "")

        threading.Thread(target=start, name="mic-level-start", daemon=True).start()

    def _on_microphone_started(self, started: bool, error: str) -> None:
        if started:
            self._mic_timer.start()
        elif error:
            self.microphone_status.setText(
                self.tr("The microphone could not be opened: %1").replace("%1", error)
            )

    def _update_mic_level(self) -> None:
        if self._microphone is not None:
            self.microphone_meter.setValue(int(self._microphone.level() * 100))

    def _stop_microphone_level(self) -> None:
        self._mic_timer.stop()
        self.microphone_meter.setValue(0)
        microphone, self._microphone = self._microphone, None
        if microphone is not None:
            microphone.stop()

    def _stop_previews(self) -> None:
        self._stop_camera_preview()
        self._stop_microphone_level()

    def _browse_camera_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("Video file as camera"),
            "",
            self.tr("Videos (*.mp4 *.mkv *.mov *.webm *.avi);;All files (*)"),
        )
        if path:
            if self.camera_combo.findData(path) < 0:
                self.camera_combo.addItem(Path(path).name, path)
            self._select_data(self.camera_combo, path)

    def _browse_recordings_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, self.tr("Folder for recordings"), self.recordings_dir_edit.text()
        )
        if path:
            self.recordings_dir_edit.setText(path)

    # ------------------------------------------------------------------ accept / close

    def validate(self) -> str | None:
        """The first problem that must be fixed before saving, as one translated line."""
        self.collect()
        for row, destination in enumerate(self.settings.destinations):
            problem = check_server_url(destination.preset, destination.server_url)
            if problem is not None:
                self.tabs.setCurrentIndex(0)
                self.destination_list.setCurrentRow(row)
                return f"{destination.name}: " + self._translate_server_problem(
                    problem, destination.preset
                )
        for row, feed in enumerate(self.settings.feeds):
            if feed.kind != "rehearsal" and not feed.url.lower().startswith(
                ("http://", "https://")
            ):
                self.tabs.setCurrentIndex(3)
                self.feed_list.setCurrentRow(row)
                return self.tr("Feed %1: the URL must start with http:// or https://.").replace(
                    "%1", feed.kind
                )
        return None

    def accept(self) -> None:
        problem = self.validate()
        if problem:
            self.error_label.setText(problem)
            self.error_label.show()
            return
        self.error_label.hide()
        self._stop_previews()
        self._write_secrets()
        try:
            save_settings(self.settings, self._settings_file)
        except OSError as error:
            self.error_label.setText(
                self.tr("The settings could not be saved: %1").replace(
                    "%1", error.strerror or str(error)
                )
            )
            self.error_label.show()
            return
        language_changed = self.settings.language != self._original.language
        self.settings_saved.emit(copy.deepcopy(self.settings))
        if language_changed:
            app = QApplication.instance()
            if app is not None:
                i18n.install(app, self.settings.language)
            self.language_changed.emit(self.settings.language)
        super().accept()

    def reject(self) -> None:
        self._stop_previews()
        super().reject()

    def done(self, result: int) -> None:
        self._stop_previews()
        super().done(result)

    def closeEvent(self, event: object) -> None:
        self._stop_previews()
        super().closeEvent(event)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ translation

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate_key_field(self, key_field: SecretLineEdit, preset: PlatformPreset) -> None:
        if preset.server_is_per_broadcast and preset.preset_id != "custom":
            key_field.set_placeholder(self.tr("Stream key (push code) given with the server URL"))
        else:
            key_field.set_placeholder(self.tr("Paste the stream key from the platform"))
        key_field.set_accessible_name(self.tr("Stream key"))

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Settings"))
        self.tabs.setTabText(0, self.tr("Destinations"))
        self.tabs.setTabText(1, self.tr("Devices"))
        self.tabs.setTabText(2, self.tr("Encoder"))
        self.tabs.setTabText(3, self.tr("Feeds"))
        self.tabs.setTabText(4, self.tr("General"))
        self.tabs.setTabText(self.tabs.indexOf(self.remote_page), self.remote_page.title())
        self.active_label.setText(self.tr("Go live to:"))
        if self.active_combo.count():
            self.active_combo.setItemText(0, self.tr("Rehearsal — nothing is pushed"))
        self.add_destination_button.setText(self.tr("Add"))
        self.remove_destination_button.setText(self.tr("Remove"))
        self.destination_list.setAccessibleName(self.tr("Destinations"))
        self.destination_form_box.setTitle(self.tr("Destination"))
        self.destination_name_label.setText(self.tr("&Name:"))
        self.destination_platform_label.setText(self.tr("&Platform:"))
        self.destination_server_label.setText(self.tr("&Server:"))
        self.destination_key_label.setText(self.tr("Stream &key:"))
        self.apply_recommended_button.setText(self.tr("Use the platform's recommended encoder"))
        for name, key_field in self._key_fields.items():
            if name.startswith("destination/"):
                destination_id = name.split("/")[1]
                destination = self.settings.destination(destination_id)
                if destination is not None:
                    self._retranslate_key_field(key_field, destination.preset)
            else:
                key_field.set_accessible_name(self.tr("Access token"))
                key_field.set_placeholder(self.tr("Token, if the feed needs one"))

        self.camera_label.setText(self.tr("&Camera:"))
        self.camera_combo.setItemText(0, self.tr("Automatic (first camera, else test pattern)"))
        self.camera_combo.setItemText(1, self.tr("Test pattern"))
        self.camera_browse.setText(self.tr("Video file…"))
        if self.camera_preview_label.pixmap().isNull():
            self.camera_preview_label.setText(self.tr("Preview"))
        self.microphone_label.setText(self.tr("&Microphone:"))
        self.microphone_combo.setItemText(0, self.tr("Default microphone"))
        self.microphone_combo.setItemText(1, self.tr("Test tone"))
        self.microphone_combo.setItemText(2, self.tr("No audio"))
        self.microphone_meter.setAccessibleName(self.tr("Microphone level"))

        encoder = self.encoder_combo.currentData()
        self.encoder_combo.clear()
        self.encoder_combo.addItem(self.tr("x264 (software)"), "libx264")
        self.encoder_combo.addItem(self.tr("Automatic (hardware if available)"), "auto")
        self._select_data(self.encoder_combo, encoder or self.settings.encoder.encoder)
        for label, text in zip(
            self.encoder_labels,
            (
                self.tr("&Encoder:"),
                self.tr("&Canvas:"),
                self.tr("&Frame rate (fps):"),
                self.tr("&Video bitrate (kbps):"),
                self.tr("&Audio bitrate (kbps):"),
                self.tr("&Keyframe interval (s):"),
                self.tr("Recordings &folder:"),
            ),
            strict=True,
        ):
            label.setText(text)
        self.record_check.setText(self.tr("Record a local copy"))
        self.recordings_dir_edit.setPlaceholderText(self.tr("The Videos folder"))
        self.recordings_dir_browse.setText(self.tr("Browse…"))

        self.add_feed_button.setText(self.tr("Add"))
        self.remove_feed_button.setText(self.tr("Remove"))
        self.feed_list.setAccessibleName(self.tr("Feeds"))
        self.feed_form_box.setTitle(self.tr("Feed"))
        self.feed_kind_label.setText(self.tr("&Kind:"))
        self.feed_url_label.setText(self.tr("&URL:"))
        self.feed_token_label.setText(self.tr("&Token:"))
        self.feed_enabled.setText(self.tr("Enabled"))

        self.language_label.setText(self.tr("&Language:"))
        self.language_combo.setItemText(0, self.tr("System language"))
        self._update_keyring_status()
        self._update_destination_info()
