"""The settings dialog and its parts."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QWidget

from anchordesk.live.settings import load_settings
from anchordesk.ui.settings.dialog import SettingsDialog
from anchordesk.ui.settings.secret_field import SecretLineEdit


def open_settings(parent: QWidget | None = None, *, stream_key_for: str | None = None) -> bool:
    """Show the settings dialog on the saved settings; True when the user saved changes.

    ``stream_key_for`` (a destination id) opens it on that destination's stream key field.
    The dialog writes the settings file and the keyring itself; the caller reloads what it
    needs (``anchordesk.live.settings.load_settings()``).
    """
    dialog = SettingsDialog(load_settings(), parent)
    if stream_key_for is not None:
        dialog.open_stream_key(stream_key_for)
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()


__all__ = ["SecretLineEdit", "SettingsDialog", "open_settings"]
