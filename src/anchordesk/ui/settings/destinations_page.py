"""Settings page: where the show is pushed (platform, server, stream key) and which one is used.

The form never moves under the pointer: the server URL's hint keeps its space when it is empty,
so the key field stays where the user aimed. A stream key never goes into the settings: the key
field is masked and kept in the keyring, a full push URL pasted as the server is split, and a
server URL that still holds a key is refused (``live.settings.check_server_url``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core import secrets
from anchordesk.core.printable import escape_controls
from anchordesk.live.destinations import password_name, split_password
from anchordesk.live.settings import (
    PRESETS,
    SERVER_URL_HOLDS_KEY,
    Destination,
    EncoderSettings,
    PlatformPreset,
    check_server_url,
    encoder_warnings,
    new_id,
    recommended_encoder,
    split_pasted_url,
)
from anchordesk.ui.settings.keyring_text import KeyringNote
from anchordesk.ui.settings.page import PageContext, SettingsPage, select_data
from anchordesk.ui.settings.secret_field import SecretLineEdit
from anchordesk.ui.words import quoted_text

HINT_LINES = 3  # the server hint's reserved height, in lines (a Japanese hint takes three)


def platform_name(preset: PlatformPreset) -> str:
    """A platform as the user reads it: brands as they are ("YouTube", "抖音 Douyin"), the
    generic one in the window's language (it showed "Custom RTMP / RTMPS" in Chinese)."""
    if preset.preset_id == "custom":
        return QCoreApplication.translate("Platforms", "Custom RTMP / RTMPS")
    return preset.name


class DestinationsPage(SettingsPage):
    """Destinations list, the form of the selected one, and the "Go live to" choice."""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("destinations-page")
        self._syncing = False
        # Set by the dialog: shows rates on the encoder page (the pages stay independent files).
        self.apply_encoder: Callable[[EncoderSettings], None] | None = None
        self.active_label = QLabel(self)
        self.active_combo = QComboBox(self)
        self.active_combo.setObjectName("active-destination")
        # As wide as the page allows, not as the longest name (3,000 characters: 35,000 px).
        self.active_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.active_combo.setMinimumContentsLength(24)
        self.active_label.setBuddy(self.active_combo)
        self.destination_list = QListWidget(self)
        self.destination_list.setObjectName("destination-list")
        self.destination_list.currentRowChanged.connect(self._on_destination_selected)
        self.add_button = QPushButton(self)
        self.add_button.setObjectName("add-destination")
        self.add_menu = QMenu(self.add_button)
        for preset in PRESETS.values():
            action = self.add_menu.addAction(platform_name(preset))
            action.setData(preset.preset_id)
            action.triggered.connect(
                lambda _checked=False, pid=preset.preset_id: self.add_destination(pid)
            )
        self.add_button.setMenu(self.add_menu)
        self.remove_button = QPushButton(self)
        self.remove_button.setObjectName("remove-destination")
        self.remove_button.clicked.connect(self._remove_destination)

        left = QVBoxLayout()
        left.addWidget(self.destination_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)

        box = QGroupBox(self)
        self.form_box = box
        form = QFormLayout(box)
        self.name = QLineEdit(box)
        self.name.setObjectName("destination-name")
        self.platform = QComboBox(box)
        self.platform.setObjectName("destination-platform")
        for preset in PRESETS.values():
            self.platform.addItem(platform_name(preset), preset.preset_id)
        self.server = QComboBox(box)
        self.server.setObjectName("destination-server")
        self.server.setEditable(True)
        self.server.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.server_error = QLabel(box)
        self.server_error.setObjectName("destination-server-error")
        self.server_error.setTextFormat(Qt.TextFormat.PlainText)
        self.server_error.setStyleSheet("color: #c62828;")
        self.server_error.setWordWrap(True)
        self.server_error.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # Reserved: the key field below must not jump when the hint comes and goes. Measured on
        # CJK text too: a fallback font for Chinese or Japanese has taller lines.
        metrics = self.server_error.fontMetrics()
        line_px = max(metrics.lineSpacing(), metrics.boundingRect("推流密钥ストリーム").height())
        self.server_error.setFixedHeight(HINT_LINES * line_px + 2)
        self.key_stack = QWidget(box)
        self.key_stack.setObjectName("stream-key-stack")
        self.key_layout = QVBoxLayout(self.key_stack)
        self.key_layout.setContentsMargins(0, 0, 0, 0)
        self.keyring_note = KeyringNote(context.store, box)
        self.limits = QLabel(box)
        self.limits.setTextFormat(Qt.TextFormat.PlainText)
        self.limits.setWordWrap(True)
        self.warnings = QLabel(box)
        self.warnings.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #b35c00;")
        self.apply_recommended_button = QPushButton(box)
        self.apply_recommended_button.setObjectName("apply-recommended")
        self.apply_recommended_button.clicked.connect(self._apply_recommended)
        self.name_label = QLabel(box)
        self.platform_label = QLabel(box)
        self.server_label = QLabel(box)
        self.key_label = QLabel(box)
        form.addRow(self.name_label, self.name)
        form.addRow(self.platform_label, self.platform)
        form.addRow(self.server_label, self.server)
        form.addRow("", self.server_error)
        form.addRow(self.key_label, self.key_stack)
        form.addRow("", self.keyring_note)
        form.addRow(self.limits)
        form.addRow(self.warnings)
        form.addRow(self.apply_recommended_button)
        for label, buddy in (
            (self.name_label, self.name),
            (self.platform_label, self.platform),
            (self.server_label, self.server),
            # Until a destination is selected; then its own key field (see below).
            (self.key_label, self.key_stack),
        ):
            label.setBuddy(buddy)

        self.name.textEdited.connect(self._on_form_edited)
        self.platform.currentIndexChanged.connect(self._on_platform_changed)
        self.server.editTextChanged.connect(self._on_form_edited)
        server_edit = self.server.lineEdit()
        if server_edit is not None:
            server_edit.editingFinished.connect(self._on_server_editing_finished)

        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addWidget(box, 2)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.active_label)
        top.addWidget(self.active_combo, 1)
        layout.addLayout(top)
        layout.addLayout(columns, 1)

    # -- SettingsPage ------------------------------------------------------------------------

    def title(self) -> str:
        return self.tr("Destinations")

    def fill(self) -> None:
        self.destination_list.clear()
        for destination in self.settings.destinations:
            self._add_item(destination)
        self._refresh_active_combo()
        if self.settings.destinations:
            self.destination_list.setCurrentRow(0)
        else:
            self._on_destination_selected(-1)

    def collect(self) -> None:
        self._store_form()
        self.settings.active_destination_id = self.active_combo.currentData()

    def validate(self) -> str | None:
        for row, destination in enumerate(self.settings.destinations):
            problem = check_server_url(destination.preset, destination.server_url)
            if problem is not None:
                self.destination_list.setCurrentRow(row)
                return f"{quoted_text(destination.name)}: " + self.server_problem_text(
                    problem, destination.preset
                )
        return None

    def retranslate(self) -> None:
        self.active_label.setText(self.tr("&Go live to:"))
        if self.active_combo.count():
            self.active_combo.setItemText(0, self.tr("Rehearsal — nothing is pushed"))
        self.add_button.setText(self.tr("A&dd"))
        for action in self.add_menu.actions():
            action.setText(platform_name(PRESETS[action.data()]))
        for index in range(self.platform.count()):
            self.platform.setItemText(index, platform_name(PRESETS[self.platform.itemData(index)]))
        self.remove_button.setText(self.tr("&Remove"))
        self.destination_list.setAccessibleName(self.tr("Destinations"))
        self.form_box.setTitle(self.tr("Destination"))
        self.name_label.setText(self.tr("&Name:"))
        self.platform_label.setText(self.tr("&Platform:"))
        self.server_label.setText(self.tr("&Server:"))
        self.key_label.setText(self.tr("Stream &key:"))
        self.apply_recommended_button.setText(self.tr("Use the platform's recommended encoder"))
        for name, key_field in self.context.secret_fields.fields.items():
            if name.startswith("destination/"):
                destination = self.settings.destination(name.split("/")[1])
                if destination is not None:
                    self._retranslate_key_field(key_field, destination.preset)
        self.keyring_note.refresh()
        self.update_info()

    # -- destinations ------------------------------------------------------------------------

    def add_destination(self, preset_id: str) -> Destination:
        preset = PRESETS[preset_id]
        destination = Destination(
            destination_id=new_id(),
            name=self._unique_name(platform_name(preset)),
            preset_id=preset_id,
            server_url=preset.servers[0] if preset.servers else "",
        )
        self.settings.destinations.append(destination)
        self._add_item(destination)
        self._refresh_active_combo()
        if self.active_combo.currentData() is None and len(self.settings.destinations) == 1:
            select_data(self.active_combo, destination.destination_id)
        self.destination_list.setCurrentRow(self.destination_list.count() - 1)
        self.name.setFocus()
        return destination

    def select_destination(self, destination_id: str) -> None:
        for row in range(self.destination_list.count()):
            item = self.destination_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == destination_id:
                self.destination_list.setCurrentRow(row)
                return

    def stream_key_field(self, destination_id: str) -> SecretLineEdit:
        return self.context.secret_fields.fields[secrets.stream_key_name(destination_id)]

    def _unique_name(self, base: str) -> str:
        names = {d.name for d in self.settings.destinations}
        if base not in names:
            return base
        number = 2
        while f"{base} {number}" in names:
            number += 1
        return f"{base} {number}"

    def _add_item(self, destination: Destination) -> None:
        item = QListWidgetItem(escape_controls(destination.name))  # as text: no RLO at work
        item.setData(Qt.ItemDataRole.UserRole, destination.destination_id)
        self.destination_list.addItem(item)
        # Each destination has its own key field, so a key typed for one never moves to another.
        key_field = SecretLineEdit(self.key_stack)
        key_field.setObjectName(f"stream-key-{destination.destination_id}")
        key_field.hide()
        self.key_layout.addWidget(key_field)
        self.context.secret_fields.add(
            secrets.stream_key_name(destination.destination_id), key_field
        )
        self._retranslate_key_field(key_field, destination.preset)
        # The login password of the server URL (rtmp://USER:PASSWORD@…) goes to the keyring
        # as the key does; never shown, never in the settings file (R17ui).
        password_field = SecretLineEdit(self)
        password_field.setObjectName(f"server-password-{destination.destination_id}")
        password_field.hide()
        self.context.secret_fields.add(password_name(destination.destination_id), password_field)

    def current_destination(self) -> Destination | None:
        item = self.destination_list.currentItem()
        if item is None:
            return None
        return self.settings.destination(item.data(Qt.ItemDataRole.UserRole))

    def _on_destination_selected(self, row: int) -> None:
        destination = self.current_destination() if row >= 0 else None
        self.form_box.setEnabled(destination is not None)
        self.remove_button.setEnabled(destination is not None)
        wanted = secrets.stream_key_name(destination.destination_id) if destination else None
        for name, key_field in self.context.secret_fields.fields.items():
            if name.startswith("destination/") and name.endswith("/stream_key"):
                key_field.setVisible(name == wanted)
                if name == wanted:
                    # Alt+K goes to this destination's field (a label's buddy must take focus).
                    self.key_label.setBuddy(key_field.line_edit)
        if destination is None:
            self.limits.setText("")
            self.warnings.setText("")
            self.server_error.setText("")
            return
        self._syncing = True
        try:
            self.name.setText(destination.name)
            select_data(self.platform, destination.preset_id)
            self._fill_servers(destination.preset, destination.server_url)
        finally:
            self._syncing = False
        self.update_info()

    def _fill_servers(self, preset: PlatformPreset, current: str) -> None:
        self.server.blockSignals(True)
        self.server.clear()
        for server in preset.servers:
            self.server.addItem(server)
        self.server.setEditText(current)
        line_edit = self.server.lineEdit()
        if line_edit is not None:
            line_edit.setPlaceholderText(preset.server_placeholder)
        self.server.blockSignals(False)

    def _on_platform_changed(self, _index: int) -> None:
        destination = self.current_destination()
        if destination is None or self._syncing:
            return
        preset_id = self.platform.currentData()
        if preset_id == destination.preset_id:
            return
        old_servers = destination.preset.servers
        destination.preset_id = preset_id
        server = destination.server_url
        if not server or server in old_servers:
            server = destination.preset.servers[0] if destination.preset.servers else ""
        destination.server_url = server
        self._fill_servers(destination.preset, server)
        self._retranslate_key_field(
            self.stream_key_field(destination.destination_id), destination.preset
        )
        self.update_info()

    def _on_form_edited(self, _text: str = "") -> None:
        if self._syncing:
            return
        self._store_form()
        self.update_info()

    def _on_server_editing_finished(self) -> None:
        """A pasted full push URL is split: the key goes to the masked key field."""
        destination = self.current_destination()
        if destination is None:
            return
        without_password, password = split_password(self.server.currentText())
        if password is not None:
            # Kept by _store_form; the field shows the URL without it.
            self._store_form()
            self.server.setEditText(without_password)
        server, key = split_pasted_url(destination.preset, self.server.currentText())
        if key:
            self.server.setEditText(server)
            key_field = self.stream_key_field(destination.destination_id)
            key_field.line_edit.setText(key)
            key_field.user_edited = True
            self._store_form()
            self.update_info()

    def _store_form(self) -> None:
        destination = self.current_destination()
        if destination is None:
            return
        destination.name = self.name.text().strip() or platform_name(destination.preset)
        server_url, password = split_password(self.server.currentText().strip())
        destination.server_url = server_url
        password_field = self.context.secret_fields.fields.get(
            password_name(destination.destination_id)
        )
        # A password typed in the URL is kept in the keyring; a URL without a user drops the
        # one kept; "USER@" alone keeps it.
        changed = password is not None or "@" not in server_url
        if password_field is not None and changed and password_field.text() != (password or ""):
            password_field.line_edit.setText(password or "")
            password_field.user_edited = True
        item = self.destination_list.currentItem()
        if item is not None and item.text() != escape_controls(destination.name):
            item.setText(escape_controls(destination.name))
            self._refresh_active_combo()

    def _remove_destination(self) -> None:
        destination = self.current_destination()
        if destination is None:
            return
        row = self.destination_list.currentRow()
        self.settings.destinations.remove(destination)
        self.context.secret_fields.remove(secrets.stream_key_name(destination.destination_id))
        self.context.secret_fields.remove(password_name(destination.destination_id))
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
            # Written out as the list beside it writes it: an override turned the line around.
            self.active_combo.addItem(escape_controls(destination.name), destination.destination_id)
        index = self.active_combo.findData(current)
        self.active_combo.setCurrentIndex(max(index, 0))
        self.active_combo.blockSignals(False)

    # -- limits and hints --------------------------------------------------------------------

    def update_info(self, *_args: object) -> None:
        destination = self.current_destination()
        if destination is None:
            return
        preset = destination.preset
        encoder = self.context.encoder()
        if preset.tiers:
            width, height = (int(v) for v in encoder.canvas.split("x"))
            tier = preset.tier_for(width, height, encoder.fps)
            assert tier is not None
            self.limits.setText(
                self.tr(
                    "Recommended for %1: %2 kbps at %3p%4 (at most %5 kbps), a keyframe every "
                    "%6 s, up to %7×%8 at %9 fps."
                )
                .replace("%1", platform_name(preset))
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
            self.limits.setText(self.tr("No platform limits are known for a custom server."))
        problem = check_server_url(preset, destination.server_url)
        self.server_error.setText(self.server_problem_text(problem, preset))
        warnings = encoder_warnings(preset, encoder)
        if warnings:
            self.warnings.setText(
                self.tr("The encoder settings exceed this platform's guidance:")
                + "\n"
                + "\n".join(f"• {w}" for w in warnings)
            )
        else:
            self.warnings.setText("")
        self.apply_recommended_button.setEnabled(bool(preset.tiers))

    def _apply_recommended(self) -> None:
        destination = self.current_destination()
        if destination is None or self.apply_encoder is None:
            return
        self.apply_encoder(recommended_encoder(destination.preset, self.context.encoder()))
        self.update_info()

    def server_problem_text(self, problem: str | None, preset: PlatformPreset) -> str:
        if problem is None:
            return ""
        if problem == SERVER_URL_HOLDS_KEY:
            return self.tr("This looks like a stream key: put it in the Stream key field.")
        if problem.startswith("the server URL is empty"):
            return self.tr("%1 gives a server URL with each broadcast: paste it here.").replace(
                "%1", platform_name(preset)
            )
        if problem.startswith("the server's name"):
            return self.tr(
                "The server's name in the URL is not a valid host name: each part between two "
                "dots has 1 to 63 characters."
            )
        if problem.startswith("the port "):
            return self.tr("The port in the server URL must be a number from 1 to 65535.")
        if "RTMPS only" in problem:
            return self.tr("%1 accepts RTMPS only (rtmps://…).").replace(
                "%1", platform_name(preset)
            )
        return self.tr("The server URL must start with rtmp:// or rtmps:// and name a host.")

    def _retranslate_key_field(self, key_field: SecretLineEdit, preset: PlatformPreset) -> None:
        if preset.server_is_per_broadcast and preset.preset_id != "custom":
            key_field.set_placeholder(self.tr("Stream key (push code) given with the server URL"))
        else:
            key_field.set_placeholder(self.tr("Paste the stream key from the platform"))
        key_field.set_accessible_name(self.tr("Stream key"))
