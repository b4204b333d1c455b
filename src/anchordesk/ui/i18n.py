"""The program's language: Chinese (zh_CN), Japanese (ja) or English, from the setting or the
system locale.

``install(app, language)`` loads ``anchordesk_<lang>.qm`` (compiled by ``anchordesk.ui.i18n_build``)
and Qt's own ``qtbase_<lang>.qm`` (standard buttons of dialogs), replacing the ones installed
before, so the language can change while the program runs: Qt then sends every widget a
``LanguageChange`` event and widgets re-read their strings.

When a ``.qm`` file is missing (a checkout where the build step did not run) the ``.ts`` source
next to it is read instead, so the translations still show.
"""

from __future__ import annotations

import logging
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from anchordesk.core import paths

log = logging.getLogger(__name__)

#: Languages the program is translated into, with their names in their own language.
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文", "ja": "日本語"}
DEFAULT_LANGUAGE = "en"
CATALOG_PREFIX = "anchordesk_"

_installed: list[QTranslator] = []
_current_language = DEFAULT_LANGUAGE


def translation_dirs() -> list[Path]:
    """Where ``anchordesk_*.qm`` (or the ``.ts`` sources) are: the package
    ``anchordesk.translations``, in a checkout, a wheel and the frozen app alike."""
    return [paths.translations_dir()]


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
        return _from_locale_name(setting)
    locale = system_locale or QLocale.system()
    for name in [locale.name(), *locale.uiLanguages()]:
        language = _from_locale_name(name.replace("-", "_"))
        if language != DEFAULT_LANGUAGE or name.lower().startswith("en"):
            return language
    return DEFAULT_LANGUAGE


def _from_locale_name(name: str) -> str:
    lowered = name.lower()
    if lowered.startswith("zh"):
        return "zh_CN"
    if lowered.startswith("ja"):
        return "ja"
    return DEFAULT_LANGUAGE


def current_language() -> str:
    return _current_language


class _TsTranslator(QTranslator):
    """Translations read straight from a Qt Linguist ``.ts`` file (when no ``.qm`` was built)."""

    def __init__(self, ts_path: Path) -> None:
        super().__init__()
        self._messages: dict[tuple[str, str], str] = {}
        root = ElementTree.parse(ts_path).getroot()
        for context in root.iter("context"):
            context_name = context.findtext("name") or ""
            for message in context.iter("message"):
                source = message.findtext("source")
                translation = message.find("translation")
                if source is None or translation is None:
                    continue
                if translation.get("type") in {"unfinished", "obsolete", "vanished"}:
                    continue
                forms = [f.text or "" for f in translation.iter("numerusform")]
                text = forms[0] if forms else (translation.text or "")
                if text:
                    self._messages[(context_name, source)] = text

    def isEmpty(self) -> bool:
        return not self._messages

    def translate(
        self,
        context: str,
        source_text: str,
        disambiguation: str | None = None,
        n: int = -1,
    ) -> str:
        text = self._messages.get((context, source_text), "")
        if text and n >= 0:
            text = text.replace("%n", str(n))
        return text


def _load_catalog(language: str) -> QTranslator | None:
    name = CATALOG_PREFIX + language
    for directory in translation_dirs():
        qm_path = directory / f"{name}.qm"
        if qm_path.is_file():
            translator = QTranslator()
            if translator.load(str(qm_path)):
                return translator
            log.warning("could not load %s", qm_path)
    for directory in translation_dirs():
        ts_path = directory / f"{name}.ts"
        if ts_path.is_file():
            try:
                return _TsTranslator(ts_path)
            except (OSError, ElementTree.ParseError) as error:
                log.warning("could not read %s: %s", ts_path, error)
    log.warning("no translation catalogue for %s in %s", language, translation_dirs())
    return None


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
    if resolved != DEFAULT_LANGUAGE:
        for translator in (_load_qt_catalog(resolved), _load_catalog(resolved)):
            if translator is not None and app.installTranslator(translator):
                _installed.append(translator)
    QLocale.setDefault(QLocale(resolved))
    _current_language = resolved
    return resolved
