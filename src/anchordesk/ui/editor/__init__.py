"""The show editor."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from anchordesk.live.settings import Settings, load_settings
from anchordesk.ui.editor.editor import ShowEditor


def open_editor(
    show_path: Path | None = None,
    parent: QWidget | None = None,
    settings: Settings | None = None,
) -> ShowEditor:
    """Open the show editor as its own window (on ``show_path`` when given) and return it.

    Pass the window's own ``settings`` so both edit one recent-shows list (two copies would
    overwrite each other on save). Connect ``editor.show_saved`` to reload the show in the
    control room after a save.
    """
    editor = ShowEditor(settings if settings is not None else load_settings(), parent)
    editor.setWindowFlag(Qt.WindowType.Window, True)
    editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    if show_path is not None:
        # In a worker, as File → Open reads: the window's thread waited on a disk that does
        # not answer (a hung network share) here too (R13ui, left after F2).
        editor.open_show_later(Path(show_path))
    fit_to_screen(editor)
    editor.show()
    editor.raise_()
    editor.activateWindow()
    return editor


def fit_to_screen(editor: ShowEditor) -> None:
    """Its usual size, or less on a small screen (1280x720 at 125 %): the title bar and the
    status bar, where the problems are counted, stay on the screen."""
    screen = editor.screen()
    if screen is None:
        return
    available = screen.availableGeometry()
    frame_px = 40  # a title bar and borders, which the window manager adds around the window
    editor.resize(
        min(editor.width(), available.width() - 2 * 8),
        min(editor.height(), available.height() - frame_px),
    )
    editor.move(
        available.left() + (available.width() - editor.width()) // 2,
        available.top() + max(0, (available.height() - frame_px - editor.height()) // 2),
    )


__all__ = ["ShowEditor", "fit_to_screen", "open_editor"]
