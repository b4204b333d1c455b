"""The settings dialog and its parts."""

from anchordesk.ui.settings.dialog import SettingsDialog
from anchordesk.ui.settings.secret_field import SecretLineEdit

__all__ = ["SecretLineEdit", "SettingsDialog"]
