"""The window's file dialogs, which never read a listed file to pick its icon.

Qt's own icon provider asks `QMimeDatabase.mimeTypeForFile` for each file a dialog (or its
path completer) lists, and that reads the file's first bytes when its name says nothing, on
the window's thread. A file whose read never returns (/proc/kmsg for root, a stalled network
mount) then froze the window for good, past any closing signal (round eleven's F7). Here
the icon and the "Type" column go by the kind of file (from its stat) and its name only.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QEventLoop,
    QFileInfo,
    QMimeDatabase,
    QObject,
    Qt,
    QTimer,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFileIconProvider,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from anchordesk.core.words import QT_TRANSLATE_NOOP, Template
from anchordesk.ui import workers

log = logging.getLogger(__name__)

#: How long a typed file's disk may take to say what the name is (a local disk: microseconds;
#: a network share whose server went away: for ever).
FILE_ANSWER_TIMEOUT_S = 3.0


_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.ShortcutOverride,
        QEvent.Type.Shortcut,
        QEvent.Type.InputMethod,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.Wheel,
        QEvent.Type.Drop,
    }
)


class InputHeld(QObject):
    """Keys and clicks aimed at ``window`` dropped while it waits for a disk (installed on the
    application for the wait). The show editor's save: the show saved is the show as it was
    when the save began; edits typed meanwhile were shown, then marked saved without being
    written (lost at the next close, nobody asked), and a show read back after a Save as into
    another folder replaced them. A file dialog's start folder: nothing else starts meanwhile."""

    def __init__(self, window: QWidget) -> None:
        super().__init__()
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in _INPUT_EVENTS or not isinstance(watched, QWidget):
            return False
        return watched.window() is self._window


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


# Qt 6's own file dialog labels that the qtbase catalogues PySide6 ships (qtbase_ja,
# qtbase_zh_CN) do not translate (they have Qt 5's "Look in:", without the access key): a
# Japanese or Chinese window's File → Open read "Look in:" and "Files of type:" in English
# beside translated buttons. Marked here so that lupdate puts them in our catalogues, which
# Qt asks before qtbase's (installed after it, see `anchordesk.ui.i18n.install`).
QT_WORDS_QTBASE_LACKS: tuple[Template, ...] = (
    QT_TRANSLATE_NOOP("QFileDialog", "&Look in:"),
    QT_TRANSLATE_NOOP("QFileDialog", "Files of &type:"),
)


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
        if isinstance(dialog, _CheckedDialog):
            return dialog.chosen
        files = dialog.selectedFiles()
        return files[0] if files else ""
    finally:
        dialog.deleteLater()


def _kind_of(path: Path) -> str:
    """ "folder", "file" or "missing" (blocking: on a worker)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    return "folder" if stat.S_ISDIR(mode) else "file"


class _CheckedDialog(QFileDialog):
    """Qt's dialog, but a name typed in "File name" is looked up off the window's thread.

    Qt looks a typed name up on the window's thread, as it is typed (its completer, the Open
    button's state) and when it is accepted: typing a path on a network share whose server
    went away froze the whole window for as long as the share did not answer, the picture
    still, no key answered (R16ui; File → Open, the editor's Save as, a recordings folder:
    R17ui). Here the typed name is looked up by a file-reading worker when the user accepts
    it, with a deadline; past it the dialog says so in words. Names picked in the list are
    the listing's, which Qt makes on its own thread.

    ``purpose``: "open" (an existing file), "save" (any name; a file there is replaced only
    when the user says so) or "folder" (an existing folder)."""

    def __init__(
        self,
        parent: QWidget | None,
        caption: str,
        directory: str,
        filters: str = "",
        purpose: str = "open",
    ) -> None:
        # An empty folder would list the working directory, which can be anything (/proc).
        super().__init__(parent, caption, directory or str(Path.home()), filters)
        # Qt's own widgets (a desktop's native dialog is not ours to change).
        self.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        self.setIconProvider(icon_provider())
        self._purpose = purpose
        if purpose == "save":
            self.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            self.setFileMode(QFileDialog.FileMode.AnyFile)
        elif purpose == "folder":
            self.setFileMode(QFileDialog.FileMode.Directory)
            self.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            self.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
            self.setFileMode(QFileDialog.FileMode.ExistingFile)
        self.chosen = ""
        self._asking: Path | None = None
        edit = self.findChild(QLineEdit, "fileNameEdit")
        box = self.findChild(QDialogButtonBox, "buttonBox")
        self._edit = edit if isinstance(edit, QLineEdit) else None
        self._open_button: QPushButton | None = None
        if box is not None:
            for button in box.buttons():
                accepts = box.buttonRole(button) == QDialogButtonBox.ButtonRole.AcceptRole
                if accepts and isinstance(button, QPushButton):
                    self._open_button = button
        if self._edit is not None:
            # Qt's own answers to typing look the typed path up here, on this thread.
            self._edit.textChanged.disconnect()
            self._edit.setCompleter(None)  # type: ignore[arg-type]
            self._edit.textChanged.connect(self._typed)
        self.answer_timer = QTimer(self)
        self.answer_timer.setSingleShot(True)
        self.answer_timer.timeout.connect(self._not_answered)

    def _typed(self, text: str) -> None:
        if self._open_button is not None and self._asking is None:
            self._open_button.setEnabled(bool(text.strip()) or self._purpose == "folder")

    def _typed_path(self) -> Path | None:
        text = self._edit.text().strip() if self._edit is not None else ""
        if not text and self._purpose == "folder":
            return Path(self.directory().absolutePath())  # the folder shown is chosen
        if not text:
            return None
        path = Path(os.path.expanduser(text))
        return path if path.is_absolute() else Path(self.directory().absolutePath()) / path

    def accept(self) -> None:
        path = self._typed_path()
        if path is None or self._asking is not None:
            return
        self._asking = path
        self._set_waiting(True)
        self.answer_timer.start(int(FILE_ANSWER_TIMEOUT_S * 1000))
        workers.run_task(
            lambda: _kind_of(path),
            lambda kind: self._answered(path, kind),
            lambda error: self._answered(path, error),
            owner=self,
            pool=workers.file_reads(),
            waits_on=str(path),
        )

    def _set_waiting(self, waiting: bool) -> None:
        if self._edit is not None:
            self._edit.setReadOnly(waiting)
        if self._open_button is not None:
            self._open_button.setEnabled(not waiting)
        if waiting:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()

    def _answered(self, path: Path, kind: str | BaseException) -> None:
        if self._asking != path:
            return  # said not to answer meanwhile
        self._asking = None
        self.answer_timer.stop()
        self._set_waiting(False)
        accepted = (
            (kind == "folder" and self._purpose == "folder")
            or (kind == "file" and self._purpose == "open")
            or (kind == "missing" and self._purpose == "save")
            or (kind == "file" and self._purpose == "save" and self._replace_asked(path))
        )
        if accepted:
            self.chosen = str(path)
            self.done(QDialog.DialogCode.Accepted)
        elif kind == "file" and self._purpose == "save":
            return  # not replaced: the user chooses another name
        elif kind == "folder":
            self.setDirectory(str(path))
            if self._edit is not None:
                self._edit.clear()
        elif kind == "file":
            self._say(
                QCoreApplication.translate(
                    "FileDialogs", "%1 is a file, not a folder. Choose a folder."
                ).replace("%1", str(path))
            )
        elif kind == "missing":
            self._say(
                QCoreApplication.translate(
                    "FileDialogs", "%1 does not exist. Check the name and its folder."
                ).replace("%1", str(path))
            )
        else:
            reason = kind.strerror if isinstance(kind, OSError) and kind.strerror else str(kind)
            self._say(
                QCoreApplication.translate("FileDialogs", "%1 cannot be read: %2")
                .replace("%2", reason)
                .replace("%1", str(path))
            )

    def _not_answered(self) -> None:
        path, self._asking = self._asking, None
        if path is None:
            return
        self._set_waiting(False)
        self._say(
            QCoreApplication.translate(
                "FileDialogs",
                "%1 does not answer (a network disk whose server went away?). Choose one "
                "on another disk.",
            ).replace("%1", str(path))
        )

    def _replace_asked(self, path: Path) -> bool:
        # Plain text: a name is text, never markup.
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.windowTitle(),
            QCoreApplication.translate(
                "FileDialogs", "%1 already exists. Do you want to replace it?"
            ).replace("%1", path.name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        try:
            return box.exec() == QMessageBox.StandardButton.Yes
        finally:
            box.deleteLater()

    def say_later(self, text: str) -> None:
        """``text`` said once the dialog shows."""
        QTimer.singleShot(0, self, lambda: self._say(text))

    def _say(self, text: str) -> None:
        # Plain text: a name is text, never markup.
        box = QMessageBox(
            QMessageBox.Icon.Warning, self.windowTitle(), text, QMessageBox.StandardButton.Ok, self
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message_box = box
        box.open()


def _start_answers(parent: QWidget | None, directory: str) -> bool:
    """Whether the disk of the folder (or file) a dialog starts in answers within the deadline,
    looked up by a file-reading worker while the window goes on (its input held)."""
    outcome: list[object] = []
    loop = QEventLoop()

    def ended(result: object) -> None:
        outcome.append(result)
        loop.quit()

    workers.run_task(
        lambda: _kind_of(Path(directory)),
        ended,
        ended,
        owner=parent,
        pool=workers.file_reads(),
        waits_on=directory,
    )
    deadline = QTimer(loop)
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(int(FILE_ANSWER_TIMEOUT_S * 1000))
    app = QApplication.instance()
    window = parent.window() if parent is not None else None
    held = InputHeld(window) if window is not None else None
    if app is not None and held is not None:
        app.installEventFilter(held)
    try:
        if not outcome:
            loop.exec()
    finally:
        if app is not None and held is not None:
            app.removeEventFilter(held)
    return bool(outcome)


def _checked_dialog(
    parent: QWidget | None, caption: str, directory: str, name_filter: str, purpose: str
) -> _CheckedDialog:
    """The dialog, in ``directory`` when its disk answers, else in the home folder (with the
    name suggested kept), saying so. Qt looks the start folder (and a file's) up on the
    window's thread as it makes the dialog: the editor's Save as of a show whose share went
    away (what its "not saved" box advises) froze the whole window for good."""
    if not directory or _start_answers(parent, directory):
        return _CheckedDialog(parent, caption, directory, name_filter, purpose)
    log.warning("%s does not answer: the file dialog starts in the home folder", directory)
    start = Path.home() / Path(directory).name if purpose == "save" else Path.home()
    dialog = _CheckedDialog(parent, caption, str(start), name_filter, purpose)
    dialog.say_later(
        QCoreApplication.translate(
            "FileDialogs",
            "%1 does not answer (a network disk whose server went away?). Choose one "
            "on another disk.",
        ).replace("%1", directory)
    )
    return dialog


def get_open_file_name(
    parent: QWidget | None, caption: str, directory: str, name_filter: str = ""
) -> str:
    """The path of an existing file the user picked, or "" when they cancelled."""
    return _chosen(_checked_dialog(parent, caption, directory, name_filter, "open"))


def get_save_file_name(
    parent: QWidget | None, caption: str, directory: str, name_filter: str = ""
) -> str:
    """The path the user chose to save to (asked before replacing a file), or ""."""
    return _chosen(_checked_dialog(parent, caption, directory, name_filter, "save"))


def get_existing_directory(parent: QWidget | None, caption: str, directory: str) -> str:
    """A folder the user picked, or ""."""
    return _chosen(_checked_dialog(parent, caption, directory, "", "folder"))
