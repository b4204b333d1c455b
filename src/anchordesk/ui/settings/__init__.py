"""The settings dialog and its parts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QWidget

from anchordesk.live.settings import load_settings
from anchordesk.ui.settings.dialog import SettingsDialog
from anchordesk.ui.settings.secret_field import SecretLineEdit

if TYPE_CHECKING:
    from anchordesk.ui.remote import RemoteControl


def open_settings(
    parent: QWidget | None = None,
    remote: RemoteControl | None = None,
    *,
    stream_key_for: str | None = None,
) -> bool:
    """Show the settings dialog on the saved settings; True when the user saved changes.

    ``remote`` is the window's remote-control server (its page starts, moves or stops it);
    ``stream_key_for`` (a destination id) opens the dialog on that destination's stream key
    field. The dialog writes the settings file and the keyring itself; the caller reloads what
    it needs (``anchordesk.live.settings.load_settings()``).
    """
    dialog = SettingsDialog(load_settings(), parent, remote=remote)
    if stream_key_for is not None:
        dialog.open_stream_key(stream_key_for)
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()


__all__ = ["SecretLineEdit", "SettingsDialog", "open_settings"]
