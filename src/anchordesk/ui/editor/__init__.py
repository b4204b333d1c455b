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
        editor.open_show(Path(show_path))
    editor.show()
    editor.raise_()
    editor.activateWindow()
    return editor


__all__ = ["ShowEditor", "open_editor"]
