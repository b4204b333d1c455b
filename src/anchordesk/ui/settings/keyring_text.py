"""What the window says about where stream keys and tokens are kept, in the user's language.

One wording for the settings pages and the go-live check: what the state means (kept for this
run only) and what to do about it (get a keyring), never a backend's exception text.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QLabel, QWidget

from anchordesk.core.secrets import KeyringProblem, SecretStore


def keyring_state_text(store: SecretStore) -> str:
    """One or two sentences: where keys are kept; if only in memory, why and how to fix it."""
    problem = store.problem
    if problem is None:
        return QCoreApplication.translate(
            "Keyring", "Stream keys and tokens are kept in the system keyring."
        )
    if problem is KeyringProblem.NO_BACKEND:
        return QCoreApplication.translate(
            "Keyring",
            "No system keyring was found on this computer, so stream keys and tokens are kept "
            "for this run only: after AnchorDesk closes they must be typed again. To keep them, "
            "install a keyring (GNOME Keyring or KWallet on Linux; macOS and Windows have one) "
            "and restart AnchorDesk.",
        )
    return QCoreApplication.translate(
        "Keyring",
        "The system keyring did not answer or refused access (it may be locked), so stream "
        "keys and tokens are kept for this run only: after AnchorDesk closes they must be typed "
        "again. Unlock the keyring and restart AnchorDesk to keep them.",
    )


def missing_key_reason(store: SecretStore) -> str:
    """Why a destination has no key, for the go-live check (one line)."""
    if store.problem is KeyringProblem.NO_BACKEND:
        return QCoreApplication.translate(
            "Keyring",
            "missing: no system keyring on this computer, so keys last one run only. Type it "
            "again in Settings (or install a keyring to keep it).",
        )
    if store.problem is KeyringProblem.UNAVAILABLE:
        return QCoreApplication.translate(
            "Keyring",
            "missing: the system keyring did not answer (it may be locked). Unlock it, or type "
            "the key again in Settings for this run.",
        )
    return QCoreApplication.translate(
        "Keyring", "missing: no key is saved for this destination. Type it in Settings."
    )


class KeyringNote(QLabel):
    """A plain-text, wrapped, amber note shown only while keys are kept in memory."""

    def __init__(self, store: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setObjectName("keyring-note")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setStyleSheet("color: #b35c00;")
        self.refresh()

    def refresh(self) -> None:
        self.setText(keyring_state_text(self.store))
        self.setVisible(not self.store.persistent)
