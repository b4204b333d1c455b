"""The settings dialog and its parts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QWidget

from anchordesk.live.settings import load_settings
from anchordesk.ui.settings.dialog import SettingsDialog
from anchordesk.ui.settings.secret_field import SecretLineEdit

if TYPE_CHECKING:
    from anchordesk.ui.remote import RemoteControl


def open_settings(parent: QWidget | None = None, remote: RemoteControl | None = None) -> bool:
    """Show the settings dialog on the saved settings; True when the user saved changes.

    The dialog writes the settings file and the keyring itself; the caller reloads what it
    needs (``anchordesk.live.settings.load_settings()``).
    """
    dialog = SettingsDialog(load_settings(), parent, remote=remote)
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()


__all__ = ["SecretLineEdit", "SettingsDialog", "open_settings"]
