"""Where AnchorDesk finds its resources and keeps its files.

Resources (sample shows, the show schema, icons) and the compiled translations are the packages
``anchordesk.resources`` and ``anchordesk.translations``: setup.py maps the repository's
``resources/`` and ``translations/`` folders to them. They are found through
``importlib.resources`` only, so a checkout (editable install), an installed wheel (pip, pipx)
and the PyInstaller app look them up the same way; nothing here computes a path from
``__file__``.

The user's own files go to the platform's folders (platformdirs): settings in the config
folder, sessions in the data folder, logs in the log folder, recordings in the videos folder.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import platformdirs

from anchordesk.core.errors import FatalError

APP_NAME = "AnchorDesk"
APP_AUTHOR = "AnchorDesk"
#: Reverse-DNS id: the .desktop file's name, the AppStream id, the icon name and the Wayland
#: app id (QGuiApplication.setDesktopFileName) must all be this one string.
APP_ID = "io.github.anchordesk.AnchorDesk"

RESOURCES_PACKAGE = "anchordesk.resources"
TRANSLATIONS_PACKAGE = "anchordesk.translations"


def _package_folder(package: str) -> Path:
    """The folder of a data package on disk.

    Every way AnchorDesk is installed keeps it unpacked (pip never installs a zipped wheel; the
    frozen app is one folder), so the ``Traversable`` is a real ``Path`` and Qt, PyAV and the
    file dialogs can open files in it by name. If someone zips it anyway, say so in one line.
    """
    try:
        folder = resources.files(package)
    except ModuleNotFoundError:
        raise FatalError(
            f"the installation is incomplete: the package {package} is missing "
            "(reinstall AnchorDesk, or run `pip install -e .` in a checkout)"
        ) from None
    if not isinstance(folder, Path):
        raise FatalError(f"{package} is not on disk ({folder}): install AnchorDesk unzipped")
    return folder


def resources_dir() -> Path:
    """The sample shows (``shows/en``, ``shows/zh``), ``show.schema.json`` and ``icons/``."""
    return _package_folder(RESOURCES_PACKAGE)


def translations_dir() -> Path:
    """The ``anchordesk_<lang>.qm`` catalogues (in a checkout: next to the ``.ts`` sources)."""
    return _package_folder(TRANSLATIONS_PACKAGE)


def desktop_files_dir() -> Path:
    """The desktop entry, the shared-mime-info XML and the AppStream metainfo.

    They are resources of the program (``anchordesk desktop install`` copies them for a pip or
    pipx install); ``packaging/`` links to them for distribution packagers.
    """
    return resources_dir() / "desktop"


def icon_path(size: int | None = None) -> Path:
    """The application icon: the SVG, or the PNG drawn for one of the hicolor sizes."""
    icons = resources_dir() / "icons"
    if size is None:
        return icons / f"{APP_ID}.svg"
    return icons / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def user_data_dir() -> Path:
    """Session stores and recordings by default (created on first use)."""
    path = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_config_dir(*, make: bool = True) -> Path:
    """Settings (never secrets: those live in the keyring), made unless ``make`` is false."""
    path = Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))
    if make:
        path.mkdir(parents=True, exist_ok=True)
    return path


def user_log_dir(*, make: bool = True) -> Path:
    """The log file and native crash reports (Linux: ``~/.local/state/AnchorDesk/log``),
    made unless ``make`` is false."""
    path = Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
    if make:
        path.mkdir(parents=True, exist_ok=True)
    return path


def default_recordings_dir() -> Path:
    path = Path(platformdirs.user_videos_dir()) / APP_NAME
    return path
