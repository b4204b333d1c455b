"""Settings → Remote control: on/off, port, "allow other devices on this network", the token
(masked, with a reveal button) and the web remote's address as a QR code for a phone.

The page edits ``Settings.remote``; when the dialog saves, the window's ``RemoteControl``
starts, moves or stops the server. The token never goes into the settings file.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from anchordesk.live.settings import RemoteSettings
from anchordesk.ui.remote import RemoteControl
from anchordesk.ui.settings.page import PageContext, SettingsPage
from anchordesk.ui.settings.secret_field import SecretLineEdit


def qr_image(text: str, module_px: int = 5, border: int = 4) -> QImage:
    """``text`` as a QR code (segno computes the modules; Qt draws them)."""
    import segno

    matrix = segno.make(text, error="m").matrix
    size = (len(matrix) + 2 * border) * module_px
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    black = QColor("black").rgb()
    for row_index, row in enumerate(matrix):
        for column_index, dark in enumerate(row):
            if not dark:
                continue
            x0 = (column_index + border) * module_px
            y0 = (row_index + border) * module_px
            for y in range(y0, y0 + module_px):
                for x in range(x0, x0 + module_px):
                    image.setPixel(x, y, black)
    return image


class RemotePage(SettingsPage):
    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("remote-page")
        # The window's server; a dialog opened without one (tests, first run) gets its own,
        # which starts nothing until saved.
        remote = context.remote or RemoteControl(lambda: None, context.store, self)
        self.remote = remote
        self.enabled_check = QCheckBox(self)
        self.port_label = QLabel(self)
        self.port_spin = QSpinBox(self)
        self.port_spin.setRange(1024, 65535)
        self.lan_check = QCheckBox(self)
        self.token_label = QLabel(self)
        self.token_field = SecretLineEdit(self)
        self.new_token_button = QPushButton(self)
        self.token_notice = QLabel(self)
        self.token_notice.setWordWrap(True)
        self.token_notice.setTextFormat(Qt.TextFormat.PlainText)
        self.token_notice.setStyleSheet("color: #b35c00;")
        self.address_label = QLabel(self)
        self.address_value = QLabel(self)
        self.address_value.setTextFormat(Qt.TextFormat.PlainText)
        self.address_value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton(self)
        self.qr_label = QLabel(self)
        self.qr_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)

        form = QFormLayout()
        form.addRow(self.enabled_check)
        form.addRow(self.port_label, self.port_spin)
        form.addRow(self.lan_check)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_field, 1)
        token_row.addWidget(self.new_token_button)
        form.addRow(self.token_label, token_row)
        form.addRow(self.token_notice)
        address_row = QHBoxLayout()
        address_row.addWidget(self.address_value, 1)
        address_row.addWidget(self.copy_button)
        form.addRow(self.address_label, address_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.qr_label, 1)
        layout.addWidget(self.status_label)

        current = self.settings.remote
        self.enabled_check.setChecked(current.enabled)
        self.port_spin.setValue(current.port)
        self.lan_check.setChecked(current.allow_lan)
        self.token_field.line_edit.setReadOnly(True)  # made here, not typed
        for signal in (self.enabled_check.toggled, self.lan_check.toggled):
            signal.connect(self._update)
        self.port_spin.valueChanged.connect(self._update)
        self.new_token_button.clicked.connect(self._new_token)
        self.copy_button.clicked.connect(self._copy_address)
        remote.changed.connect(self._update)
        self.retranslate()
        self._update()

    def collect(self) -> None:
        self.settings.remote = self.wanted()

    def wanted(self) -> RemoteSettings:
        return RemoteSettings(
            enabled=self.enabled_check.isChecked(),
            port=self.port_spin.value(),
            allow_lan=self.lan_check.isChecked(),
        )

    def saved(self) -> None:
        """The dialog saved: the window's server follows the page (a dialog without the window's
        server only writes the setting; the window applies it when it starts)."""
        if self.context.remote is not None:
            self.remote.apply(self.wanted())

    def title(self) -> str:
        return self.tr("Remote control")

    def _new_token(self) -> None:
        self.token_field.set_loaded_text(self.remote.new_token())
        self._update()

    def _copy_address(self) -> None:
        clipboard = QApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.remote.address(self.wanted()))

    def _update(self, *_args: object) -> None:
        wanted = self.wanted()
        on = wanted.enabled
        for widget in (self.port_spin, self.lan_check, self.token_field, self.new_token_button):
            widget.setEnabled(on)
        self.copy_button.setEnabled(on and not self.remote.error)
        if on:
            # The token is made (and kept in the keyring) the first time the remote is on.
            self.token_field.set_loaded_text(self.remote.token())
        if on and not self.remote.error:
            address = self.remote.address(wanted)
            # The token travels in the QR code (a phone scans it once); on screen it is masked.
            self.address_value.setText(address.split("?", 1)[0])
            self.qr_label.setPixmap(QPixmap.fromImage(qr_image(address)))
        else:
            # Not while another program holds the port: a phone scanning the code would give
            # the token to that program.
            self.address_value.setText("")
            self.qr_label.clear()
        self.token_notice.setVisible(not self.remote.token_persistent)
        if self.remote.error:
            self.status_label.setText(self.remote.error)
        elif on != self.remote.running:
            self.status_label.setText(self.tr("Takes effect when the settings are saved."))
        elif self.remote.running and self.remote.server is not None:
            self.status_label.setText(
                self.tr("Listening at %1").replace("%1", self.remote.server.url)
            )
        else:
            self.status_label.setText(self.tr("Off: nothing listens."))

    def retranslate(self) -> None:
        self.enabled_check.setText(self.tr("Let a phone, a stream deck or a script run the show"))
        self.port_label.setText(self.tr("Port:"))
        self.lan_check.setText(self.tr("Allow other devices on this network"))
        self.token_label.setText(self.tr("Token:"))
        self.token_field.set_accessible_name(self.tr("Remote control token"))
        self.new_token_button.setText(self.tr("New token"))
        self.new_token_button.setToolTip(
            self.tr("Make a new token: phones and scripts with the old one are refused")
        )
        self.token_notice.setText(
            self.tr(
                "No keyring on this computer: this token is for this run only; AnchorDesk "
                "makes a new one the next time it starts."
            )
        )
        self.address_label.setText(self.tr("Web remote:"))
        self.copy_button.setText(self.tr("Copy address with token"))
        self.qr_label.setToolTip(self.tr("Scan with the phone's camera to open the web remote"))
        self._update()
