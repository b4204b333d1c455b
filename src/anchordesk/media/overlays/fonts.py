"""Fonts for the overlays: a CJK-capable family first in every font's fallback list.

Chinese and Japanese text is first-class, so the overlays never rely on whatever fontconfig
happens to pick: each language puts its own CJK family first (the same code point is drawn
differently in Simplified Chinese and Japanese, e.g. 直 or 骨), then a Latin family, then any
other CJK family present. AnchorDesk depends on the system's Noto CJK (Debian
``fonts-noto-cjk``, installed by ``dev.sh``); without a CJK font the overlays still render, with a
warning, and CJK characters come out as empty boxes.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

log = logging.getLogger(__name__)

# Preferred CJK families per show language, most wanted first. Noto/Source Han are the free
# ones; the rest are what Windows and macOS ship.
_CJK_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "zh_CN": (
        "Noto Sans CJK SC",
        "Source Han Sans SC",
        "Noto Sans SC",
        "Microsoft YaHei",
        "PingFang SC",
        "WenQuanYi Micro Hei",
    ),
    "ja": (
        "Noto Sans CJK JP",
        "Source Han Sans JP",
        "Noto Sans JP",
        "Yu Gothic",
        "Hiragino Sans",
        "Meiryo",
    ),
}
_LATIN_FAMILIES = ("Noto Sans", "DejaVu Sans", "Segoe UI", "Helvetica Neue", "Arial")
_MONO_FAMILIES = ("Noto Sans Mono CJK SC", "Noto Sans Mono", "DejaVu Sans Mono", "Consolas")

_application: QGuiApplication | None = None
_lock = threading.Lock()


def ensure_gui_application() -> None:
    """Make sure a QGuiApplication exists: Qt's font database needs one to draw any text.

    Call it from the main thread before the pipeline starts. A headless run (``anchordesk
    live`` on a server) gets Qt's offscreen platform so no display is needed.
    """
    global _application
    if QGuiApplication.instance() is not None:
        return
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if sys.platform.startswith("linux") and headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _application = QGuiApplication([sys.argv[0] if sys.argv else "anchordesk"])


@dataclass(frozen=True)
class FontFamilies:
    """Family fallback lists for one language, resolved against the installed fonts."""

    language: str
    text: tuple[str, ...]  # titles, labels, comments
    digits: tuple[str, ...]  # the countdown: fixed-width digits so mm:ss does not jitter
    cjk_available: bool

    def font(self, pixel_size: int, *, bold: bool = False, digits: bool = False) -> QFont:
        font = QFont()
        font.setFamilies(list(self.digits if digits else self.text))
        font.setPixelSize(max(1, pixel_size))
        font.setWeight(QFont.Weight.Bold if bold else QFont.Weight.Normal)
        # Overlays are encoded to video: full hinting makes glyphs jump by whole pixels when
        # sizes scale with the canvas; vertical-only hinting keeps shapes stable.
        font.setHintingPreference(QFont.HintingPreference.PreferVerticalHinting)
        return font


_cache: dict[str, FontFamilies] = {}
_warned = False


def normalise_language(language: str) -> str:
    lowered = language.replace("-", "_").lower()
    if lowered.startswith("zh"):
        return "zh_CN"
    if lowered.startswith("ja"):
        return "ja"
    return "en"


def font_families(language: str) -> FontFamilies:
    """The families for a show language (``zh_CN``, ``ja``, ``en``), cached per language."""
    language = normalise_language(language)
    with _lock:
        cached = _cache.get(language)
        if cached is not None:
            return cached
        families = _resolve(language)
        _cache[language] = families
        return families


def _resolve(language: str) -> FontFamilies:
    global _warned
    ensure_gui_application()
    installed = set(QFontDatabase.families())
    cjk_installed = set(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))
    cjk_installed |= set(QFontDatabase.families(QFontDatabase.WritingSystem.Japanese))

    preferred_cjk = list(_CJK_BY_LANGUAGE.get(language, ()))
    # Any language's text may hold CJK (a comment, a product name): the other languages' CJK
    # families follow as fallbacks.
    for other, names in _CJK_BY_LANGUAGE.items():
        if other != language:
            preferred_cjk.extend(names)
    cjk = [name for name in preferred_cjk if name in installed]
    if not cjk:
        # Not one of the well-known names: take whatever the system says can write Chinese.
        cjk = sorted(cjk_installed)
    latin = [name for name in _LATIN_FAMILIES if name in installed]
    # In a Chinese or Japanese show a CJK family carries the Latin glyphs too: putting it first
    # keeps the baseline and weight of mixed text (「Serum 30ml 精华」) consistent.
    text = latin + cjk if language == "en" else cjk + latin
    digits = [name for name in _MONO_FAMILIES if name in installed] + text
    if not cjk and not _warned:
        _warned = True
        log.warning(
            "no Chinese/Japanese font found: CJK text in the overlays will be drawn as empty "
            "boxes; install Noto CJK (Debian/Ubuntu: apt install fonts-noto-cjk)"
        )
    return FontFamilies(
        language=language,
        text=tuple(_unique(text)) or ("Sans Serif",),
        digits=tuple(_unique(digits)) or ("Monospace",),
        cjk_available=bool(cjk),
    )


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))
