"""What every settings page is: a widget that fills itself from the settings, writes back into
them, and names the first problem that must be fixed before saving.

The dialog (``dialog.py``) holds the list of pages; adding a page is one line there. Pages that
edit secrets (stream keys, feed tokens) register their masked fields with :class:`SecretFields`,
which the dialog fills from the keyring (in a worker) and writes on accept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QComboBox, QWidget

from anchordesk.core import secrets
from anchordesk.live.settings import EncoderSettings, Settings
from anchordesk.ui.settings.secret_field import SecretLineEdit

if TYPE_CHECKING:
    from anchordesk.ui.remote import RemoteControl


@dataclass
class SecretFields:
    """The masked fields of every page by secret name, with what the keyring held.

    A field stays registered until its row is removed; a removed row's secret is deleted on
    accept.
    """

    fields: dict[str, SecretLineEdit] = field(default_factory=dict)
    loaded: dict[str, str] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)

    def add(self, name: str, secret_field: SecretLineEdit) -> None:
        secret_field.set_loaded_text(self.loaded.get(name, ""))
        self.fields[name] = secret_field
        self.deleted.discard(name)

    def remove(self, name: str) -> None:
        self.deleted.add(name)
        secret_field = self.fields.pop(name, None)
        if secret_field is not None:
            secret_field.deleteLater()

    def fill(self, found: dict[str, str]) -> None:
        self.loaded.update(found)
        for name, value in found.items():
            secret_field = self.fields.get(name)
            if secret_field is not None:
                secret_field.set_loaded_text(value)

    def pending(self) -> tuple[list[str], dict[str, str]]:
        """(names to delete, {name: value} to store): read on the Qt thread, from the fields."""
        values = {
            name: secret_field.text().strip()
            for name, secret_field in self.fields.items()
            if secret_field.user_edited
        }
        return sorted(self.deleted), values

    @staticmethod
    def write(store: secrets.SecretStore, deleted: list[str], values: dict[str, str]) -> None:
        """Blocking (the keyring may wait on D-Bus or an unlock prompt): run in a worker."""
        for name in deleted:
            store.delete(name)
        for name, value in values.items():
            store.set(name, value)


@dataclass
class PageContext:
    """What pages share: the settings being edited, the secret fields, the keyring store and a
    way to read the encoder page's values (the destination page warns about them)."""

    settings: Settings
    secret_fields: SecretFields
    store: secrets.SecretStore
    encoder: Callable[[], EncoderSettings]
    remote: RemoteControl | None = None  # the window's remote-control server, when there is one


class SettingsPage(QWidget):
    """One page of the settings dialog. Subclasses build their widgets in ``__init__``."""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context

    @property
    def settings(self) -> Settings:
        return self.context.settings

    def title(self) -> str:
        """The tab's text, translated."""
        raise NotImplementedError

    def fill(self) -> None:
        """Show ``self.settings`` in the widgets."""

    def collect(self) -> None:
        """Write the widgets' values into ``self.settings`` (never a secret)."""

    def validate(self) -> str | None:
        """The first problem that must be fixed before saving, as one translated line."""
        return None

    def saved(self) -> None:
        """The dialog wrote the settings (a page that drives something live applies them)."""

    def page_shown(self) -> None:
        """The user turned to this page (start previews)."""

    def page_hidden(self) -> None:
        """The user left this page or the dialog closes (stop previews)."""

    def retranslate(self) -> None:
        """Set every text again in the current language."""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def select_data(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)
