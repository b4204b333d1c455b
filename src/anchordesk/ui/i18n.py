"""The program's language: Chinese (zh_CN), Japanese (ja) or English, from the setting or the
system locale.

``install(app, language)`` loads ``anchordesk_<lang>.qm`` (compiled by ``anchordesk.ui.i18n_build``)
and Qt's own ``qtbase_<lang>.qm`` (standard buttons of dialogs), replacing the ones installed
before, so the language can change while the program runs: Qt then sends every widget a
``LanguageChange`` event and widgets re-read their strings.

When a ``.qm`` file is missing (a checkout where the build step did not run) the ``.ts`` source
next to it is read instead, so the translations still show. The catalogues themselves, and
saying a message in a language, are `anchordesk.core.languages`' (the remote control says a
phone's refusals with the same ones, without a window).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from anchordesk.core.languages import (
    CATALOG_PREFIX,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    catalog,
    language_of,
    translation_dirs,
)

__all__ = [
    "CATALOG_PREFIX",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "current_language",
    "install",
    "resolve_language",
    "translation_dirs",
]

_installed: list[QTranslator] = []
_current_language = DEFAULT_LANGUAGE


def resolve_language(setting: str | None, system_locale: QLocale | None = None) -> str:
    """The language to show: the setting unless it is "system"/empty, else the system locale.

    Any Chinese locale shows Simplified Chinese (the only Chinese catalogue); unknown languages
    fall back to English.
    """
    if setting and setting != "system":
        if setting in LANGUAGES:
            return setting
        setting = setting.replace("-", "_")
        if setting in LANGUAGES:
            return setting
        return language_of(setting)
    locale = system_locale or QLocale.system()
    for name in [locale.name(), *locale.uiLanguages()]:
        language = language_of(name.replace("-", "_"))
        if language != DEFAULT_LANGUAGE or name.lower().startswith("en"):
            return language
    return DEFAULT_LANGUAGE


def current_language() -> str:
    return _current_language


def _load_qt_catalog(language: str) -> QTranslator | None:
    translator = QTranslator()
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    bundle = getattr(sys, "_MEIPASS", None)
    for directory in [qt_dir, *([str(Path(bundle) / "qt_translations")] if bundle else [])]:
        if translator.load(f"qtbase_{language}", directory):
            return translator
    return None


def install(app: QCoreApplication, language: str | None = None) -> str:
    """Show the program in ``language`` ("en", "zh_CN", "ja", "system" or None for the system's).

    Returns the language installed. Safe to call again to switch languages at run time.
    """
    global _current_language
    resolved = resolve_language(language)
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    # English too: its catalogue gives the plural forms ("1 new comment", "2 new comments").
    qt_catalog = _load_qt_catalog(resolved) if resolved != DEFAULT_LANGUAGE else None
    for translator in (qt_catalog, catalog(resolved)):
        if translator is not None and app.installTranslator(translator):
            _installed.append(translator)
    QLocale.setDefault(QLocale(resolved))
    _current_language = resolved
    return resolved
