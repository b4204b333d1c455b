"""The window's file dialogs, which never read a listed file to pick its icon.

Qt's own icon provider asks `QMimeDatabase.mimeTypeForFile` for each file a dialog (or its
path completer) lists, and that reads the file's first bytes when its name says nothing, on
the window's thread. A file whose read never returns (/proc/kmsg for root, a stalled network
mount) then froze the window for good, past any closing signal (round eleven's F7). Here
the icon and the "Type" column go by the kind of file (from its stat) and its name only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QFileInfo, QMimeDatabase
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialog, QFileDialog, QFileIconProvider, QWidget


class NameOnlyIconProvider(QFileIconProvider):
    """Icons and types from a file's kind and name, never from its content."""

    def __init__(self) -> None:
        super().__init__()
        self._mime = QMimeDatabase()

    def icon(self, which: QFileInfo | QFileIconProvider.IconType) -> QIcon:
        if not isinstance(which, QFileInfo):
            return super().icon(which)
        if which.isRoot():
            return super().icon(QFileIconProvider.IconType.Drive)
        if which.isDir():
            return super().icon(QFileIconProvider.IconType.Folder)
        fallback = super().icon(QFileIconProvider.IconType.File)
        kinds = self._mime.mimeTypesForFileName(which.fileName()) if which.isFile() else []
        if kinds:
            return QIcon.fromTheme(kinds[0].iconName(), fallback)
        return fallback

    def type(self, info: QFileInfo) -> str:
        if info.isRoot():
            return QCoreApplication.translate("FileDialogs", "Drive")
        if info.isDir():
            return QCoreApplication.translate("FileDialogs", "Folder")
        if not info.isFile():
            # a device, a FIFO or a socket: listed, never opened
            return QCoreApplication.translate("FileDialogs", "Special file")
        kinds = self._mime.mimeTypesForFileName(info.fileName())
        if kinds:
            return kinds[0].comment() or kinds[0].name()
        return QCoreApplication.translate("FileDialogs", "File")


# One provider for every dialog: a dialog's model keeps a pointer to it, never owns it.
_provider: NameOnlyIconProvider | None = None


def icon_provider() -> NameOnlyIconProvider:
    global _provider
    if _provider is None:
        _provider = NameOnlyIconProvider()
    return _provider


def make_dialog(
    parent: QWidget | None, caption: str, directory: str, name_filter: str = ""
) -> QFileDialog:
    """A file dialog as QFileDialog's static functions make it, with the name-only icons.

    A `directory` naming a file opens its folder with that name suggested (Qt's rule).
    """
    # An empty folder would list the working directory, which can be anything (even /proc).
    dialog = QFileDialog(parent, caption, directory or str(Path.home()), name_filter)
    dialog.setIconProvider(icon_provider())
    return dialog


def _chosen(dialog: QFileDialog) -> str:
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return ""
        files = dialog.selectedFiles()
        return files[0] if files else ""
    finally:
        dialog.deleteLater()


def get_open_file_name(
    parent: QWidget | None, caption: str, directory: str, name_filter: str = ""
) -> str:
    """The path of an existing file the user picked, or "" when they cancelled."""
    dialog = make_dialog(parent, caption, directory, name_filter)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    return _chosen(dialog)


def get_save_file_name(
    parent: QWidget | None, caption: str, directory: str, name_filter: str = ""
) -> str:
    """The path the user chose to save to (asked before replacing a file), or ""."""
    dialog = make_dialog(parent, caption, directory, name_filter)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    return _chosen(dialog)


def get_existing_directory(parent: QWidget | None, caption: str, directory: str) -> str:
    """A folder the user picked, or ""."""
    dialog = make_dialog(parent, caption, directory)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    return _chosen(dialog)
