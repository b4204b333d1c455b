"""The program's languages and their catalogues, and saying a message (`core.words.Words`) in
one of them: the one implementation, used by the window (in its installed language) and by
the remote control (in the language each phone's page asks for).

The catalogues are Qt Linguist's (``translations/anchordesk_<lang>.qm``, compiled from the
``.ts`` sources by ``anchordesk.ui.i18n_build``; the ``.ts`` is read when no ``.qm`` was built).
QtCore's ``QTranslator`` reads them without a ``QCoreApplication`` and without a GUI, so
``anchordesk live --control`` says a refusal in Chinese as the window does, from the same
translation. This module is the only one of ``core/`` that imports Qt; ``core.words`` does not
(the command line's ``show check`` stays light).
"""

from __future__ import annotations

import functools
import logging
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from PySide6.QtCore import QLocale, QTranslator

from anchordesk.core import paths
from anchordesk.core.money import format_number
from anchordesk.core.words import Amount, Count, Words, field_names, fill

log = logging.getLogger(__name__)

#: Languages the program is translated into, with their names in their own language.
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文", "ja": "日本語"}
DEFAULT_LANGUAGE = "en"
CATALOG_PREFIX = "anchordesk_"


def language_of(name: str) -> str:
    """The program's language for a locale name or a language tag (``zh-TW``, ``ja_JP``,
    ``fr``): any Chinese is Simplified Chinese (the only Chinese catalogue), any other
    language than Chinese and Japanese is English."""
    lowered = name.strip().lower()
    if lowered.startswith("zh"):
        return "zh_CN"
    if lowered.startswith("ja"):
        return "ja"
    return DEFAULT_LANGUAGE


def from_accept_language(header: str | None) -> str:
    """The language to answer in for an HTTP ``Accept-Language`` (RFC 9110 12.5.4): the
    first, by weight, of Chinese, Japanese and English; English when none is asked for."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")):
        tag, _, parameters = item.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
            if not 0.0 < weight <= 1.0:  # q=0: "not this one"; nan and others: malformed
                continue
        lowered = tag.lower()
        if lowered.startswith(("zh", "ja", "en")) and lowered[2:3] in ("", "-", "_"):
            ranked.append((-weight, position, language_of(tag)))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def translation_dirs() -> list[Path]:
    """Where ``anchordesk_*.qm`` (or the ``.ts`` sources) are: the package
    ``anchordesk.translations``, in a checkout, a wheel and the frozen app alike."""
    return [paths.translations_dir()]


class TsTranslator(QTranslator):
    """Translations read straight from a Qt Linguist ``.ts`` file (when no ``.qm`` was built)."""

    def __init__(self, ts_path: Path) -> None:
        super().__init__()
        self._messages: dict[tuple[str, str], str] = {}
        self._numerus: dict[tuple[str, str], list[str]] = {}
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
                if forms and all(forms):
                    self._numerus[(context_name, source)] = forms
                elif not forms and translation.text:
                    self._messages[(context_name, source)] = translation.text

    def isEmpty(self) -> bool:
        return not self._messages and not self._numerus

    def translate(
        self,
        context: str,
        source_text: str,
        disambiguation: str | None = None,
        n: int = -1,
    ) -> str:
        forms = self._numerus.get((context, source_text))
        if forms is not None:
            # Our languages' plural rules, as Qt's: English has one and other (1 / any other
            # count), Chinese and Japanese one form for every count.
            text = forms[0] if len(forms) == 1 or n == 1 else forms[1]
        else:
            text = self._messages.get((context, source_text), "")
        if text and n >= 0:
            # As QCoreApplication.translate fills them: %Ln grouped as the default locale.
            text = text.replace("%Ln", QLocale().toString(n)).replace("%n", str(n))
        return text


@functools.cache
def catalog(language: str) -> QTranslator | None:
    """The program's catalogue for ``language`` (None when it is missing), loaded once: the
    window installs this same one, the remote control reads it. English's holds only the
    plural forms of its messages with a count ("%Ln new comment(s)": "1 new comment",
    "2 new comments"), as Qt documents for a source language with plurals."""
    if language not in LANGUAGES:
        return None
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
                return TsTranslator(ts_path)
            except (OSError, ElementTree.ParseError) as error:
                log.warning("could not read %s: %s", ts_path, error)
    log.warning("no translation catalogue for %s in %s", language, translation_dirs())
    return None


def say(words: Words | str, language: str) -> str:
    """``words`` in ``language`` ("en", "zh_CN", "ja"; English for any other): the template
    translated in its own context, then its values filled in — values that are messages
    themselves said the same way, counts with the language's grouping, values from outside
    (SKUs, titles, paths) exactly as they are. Plain text, to be shown as plain text."""
    if isinstance(words, str):
        return words
    values = {name: _value(value, language) for name, value in words.params.items()}
    return fill(template_in(words, language), values)


def _value(value: object, language: str) -> str:
    if isinstance(value, Words):
        return say(value, language)
    if isinstance(value, Count):  # 3,000 as the language groups it
        return format_number(int(value), language if language in LANGUAGES else "en")
    if isinstance(value, Amount):  # ¥1,234.50 as the language writes money
        return value.written(language if language in LANGUAGES else "en")
    return str(value)


def template_in(words: Words, language: str) -> str:
    """The translated template; the English one when there is no translation, or when the
    translation lost or added a field (a message with a value missing would mislead more than
    one in English)."""
    translator = catalog(language)
    if translator is None:
        return words.template
    translated = translator.translate(words.context, words.template, None, -1)
    if not translated or translated == words.template:
        return words.template
    try:
        if field_names(translated) == field_names(words.template):
            return translated
    except ValueError:
        pass
    return words.template
