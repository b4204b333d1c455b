"""Where AnchorDesk finds its resources and keeps its files."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs

APP_NAME = "AnchorDesk"
APP_AUTHOR = "AnchorDesk"


def resources_dir() -> Path:
    """The folder with the sample show, fonts notes and icons.

    In a checkout (editable install) it is ``resources/`` at the top of the repository; in a
    PyInstaller bundle it sits next to the executable's data (``sys._MEIPASS``).
    """
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[3] / "resources"


def translations_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "translations"
    return Path(__file__).resolve().parents[3] / "translations"


def user_data_dir() -> Path:
    """Session stores and recordings by default (created on first use)."""
    path = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_config_dir() -> Path:
    """Settings (never secrets: those live in the keyring)."""
    path = Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_recordings_dir() -> Path:
    path = Path(platformdirs.user_videos_dir()) / APP_NAME
    return path
