"""The messages of the layers below the window, in the window's language: show problems when a
show is opened, CSV problems in the editor, refused commands from the keyboard. The values in
them (SKUs, paths, rows) stay as written; the remote API and the log keep their English."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QTranslator
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from anchordesk.core import languages, paths
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words, field_names
from anchordesk.live.settings import Settings
from anchordesk.show.feed_items import Order, OrderLine
from anchordesk.ui import file_dialogs, i18n
from anchordesk.ui.editor import ShowEditor
from anchordesk.ui.editor.problems_dialog import ProblemsDialog
from anchordesk.ui.main_window import MainWindow
from anchordesk.ui.words import refusal_text, say

from .test_keyboard import notice
from .test_remote_control import _call, _turn_on

LANGUAGES = ("zh_CN", "ja")


def _catalogue(language: str) -> list[tuple[str, str, str]]:
    """(context, source, translation) of every finished entry of a language's .ts file."""
    ts_path = paths.translations_dir() / f"anchordesk_{language}.ts"
    entries = []
    for context in ElementTree.parse(ts_path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            if translation is None or translation.get("type") in ("vanished", "obsolete"):
                continue
            # A message with a count has its plural forms (one in Chinese and Japanese, two in
            # English's catalogue): each keeps the placeholders.
            forms = [form.text or "" for form in translation.iter("numerusform")]
            for text in forms or [translation.text or ""]:
                entries.append((name, message.findtext("source") or "", text))
    return entries


@pytest.mark.parametrize("language", ("en", *LANGUAGES))  # en: its plural forms
def test_every_translation_keeps_the_placeholders_of_its_source(language: str) -> None:
    """A translator can move ``{sku}`` or ``%1`` but not drop, rename or add one: the message
    would lose the value (or show ``{skus}``) in that language only."""
    broken = []
    for context, source, translation in _catalogue(language):
        if re.findall(r"%\d|%L?n", source) and set(re.findall(r"%\d|%L?n", source)) != set(
            re.findall(r"%\d|%L?n", translation)
        ):
            broken.append((context, source, translation))
        try:
            source_fields = field_names(source)
        except ValueError:
            continue  # not a Words template ("{" in an ordinary string): %N rules only
        try:
            fields = field_names(translation)
        except ValueError:
            broken.append((context, source, translation))
            continue
        if fields != source_fields:
            broken.append((context, source, translation))
    assert broken == []


@pytest.fixture
def language(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    code: str = request.param
    i18n.install(qapp, code)
    yield code
    i18n.install(qapp, "en")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh_CN", "标题 '𝐁ad\\x1b' 的第 3 个字符是控制字符 \\x1b：画面无法显示"),
        ("ja", "タイトル '𝐁ad\\x1b' の 3 文字目に制御文字 \\x1b があります。"
         "映像には表示できません"),
        ("en", "the title '𝐁ad\\x1b' holds the control character \\x1b at character 3: the "
         "picture cannot show it"),
    ],
    indirect=["language"],
)  # fmt: skip
def test_a_message_inside_a_message_is_said_in_the_same_language(
    language: str, expected: str
) -> None:
    words = Words(
        QT_TRANSLATE_NOOP(
            "ShowProblems",
            "the {what} {text} holds the control character {control} at character "
            "{position}: the picture cannot show it",
        ),
        what=Words(QT_TRANSLATE_NOOP("ShowProblems", "title")),
        text="'𝐁ad\\x1b'",
        control="\\x1b",
        position=3,
    )
    assert say(words) == expected


class _DroppingTranslator(QTranslator):
    """A translation that lost its ``{sku}``, as a careless translator might write it."""

    def translate(  # type: ignore[override]
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        if source == "{sku} is sold out: no deal can start on it":
            return "已售罄"
        return ""


def test_a_translation_that_lost_a_value_falls_back_to_english(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The window says its messages through the program's catalogue (core.languages), the one
    # the remote control reads too: a careless catalogue is one both would read.
    monkeypatch.setattr(languages, "catalog", lambda language: _DroppingTranslator())
    words = Words(
        QT_TRANSLATE_NOOP("LiveShow", "{sku} is sold out: no deal can start on it"),
        sku="{title}",
    )
    assert say(words) == "{title} is sold out: no deal can start on it"
    assert refusal_text(words) == "{title} is sold out: no deal can start on it."
    assert languages.say(words, "zh_CN") == "{title} is sold out: no deal can start on it"


def _invalid_show(tmp_path: Path) -> Path:
    folder = tmp_path / "坏的节目"
    shutil.copytree(paths.resources_dir() / "shows" / "en", folder)
    data = json.loads((folder / "show.json").read_text(encoding="utf-8"))
    data["products"][0]["price"] = "12,5"
    data["rundown"][1]["sku"] = "NO-SUCH-SKU"
    data["products"][1]["image"] = "images/missing-{sku}.png"
    (folder / "show.json").write_text(json.dumps(data), encoding="utf-8")
    return folder / "show.json"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh_CN", ("不是数字：'12,5'", "未知货号 'NO-SUCH-SKU'：没有商品使用它", "找不到图片文件：",
                   "（环节 2，")),
        ("ja", ("数値ではありません：'12,5'",
                "不明な品番 'NO-SUCH-SKU'：この品番の商品はありません",
                "画像ファイルが見つかりません：", "（セグメント 2「")),
    ],
    indirect=["language"],
)  # fmt: skip
def test_opening_an_invalid_show_lists_its_problems_in_the_windows_language(
    qtbot: QtBot,
    control_room: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    expected: tuple[str, ...],
) -> None:
    window = control_room
    show_file = _invalid_show(tmp_path)
    monkeypatch.setattr(file_dialogs, "get_open_file_name", lambda *_a, **_k: str(show_file))
    with qtbot.waitSignal(window.controller.show_refused, timeout=20000):
        window.open_show()
    dialog = window.findChild(ProblemsDialog)
    assert dialog is not None and dialog.isVisible()
    text = "\n".join(dialog.lines())
    for part in expected:
        assert part in text, (part, text)
    # Paths, SKUs and file names stay exactly as they are written.
    assert "$.products[0].price" in text and "$.rundown[1].sku" in text
    assert "images/missing-{sku}.png" in text
    assert str(show_file) in dialog.heading.text()
    assert "not a number" not in text and "unknown sku" not in text
    dialog.close()


_BAD_CSV = (
    "sku,title,price,stock\n"
    "A-1,Good mug,12.50,10\n"
    "B-2,Bad price,12;5,10\n"
    "C-3,Bad stock,9.90,-4\n"
    "A-1,Twice,3.00,1\n"
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh_CN", ["错误：第 3 行，price 列：不是数字：'12;5'",
                   "错误：第 4 行，stock 列：库存不能为负数（现为 -4）",
                   "错误：第 5 行，sku 列：货号 'A-1' 重复（第 2 行 也有）"]),
        ("ja", ["エラー：3 行目の price 列：数値ではありません：'12;5'",
                "エラー：4 行目の stock 列：在庫は負の数にできません（現在 -4）",
                "エラー：5 行目の sku 列：品番 'A-1' が重複しています（2 行目にもあります）"]),
    ],
    indirect=["language"],
)  # fmt: skip
def test_a_csv_with_bad_rows_is_refused_in_the_windows_language(
    qtbot: QtBot, tmp_path: Path, language: str, expected: list[str]
) -> None:
    csv_path = tmp_path / "商品.csv"
    csv_path.write_text(_BAD_CSV, encoding="utf-8")
    editor = ShowEditor(Settings())
    qtbot.addWidget(editor)
    try:
        editor.open_show(paths.resources_dir() / "shows" / "en" / "show.json")
        assert editor.import_csv(csv_path) == 0
        lines = editor.last_dialog.lines()
        assert lines == expected
        assert "商品.csv" in editor.last_dialog.heading.text()
        editor.last_dialog.close()
    finally:
        editor.discard_changes()


def _sell_out(window: MainWindow, sku: str, units: int, price: str) -> None:
    window.controller.add_orders(
        [
            Order(
                "json",
                f"o-{sku}",
                "USD",
                Decimal(price) * units,
                (OrderLine(sku, units, Decimal(price)),),
            )
        ]
    )
    window.controller.flush_feeds()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh_CN", ("CREAM 已售罄：无法开始秒杀。", "秒杀价 US$99.00 不低于 SERUM 的原价 US$39.00。",
                   "还没有可置顶的提问。", "是最后一个环节：后面没有环节了")),
        ("ja", ("CREAM は完売しています。タイムセールを開始できません。",
                "セール価格 $99.00 が SERUM の定価 $39.00 より低くありません。",
                "固定できる質問はまだありません。", "は最後のコーナーです")),
    ],
    indirect=["language"],
)  # fmt: skip
def test_refusals_from_the_keyboard_are_said_in_the_windows_language(
    qtbot: QtBot, control_room: MainWindow, language: str, expected: tuple[str, ...]
) -> None:
    window = control_room
    controller = window.controller
    sold_out, above_list, no_question, last_segment = expected

    controller.show_product("CREAM")
    _sell_out(window, "CREAM", 40, "25.00")
    assert controller.show_state.on_screen_sku == "CREAM"
    QTest.keySequence(window, window.hotkeys.actions["toggle_deal"].shortcut())
    assert notice(window) == sold_out
    assert window.statusBar().currentMessage() == sold_out

    controller.start_deal("SERUM", "99", 60, 5)  # the deal form: above the list price
    assert window.statusBar().currentMessage() == above_list

    QTest.keySequence(window, window.hotkeys.actions["pin_latest_question"].shortcut())
    assert notice(window) == no_question

    controller.jump_to_segment(len(controller.show_state.segments) - 1)
    QTest.keySequence(window, window.hotkeys.actions["next_segment"].shortcut())
    assert last_segment in notice(window)


def test_the_remote_api_refuses_in_the_clients_language_while_the_window_speaks_japanese(
    qtbot: QtBot, control_room: MainWindow, tmp_path: Path, qapp: QApplication
) -> None:
    window = control_room
    port = __import__("servers").free_port()
    _turn_on(qtbot, window, tmp_path, True, port)
    token = window.remote.token()
    headers = {"Authorization": f"Bearer {token}"}
    i18n.install(qapp, "ja")
    try:
        answers = []
        with ThreadPoolExecutor(1) as pool:
            for asked in ({}, {"Accept-Language": "zh-CN"}):
                answers.append(
                    _call(
                        qtbot,
                        pool,
                        "POST",
                        f"http://127.0.0.1:{port}/api/v1/commands",
                        headers={**headers, **asked},
                        json={"command": "stage_product", "sku": "SERUM"},
                    )
                )
        english = "staging needs studio mode: switch studio mode on first"
        assert [answer.status_code for answer in answers] == [409, 409]
        # The client's language, not the window's: English when it asks for none.
        assert answers[0].json() == {"ok": False, "error": english, "message": english}
        assert answers[1].json() == {
            "ok": False,
            "error": english,
            "message": "预备需要导播模式：请先开启导播模式",
        }
        # The same refusal at the keyboard, in the window's language.
        window.controller.stage_product("SERUM")
        assert window.statusBar().currentMessage() == (
            "待機させるにはスタジオモードが必要です。先にオンにしてください。"
        )
    finally:
        i18n.install(qapp, "en")
        _turn_on(qtbot, window, tmp_path, False, port)


def test_the_editors_problems_follow_a_change_of_language(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path
) -> None:
    from anchordesk.ui.editor.products_page import P_PRICE

    editor = ShowEditor(Settings())
    qtbot.addWidget(editor)
    try:
        editor.open_show(_invalid_show(tmp_path))
        editor.show()
        editor.products.go_to(0, P_PRICE)
        assert "not a number: '12,5'" in editor.products.row_message.text()
        i18n.install(qapp, "zh_CN")
        qtbot.waitUntil(lambda: "不是数字：'12,5'" in editor.products.row_message.text())
        assert any("未知货号 'NO-SUCH-SKU'" in finding.message for finding in editor.findings)
        # Closed, the editor waits; shown again, it says its problems in the new language.
        editor.hide()
        i18n.install(qapp, "ja")
        QTest.qWait(50)
        assert "不是数字：'12,5'" in editor.products.row_message.text()
        editor.show()
        qtbot.waitUntil(lambda: "数値ではありません：'12,5'" in editor.products.row_message.text())
    finally:
        i18n.install(qapp, "en")
        editor.discard_changes()


def test_a_value_quoted_in_a_problem_shows_as_typed_in_the_tooltip(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """A problem quotes the cell; a tag typed there is text, not markup, in every language."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QTextDocument

    from anchordesk.ui.editor.products_page import P_PRICE

    show_file = _invalid_show(tmp_path)
    data = json.loads(show_file.read_text(encoding="utf-8"))
    data["products"][0]["price"] = "<b>12</b>"
    show_file.write_text(json.dumps(data), encoding="utf-8")
    editor = ShowEditor(Settings())
    qtbot.addWidget(editor)
    try:
        editor.open_show(show_file)
        model = editor.products.model
        tooltip = model.data(model.index(0, P_PRICE), Qt.ItemDataRole.ToolTipRole)
        document = QTextDocument()
        document.setHtml(tooltip)
        assert document.toPlainText() == "not a number: '<b>12</b>'"
    finally:
        editor.discard_changes()


def test_a_show_that_cannot_open_at_start_is_said_in_the_windows_language(  # type: ignore[no-untyped-def]
    qtbot: QtBot, executor, tmp_path: Path, qt_asyncio_loop, qapp: QApplication
) -> None:
    """The show of the last run no longer opens: the one line before the sample opens instead
    names the file and its first problem in the window's language."""

    from .conftest import small_controller

    controller = small_controller(Settings(record=False, record_asked=True), executor)
    said: list[str] = []
    controller.message.connect(said.append)
    show_file = _invalid_show(tmp_path)
    i18n.install(qapp, "ja")
    try:
        with qtbot.waitSignal(controller.session_started, timeout=20000):
            controller.start(show_file)
        first = next(line for line in said if str(show_file) in line)
        assert first.startswith("番組を開けません")
        assert "数値ではありません：'12,5'" in first and "件の問題）" in first
    finally:
        i18n.install(qapp, "en")
        controller.shutdown()
