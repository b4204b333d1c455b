"""Round twenty-six of issue 10, the window (hunt26ui)."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from feed_servers import JsonFeedServer
from PySide6.QtCore import QLibraryInfo, QTranslator
from PySide6.QtGui import QTextLayout, QTextOption
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot
from tests.faults.show_inputs import valid_show, write_show
from tests.ui.conftest import open_control_room
from tests.ui.test_round_fifteen_ui import tooltip_as_shown
from tests.ui.test_seams import drawn_as, picture_layer, same_pixels

from anchordesk.core import languages, paths, secrets
from anchordesk.live.options import FeedSpec
from anchordesk.live.settings import (
    Destination,
    FeedSettings,
    Settings,
    load_settings,
    settings_path,
)
from anchordesk.showfile.files import read_show_file
from anchordesk.store.report import build_report, report_text
from anchordesk.store.session import SessionStore
from anchordesk.ui import file_dialogs, i18n, i18n_build
from anchordesk.ui.editor import ShowEditor
from anchordesk.ui.recording_parts import RecordingIndicator
from anchordesk.ui.settings import SettingsDialog
from anchordesk.ui.settings.destinations_page import DestinationsPage
from anchordesk.ui.settings.feeds_page import FeedsPage
from anchordesk.ui.state import HealthState

_TOO_LONG_JA = "ファイル名が長すぎます"


# Catalogues made for a test are kept for the whole run: Qt holds them by pointer while
# installed, and a language change may come after the test that made them.
_MADE_CATALOGUES: list[QTranslator] = []


def _with_extra(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    language: str,
    extra: dict[tuple[str, str], str],
) -> None:
    """The program's catalogue for ``language`` with texts this round added, translated as
    the lead's .ts will have them: the real .ts plus these messages, compiled by lrelease (a
    plain QTranslator, as the program loads its .qm)."""
    ts_path = next(
        d / f"anchordesk_{language}.ts"
        for d in i18n.translation_dirs()
        if (d / f"anchordesk_{language}.ts").is_file()
    )
    tree = ElementTree.parse(ts_path)
    root = tree.getroot()
    for (context_name, source), translation in extra.items():
        context = ElementTree.SubElement(root, "context")
        ElementTree.SubElement(context, "name").text = context_name
        message = ElementTree.SubElement(context, "message")
        ElementTree.SubElement(message, "source").text = source
        ElementTree.SubElement(message, "translation").text = translation
    made_ts = tmp_path / f"anchordesk_{language}.ts"
    tree.write(made_ts, encoding="utf-8", xml_declaration=True)
    lrelease = i18n_build.find_tool("lrelease")
    assert lrelease is not None
    made_qm = tmp_path / f"anchordesk_{language}.qm"
    subprocess.run([lrelease, "-silent", str(made_ts), "-qm", str(made_qm)], check=True, timeout=60)
    made = QTranslator()
    assert made.load(str(made_qm))
    _MADE_CATALOGUES.append(made)
    real_catalog = languages.catalog
    monkeypatch.setattr(
        languages, "catalog", lambda asked: made if asked == language else real_catalog(asked)
    )
    monkeypatch.setattr(i18n, "catalog", languages.catalog)


def test_a_recordings_folder_named_too_long_is_said_in_the_window_language_not_the_c_library_s(
    qtbot: QtBot,
    qapp: QApplication,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Record on, a recordings folder of the settings whose name is longer than the disk
    takes: a Japanese window said "…に書き込めません（File name too long）", the C library's
    English inside its line (R24hunt24ui left). The reason is said in the window's language."""
    _with_extra(monkeypatch, tmp_path, "ja", {("Disk", "File name too long"): _TOO_LONG_JA})
    folder = tmp_path / ("r" * 300)
    settings = Settings(record=True, record_asked=True, recordings_dir=str(folder))
    i18n.install(qapp, "ja")
    try:
        said: list[str] = []
        window = open_control_room(qtbot, executor, tmp_path, [], settings=settings)
        window.controller.message.connect(said.append)
        assert window.controller.live is not None
        qtbot.waitUntil(lambda: any("r" * 300 in line for line in said), timeout=10000)
        lines = [line for line in said if "r" * 300 in line]
        assert any(_TOO_LONG_JA in line for line in lines), lines
        assert not any("File name too long" in line for line in lines), lines
        window._quitting = True
        window.controller.shutdown()
    finally:
        i18n.install(qapp, "en")


def test_the_recording_files_and_a_feed_line_are_shown_in_their_tooltips_as_written(
    qtbot: QtBot, memory_keyring: object
) -> None:
    """The REC indicator's tooltip (the recordings folder of the settings) and the Feeds
    page's line (the feed's address) were the last two tooltips made of raw text: a folder
    "<b>Shows</b>" showed as a bold "Shows", an address holding "<img src=…>" as a picture
    (R24hunt24ui left). Both are shown as written."""
    files = ("/home/me/<b>Shows</b>/2026-11-30 show.mkv", "/home/me/<i>x</i>/next.mkv")
    indicator = RecordingIndicator()
    qtbot.addWidget(indicator)
    indicator.update_health(HealthState(recording="live", recording_files=files))
    assert tooltip_as_shown(indicator.toolTip()) == "\n".join(files)

    url = "https://example.com/<img src='/etc/x.png'>/<b>chat</b>"
    settings = Settings(feeds=[FeedSettings("f1", "json", url)])
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    item = dialog.page(FeedsPage).feed_list.item(0)
    assert "<b>chat</b>" in item.text()
    assert tooltip_as_shown(item.toolTip()) == item.text()


class _Asked(QTranslator):
    """Notes every text Qt asks a translation for, translates none."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[tuple[str, str]] = set()

    def translate(  # type: ignore[override]
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        self.asked.add((context, source))
        return ""

    def isEmpty(self) -> bool:
        return False


@pytest.mark.parametrize("language", ["ja", "zh_CN"])
def test_every_label_of_qt_s_own_file_dialog_has_a_translation_in_qtbase_or_ours(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path, language: str
) -> None:
    """File → Open in a Japanese or Chinese window (Qt's own dialog, not a native one): "Look
    in:" and "Files of type:" stayed in English beside translated buttons (R24hunt24ui left):
    Qt 6 asks "&Look in:", the qtbase catalogues PySide6 ships know only Qt 5's "Look in:".
    Every text of Qt's file dialog is translated by qtbase's catalogue or found by lupdate in
    our sources (so it is in our catalogue, which Qt asks first)."""
    asked = _Asked()
    i18n.install(qapp, language)
    qapp.installTranslator(asked)
    try:
        for mode in ("open", "save", "folder"):
            dialog = file_dialogs.make_dialog(None, "x", str(tmp_path), "Shows (*.json)")
            dialog.setOption(dialog.Option.DontUseNativeDialog, True)
            if mode == "save":
                dialog.setAcceptMode(dialog.AcceptMode.AcceptSave)
            elif mode == "folder":
                dialog.setFileMode(dialog.FileMode.Directory)
            qtbot.addWidget(dialog)
            dialog.show()
            qapp.processEvents()
            dialog.hide()
    finally:
        qapp.removeTranslator(asked)
        i18n.install(qapp, "en")
    qtbase = QTranslator()
    assert qtbase.load(
        f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    )
    ts_path = tmp_path / f"scan_{language}.ts"
    lupdate = i18n_build.find_tool("lupdate")
    assert lupdate is not None
    sources = [str(path) for path in i18n_build.source_files()]
    subprocess.run([lupdate, "-silent", *sources, "-ts", str(ts_path)], check=True, timeout=60)
    ours = {
        (context.findtext("name"), message.findtext("source"))
        for context in ElementTree.parse(ts_path).getroot().iter("context")
        for message in context.iter("message")
    }
    dialog_texts = {(c, s) for c, s in asked.asked if c == "QFileDialog"}
    # Qt 6.11 asks "&Look in:"; an older Qt 6 (6.8, the lowest supported) its own spelling:
    # the label is asked either way, and translated either way (the loop below).
    assert any("Look in" in source for _, source in dialog_texts)
    missing = sorted(
        (context, source)
        for context, source in dialog_texts
        if not qtbase.translate(context, source) and (context, source) not in ours
    )
    assert missing == []


_FIGURES = "%1 · %2 left · %3 of %4 units left"
_FIGURES_IN = {"zh_CN": "%1 · 剩余 %2 · 剩 %3/%4 件", "ja": "%1 · 残り %2 · %4点中残り%3点"}


def _laid_out_lines(label: QLabel) -> int:
    """How many lines ``label`` (word-wrapped) shows its text on, at its width."""
    lines = 0
    for paragraph in label.text().split("\n"):
        layout = QTextLayout(paragraph, label.font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.beginLayout()
        while (line := layout.createLine()).isValid():
            line.setLineWidth(label.contentsRect().width())
            lines += 1
        layout.endLayout()
    return lines


@pytest.mark.parametrize(("language", "folder"), [("zh_CN", "zh"), ("ja", "ja"), ("en", "en")])
def test_a_running_deal_s_row_breaks_between_its_product_and_its_figures_at_1366x768(
    qtbot: QtBot,
    qapp: QApplication,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    folder: str,
) -> None:
    """A deal running on a product no longer on screen is a row under the deal form: in
    Chinese at 1366x768 it broke inside its words ("…剩\\n余 1:48 · 剩 99/100 件", R21hunt21ui).
    Now the product is on one line and its figures on the next, each whole."""
    if language in _FIGURES_IN:
        _with_extra(
            monkeypatch, tmp_path, language, {("ProductPanel", _FIGURES): _FIGURES_IN[language]}
        )
    i18n.install(qapp, language)
    window = open_control_room(qtbot, executor, tmp_path, [])
    try:
        window.resize(1366, 768 - 30)  # the window manager's title bar
        window._apply_default_sizes()
        sample = paths.resources_dir() / "shows" / folder / "show.json"
        with qtbot.waitSignal(window.controller.session_started, timeout=20000):
            window.controller.open_show(sample)
        qtbot.waitUntil(lambda: len(window.products._cards) == 4, timeout=5000)
        controller = window.controller
        first, second = list(window.products._cards)[:2]
        controller.show_product(first)
        controller.start_deal(first, "9.00", 120, 100)
        controller.show_product(second)
        controller.poll_show()
        QApplication.processEvents()
        rows = list(window.products._running_rows.values())
        assert len(rows) == 1
        label = rows[0][0]
        # No line broken by the layout: each line of the row shows whole on its own.
        lines = label.text().count("\n") + 1
        assert _laid_out_lines(label) == lines, (label.text(), label.contentsRect().width())
        assert lines == 2, label.text()  # the product, then its figures
    finally:
        window._quitting = True
        window.controller.shutdown()
        i18n.install(qapp, "en")


def test_a_deal_with_refunds_cancellations_and_rejected_items_agrees_on_every_view(
    qtbot: QtBot,
    qt_asyncio_loop: object,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    nginx_rtmp: Any,
    memory_keyring: object,
) -> None:
    """The seams after the last rounds' merges, with what tests/ui/test_seams.py leaves out:
    live on a real RTMP server, a deal running, orders from a platform feed over HTTP, a
    partial refund, a cancellation sent twice, a refund of an order never seen, and hostile
    items (unknown SKU in markup, negative quantity, 1e999 total, NaN price, no id). The
    picture's card (its pixels), the Products card, Orders and sales, the deal, the session
    store and the report say the same numbers; every bad item is kept as rejected and counted
    in the report, none summed."""
    server = JsonFeedServer(poll_ms=50).start()
    try:
        window = open_control_room(qtbot, executor, tmp_path, [FeedSpec("json", server.url)])
        controller = window.controller
        controller.settings.destinations.append(
            Destination("studio", "Studio", "custom", f"rtmp://127.0.0.1:{nginx_rtmp.port}/live")
        )
        secrets.set_secret(secrets.stream_key_name("studio"), "seams-key-26")
        controller.go_live("studio", record=False)
        qtbot.waitUntil(lambda: controller.show_state.mode == "live", timeout=15000)
        session = controller.live.session
        controller.show_product("SERUM")
        controller.start_deal("SERUM", "29.00", 600, 20)
        controller.poll_show()

        o1 = server.add_order("SERUM", 2, "29.00", "USD")
        o2 = server.add_order("SERUM", 1, "29.00", "USD")
        o3 = server.add_order("CREAM", 1, "25.00", "USD")
        server.add_order("<b>NOPE</b>", 1, "5.00", "USD")  # unknown SKU
        server.add_order("SERUM", -3, "29.00", "USD")  # negative quantity
        server.add_raw(
            {
                "type": "order",
                "id": "huge",
                "currency": "USD",
                "total": "1e999",
                "lines": [{"sku": "SERUM", "quantity": 1, "price": "1e999"}],
            }
        )
        server.add_raw(
            {
                "type": "order",
                "id": "nan",
                "currency": "USD",
                "total": "NaN",
                "lines": [{"sku": "MASK", "quantity": 1, "price": "NaN"}],
            }
        )
        server.add_raw({"type": "order", "currency": "USD", "total": "5.00", "lines": []})
        server.add_update(o1, "refunded", "29.00", refund_id="r1", lines=[("SERUM", 1)])
        server.add_update(o3, "cancelled")
        server.add_update(o3, "cancelled")  # sent twice: counted once
        server.add_update("never-seen", "refunded", "5.00", refund_id="r2")
        server.add_update(o2, "refunded", "1e999", refund_id="r3")  # absurd: rejected
        server.add_comment("viewer", "done")  # the last item: when it is in, all are
        qtbot.waitUntil(lambda: controller.comment_count() == 1, timeout=15000)
        controller.flush_feeds()
        controller.poll_show()

        # Orders 117.00 (58 + 29 + 25 + 5), less the refund of 29.00 and the cancelled 25.00.
        sales = controller.sales
        assert (sales.gmv, sales.orders) == (Decimal("63.00"), 4)
        assert window.orders.gmv_value.text() == "$63.00"
        # Three serums sold at the deal, one given back by the refund's line.
        serum = controller.show_state.product("SERUM")
        assert serum is not None and (serum.stock_left, serum.units_sold) == (48, 2)
        card = window.products.card("SERUM").text()
        assert "48 left" in card and "2 sold" in card, card
        deal = controller.show_state.deal
        assert deal is not None and (deal.units_sold, deal.stock_left) == (2, 18)
        assert "18 of 20 units left" in window.products.deal_status_text()
        # The picture draws the deal's units left at the deal's price (its pixels: 18, not 17).
        assert controller.runtime.scene().card.stock_left == deal.stock_left == 18
        qtbot.waitUntil(
            lambda: same_pixels(picture_layer(window, "card"), drawn_as(window, stock_left=18)),
            timeout=10000,
        )
        assert not same_pixels(picture_layer(window, "card"), drawn_as(window, stock_left=17))
        # The orders list: each order line as it arrived, a stranger's SKU as plain text.
        model = window.orders.view.model()
        titles = [model.data(model.index(row, 1)) for row in range(model.rowCount())]
        assert sorted(titles) == sorted(
            ["Hydra Serum", "Hydra Serum", "Night Cream", "<b>NOPE</b>"]
        )

        units = {p.sku: p.units_sold for p in controller.show_state.products if p.units_sold}
        with qtbot.waitSignal(controller.rehearsal_finished, timeout=20000):
            controller.stop_live()
        store = SessionStore(session.path, read_only=True)
        try:
            assert len(store.orders()) == 4
            rejected = {
                (r.item.kind, r.item.item_id, r.item.reason) for r in store.rejected_items()
            }
        finally:
            store.close()
        assert rejected == {
            ("order", "o5", "unreadable"),  # quantity -3
            ("order", "huge", "amount_too_large"),
            ("order", "nan", "unreadable"),
            ("order", "", "unreadable"),  # no id
            ("order_update", o2, "amount_too_large"),  # a refund of 1e999
        }
        report = build_report(session.path)
        assert report.ledger.gmv_by_currency == {"USD": sales.gmv}
        assert report.orders == sales.orders
        assert {
            sku: p.units for sku, p in report.ledger.products.items() if p.units and sku in units
        } == units
        assert [(d.sku, d.units) for d in report.ledger.deals] == [("SERUM", deal.units_sold)]
        # The stored five and the refund of an order never seen: kept, counted, never summed.
        assert report.rejected_by_reason == {
            "unreadable": 3,
            "amount_too_large": 2,
            "update_order_not_counted": 1,
        }
        text = report_text(report, "en")
        assert "GMV         $63.00" in text and "Rejected    6 items, not counted" in text
    finally:
        server.stop()


def test_a_show_titled_with_qt_s_unsaved_mark_keeps_it_in_the_title_bar(
    qtbot: QtBot,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
) -> None:
    """A show titled "Sale [*] Night": the title bar read "Sale  Night — AnchorDesk" (Qt
    takes "[*]" for its mark of unsaved changes and drops it), while the picture's lower
    third said the title right. The title bar shows the show's title as written."""
    data = valid_show()
    data["title"] = "Sale [*] Night & <b>Deals</b>"
    path = write_show(tmp_path, data)
    window = open_control_room(qtbot, executor, tmp_path, [])
    try:
        window.show()
        with qtbot.waitSignal(window.controller.session_started, timeout=20000):
            window.controller.open_show(path)
        qtbot.waitUntil(lambda: "Sale" in window.windowTitle(), timeout=5000)
        handle = window.windowHandle()
        assert handle is not None
        assert handle.title() == "Sale [*] Night & <b>Deals</b> — AnchorDesk"
    finally:
        window._quitting = True
        window.controller.shutdown()


@pytest.mark.parametrize(
    "text",
    [
        '{"feeds": [{"id": "f1", "kind": "json", "url": "https://example.com/f\\u001b[2J"}]}',
        '{"record": "yes", "recent_shows": 5}',
        '{"feeds": [',
    ],
    ids=["feed URL with a control character", "wrong-typed fields", "not JSON"],
)
def test_settings_with_a_problem_open_in_the_settings_dialog_to_be_corrected(
    qtbot: QtBot, memory_keyring: object, text: str
) -> None:
    """A settings file with a problem the window says to correct in Settings (a feed URL
    holding a control character: "correct its URL in Settings, Feeds"; wrong-typed fields; a
    file that is not JSON): Ctrl+, ended in "AnchorDesk: unexpected error" (AttributeError:
    Words is immutable, from the dialog's deep copy of the settings and their problems), so
    the problem could never be corrected there. The dialog opens on them."""
    path = settings_path(make=True)
    path.write_text(text, encoding="utf-8")
    settings = load_settings()
    assert settings.problems, "the file has a problem the window says"
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    page = dialog.page(FeedsPage)
    if "feeds" in text and "url" in text:
        assert page.feed_list.count() == 1  # the feed to correct is there


def test_the_settings_lists_write_out_the_control_characters_of_a_feed_and_a_destination(
    qtbot: QtBot, memory_keyring: object
) -> None:
    """A feed URL of the settings file holding a right-to-left override and an escape (said
    "holds a control character at character 27" below it) was listed backwards in Settings →
    Feeds ("https://example.com/1=x?J2] deef/"); a destination's name the same. Both lines
    write the characters out, as the menus do."""
    url = "https://example.com/\u202e/feed\x1b[2J?x=1"
    settings = Settings(
        feeds=[FeedSettings("f1", "json", url)],
        destinations=[Destination("d1", "Studio \u202eB", "custom", "rtmp://127.0.0.1/live")],
    )
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    feed_line = dialog.page(FeedsPage).feed_list.item(0).text()
    assert feed_line.endswith("https://example.com/\\u202e/feed\\x1b[2J?x=1"), feed_line
    destination_line = dialog.page(DestinationsPage).destination_list.item(0).text()
    assert destination_line == "Studio \\u202eB"


@pytest.mark.parametrize("language", ["ja", "zh_CN", "en"])
def test_stream_health_s_dropped_frames_break_between_stages_not_inside_a_word_at_1366x768(
    qtbot: QtBot,
    qapp: QApplication,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    qt_asyncio_loop: object,
    language: str,
) -> None:
    """Stream health's dropped frames at 1366x768: in Japanese the line wrapped inside a word
    ("…エンコード 9 · ネット\\nワーク 0", seen since R21). Two stages a line, each line whole."""
    i18n.install(qapp, language)
    window = open_control_room(qtbot, executor, tmp_path, [])
    try:
        window.resize(1366, 768 - 30)
        window._apply_default_sizes()
        window.show()
        panel = window.health
        panel.update_health(
            HealthState(dropped_by_stage={"capture": 12, "render": 3, "encode": 9, "network": 161})
        )
        QApplication.processEvents()
        label = panel.values["dropped"]
        assert _laid_out_lines(label) == label.text().count("\n") + 1, (
            label.text(),
            label.contentsRect().width(),
        )
    finally:
        window._quitting = True
        window.controller.shutdown()
        i18n.install(qapp, "en")


def _nested(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


def test_the_show_editor_opens_a_show_holding_a_deeply_nested_value(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A show file whose product and theme hold an unknown value nested 600 deep: the control
    room reads and runs it (the field ignored, said so); File → Edit show ended in
    RecursionError (the editor's deep copies of the rows and the theme), the editor never
    shown; nested past what the decoder takes, the editor's Open too, where the show's reader
    says "nested too deeply". Now the editor opens the first, keeps the value, and says the
    second in words."""
    data = valid_show()
    data["products"][0]["extra"] = _nested(600)
    data["theme"] = {"accent": "#ff3355", "extra": _nested(600)}
    path = write_show(tmp_path, data)
    assert read_show_file(path).show is not None  # the control room runs it
    editor = ShowEditor(Settings())
    qtbot.addWidget(editor)
    assert editor.open_show(path)
    kept = editor.data()
    assert kept["products"][0]["extra"] == data["products"][0]["extra"]
    assert kept["theme"]["extra"] == data["theme"]["extra"]

    boxes: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: boxes.append(box.text()) or 0)
    deep = tmp_path / "deep.json"
    deep.write_text('{"title": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8")
    assert not editor.open_show(deep)
    assert any("nested too deeply" in box for box in boxes), boxes
