"""The web remote's files as the package carries them: no HTML built from text, nothing fetched
from the internet, every word in the three languages."""

from __future__ import annotations

import re
from importlib import resources

WEB = resources.files("anchordesk.control").joinpath("web")
FILES = ("index.html", "app.js", "i18n.js", "style.css")


def _text(name: str) -> str:
    return WEB.joinpath(name).read_text(encoding="utf-8")


def test_text_from_outside_is_never_parsed_as_html() -> None:
    script = _text("app.js")
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "Function(",
    ):
        assert sink not in script, sink
    assert "textContent" in script


def test_nothing_comes_from_the_internet() -> None:
    for name in FILES:
        assert not re.search(r"https?://", _text(name)), name  # no CDN, no font service
    page = _text("index.html")
    assert re.findall(r'(?:src|href)="([^"]+)"', page) == [
        "/static/style.css", "/static/i18n.js", "/static/app.js",
    ]  # fmt: skip
    assert "<script>" not in page  # the page's policy allows no inline script


def test_every_word_is_in_chinese_japanese_and_english() -> None:
    table = _text("i18n.js")
    blocks = dict(re.findall(r"\n  (en|zh_CN|ja): \{(.*?)\n  \},", table, re.S))
    assert set(blocks) == {"en", "zh_CN", "ja"}
    keys = {language: set(re.findall(r"(\w+): \"", body)) for language, body in blocks.items()}
    assert keys["en"] == keys["zh_CN"] == keys["ja"]
    used = set(re.findall(r'data-i18n="(\w+)"', _text("index.html")))
    used |= set(re.findall(r'\bt\("(\w+)"', _text("app.js")))
    assert used <= keys["en"], used - keys["en"]
