"""The settings dialog: a tab per page (one page per file, as OBS and Picard do).

Secrets (stream keys, feed tokens) are read from the keyring in a worker when the dialog opens
and written, with the settings file, in a worker after ``accept``; they are never part of
:class:`anchordesk.live.settings.Settings`, so saving the settings cannot write them to disk.
Opening also asks whether a keyring backend exists at all, so the very first key typed is told
where it will be kept.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core import secrets
from anchordesk.live.settings import EncoderSettings, Settings, save_settings, settings_path
from anchordesk.ui import i18n
from anchordesk.ui.settings.destinations_page import DestinationsPage
from anchordesk.ui.settings.devices_page import DevicesPage
from anchordesk.ui.settings.encoder_page import EncoderPage
from anchordesk.ui.settings.feeds_page import FeedsPage
from anchordesk.ui.settings.general_page import GeneralPage
from anchordesk.ui.settings.keyring_text import KeyringNote
from anchordesk.ui.settings.page import PageContext, SecretFields, SettingsPage
from anchordesk.ui.settings.prompts_page import PromptsPage
from anchordesk.ui.settings.remote_page import RemotePage
from anchordesk.ui.words import disk_error_text
from anchordesk.ui.workers import run_task

if TYPE_CHECKING:
    from anchordesk.ui.remote import RemoteControl

log = logging.getLogger(__name__)

# The pages, in tab order. A new page is one more line here (a SettingsPage subclass taking
# (PageContext, parent)).
PAGES: list[type[SettingsPage]] = [
    DestinationsPage,
    DevicesPage,
    EncoderPage,
    FeedsPage,
    GeneralPage,
    RemotePage,
    PromptsPage,
]

P = TypeVar("P", bound=SettingsPage)


class SettingsDialog(QDialog):
    """Edit a copy of the settings; ``accept`` writes keys to the keyring and the file.

    Signals:
        settings_saved(Settings): the settings were written (the new copy).
        language_changed(str): the language setting changed; it has been installed already.
        secrets_loaded(): the keyring has been read (and probed) in the worker.
    """

    settings_saved = Signal(object)
    language_changed = Signal(str)
    secrets_loaded = Signal()

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
        self.secret_fields = SecretFields()
        self._encoder_page: EncoderPage | None = None
        context = PageContext(self.settings, self.secret_fields, self._store, self._encoder, remote)
        self.tabs = QTabWidget(self)
        self.pages: list[SettingsPage] = []
        for page_class in PAGES:
            page = page_class(context, self)
            self.pages.append(page)
            self.tabs.addTab(page, "")
        self._encoder_page = self.find_page(EncoderPage)
        destinations = self.find_page(DestinationsPage)
        if destinations is not None and self._encoder_page is not None:
            destinations.apply_encoder = self._encoder_page.apply
            self._encoder_page.encoder_changed.connect(destinations.update_info)
        self._current_index = 0
        self._saving = False
        self.tabs.currentChanged.connect(self._on_tab_changed)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("settings-error")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        # Never wider than the dialog: a word longer than a line (a pasted URL, a name) is cut
        # off at its edge, it does not push the buttons off the screen.
        self.error_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(780, 580)

        for page in self.pages:
            page.fill()
        self._retranslate()
        self._load_secrets()

    # -- pages -------------------------------------------------------------------------------

    def page(self, page_class: type[P]) -> P:
        """The page of this class (KeyError-like failure if the page list lacks it)."""
        page = self.find_page(page_class)
        if page is None:
            raise LookupError(f"no {page_class.__name__} in the settings dialog")
        return page

    def find_page(self, page_class: type[P]) -> P | None:
        return next((p for p in self.pages if isinstance(p, page_class)), None)

    def show_page(self, page_class: type[SettingsPage]) -> None:
        page = self.find_page(page_class)
        if page is not None:
            self.tabs.setCurrentWidget(page)

    def _encoder(self) -> EncoderSettings:
        if self._encoder_page is not None:
            return self._encoder_page.encoder_settings()
        return self.settings.encoder

    def _on_tab_changed(self, index: int) -> None:
        if 0 <= self._current_index < len(self.pages):
            self.pages[self._current_index].page_hidden()
        self._current_index = index
        if 0 <= index < len(self.pages):
            self.pages[index].page_shown()

    # -- convenience for the most used page (tests, the go-live dialog) -------------------------

    def open_stream_key(self, destination_id: str) -> None:
        """Show the destination's form with the cursor in its key field (from go-live)."""
        destinations = self.page(DestinationsPage)
        self.tabs.setCurrentWidget(destinations)
        destinations.select_destination(destination_id)
        if secrets.stream_key_name(destination_id) in self.secret_fields.fields:
            destinations.stream_key_field(destination_id).setFocus()

    # -- secrets -----------------------------------------------------------------------------

    def _load_secrets(self) -> None:
        names = list(self.secret_fields.fields)
        store = self._store

        def load() -> dict[str, str]:
            store.probe()  # a missing keyring is said before the first key is typed
            found: dict[str, str] = {}
            for name in names:
                value = store.get(name)
                if value:
                    found[name] = value
            return found

        run_task(load, self._on_secrets_loaded, owner=self)

    def _on_secrets_loaded(self, found: dict[str, str]) -> None:
        self.secret_fields.fill(found)
        self._update_keyring_notes()
        self.secrets_loaded.emit()

    def _update_keyring_notes(self) -> None:
        for note in self.findChildren(KeyringNote):
            note.refresh()
        general = self.find_page(GeneralPage)
        if general is not None:
            general.retranslate()

    # -- accept / close ----------------------------------------------------------------------

    def collect(self) -> Settings:
        """The settings as the widgets show them (without secrets)."""
        for page in self.pages:
            page.collect()
        return self.settings

    def validate(self) -> str | None:
        """The first problem that must be fixed before saving, as one translated line."""
        self.collect()
        for page in self.pages:
            problem = page.validate()
            if problem is not None:
                self.tabs.setCurrentWidget(page)
                return problem
        return None

    def accept(self) -> None:
        """Check, then write the keys and the file in a worker; the dialog closes when both
        are written (a keyring waiting on an unlock prompt never freezes the window)."""
        if self._saving:
            return
        problem = self.validate()
        if problem:
            self.error_label.setText(problem)
            self.error_label.show()
            return
        self.error_label.hide()
        self._stop_previews()
        self._saving = True
        self.buttons.setEnabled(False)
        store, path = self._store, self._settings_file
        settings = copy.deepcopy(self.settings)
        deleted, values = self.secret_fields.pending()

        def save() -> None:
            SecretFields.write(store, deleted, values)
            save_settings(settings, path)

        run_task(save, self._saved, self._save_failed, owner=self)

    def _save_failed(self, error: BaseException) -> None:
        self._saving = False
        self.buttons.setEnabled(True)
        self._update_keyring_notes()
        if isinstance(error, OSError):
            reason = disk_error_text(self._settings_file or settings_path(make=False), error)
        else:
            reason = str(error)
        self.error_label.setText(
            self.tr("The settings could not be saved: %1").replace("%1", reason)
        )
        self.error_label.show()

    def _saved(self, _result: None) -> None:
        self._saving = False
        self.buttons.setEnabled(True)
        self._update_keyring_notes()  # writing may have found the keyring broken
        language_changed = self.settings.language != self._original.language
        for page in self.pages:
            page.saved()
        self.settings_saved.emit(copy.deepcopy(self.settings))
        if language_changed:
            app = QApplication.instance()
            if app is not None:
                i18n.install(app, self.settings.language)
            self.language_changed.emit(self.settings.language)
        super().accept()

    def _stop_previews(self) -> None:
        for page in self.pages:
            page.page_hidden()

    def reject(self) -> None:
        self._stop_previews()
        super().reject()

    def done(self, result: int) -> None:
        self._stop_previews()
        super().done(result)

    def closeEvent(self, event: object) -> None:
        self._stop_previews()
        super().closeEvent(event)  # type: ignore[arg-type]

    # -- translation -------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate_own()
        super().changeEvent(event)

    def _retranslate_own(self) -> None:
        self.setWindowTitle(self.tr("Settings"))
        for index, page in enumerate(self.pages):
            self.tabs.setTabText(index, page.title())

    def _retranslate(self) -> None:
        self._retranslate_own()
        for page in self.pages:
            page.retranslate()
