"""The application's identity on the desktop: its icon and its desktop-file name.

``setDesktopFileName`` is the Wayland app id (and the X11 window class hint): it must be the
name of the installed ``.desktop`` file without the suffix, or the desktop shows a generic icon
and does not group the window with its launcher.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QIcon

from anchordesk import __version__
from anchordesk.core import paths

#: The PNG sizes given to QIcon; Qt picks the nearest for title bars, task bars and Alt+Tab.
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def application_icon() -> QIcon:
    icon = QIcon()
    for size in ICON_SIZES:
        path = paths.icon_path(size)
        if path.is_file():
            icon.addFile(str(path))
    return icon


def set_application_identity(app: QGuiApplication) -> None:
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(paths.APP_ID)
    app.setWindowIcon(application_icon())
