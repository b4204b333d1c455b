"""Round thirty-four (board34): the window with many deals running at once, and counts said
with their noun in the language's plural forms. Work is counted, never timed (benchmarks/
many_deals.py measures the real window)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from anchordesk.live.snapshot import LiveSnapshot
from anchordesk.show.board import BoardFigures, ProductFigures
from anchordesk.ui.docks.board import BoardPanel
from anchordesk.ui.docks.products import ProductPanel
from anchordesk.ui.state import DealRow, ProductRow, ShowState

DEALS = 60
T0 = 1_800_000_000.0


def _deal(i: int, seconds_left: float, stock_left: int = 10) -> DealRow:
    return DealRow(
        f"P{i}", "live", Decimal("9.99"), seconds_left, 600.0, stock_left, 10,
        title=f"Product {i}", currency="USD", deal_id=f"d{i}",
    )  # fmt: skip


def _count_running_rows_written(panel: ProductPanel, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The running deals' rows written from now on (their texts): work counted, not timed."""
    written: list[str] = []
    set_text = QLabel.setText

    def counting(label: QLabel, text: str) -> None:
        if any(label is row[0] for row in panel._running_rows.values()):
            written.append(text)
        set_text(label, text)

    monkeypatch.setattr(QLabel, "setText", counting)
    return written


def test_many_running_deals_are_written_only_when_they_change_and_leave_nothing_behind(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: every running deal's row under the deal form was written again at every refresh
    (ten a second), and each start is one: starting 500 deals in the window took 114 s and
    each poll about 1 s with them running. A stopped deal's empty layout stayed in the panel
    for the whole show. Now a refresh writes the rows whose words changed, and a stopped deal
    leaves no widget and no layout behind."""
    panel = ProductPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 700)
    panel.show()
    products = tuple(
        ProductRow(f"P{i}", f"Product {i}", Decimal("19.99"), 1000, 0) for i in range(DEALS)
    )
    state = ShowState(title="Many", currency="USD", language="en", products=products)
    panel.update_state(state)
    written = _count_running_rows_written(panel, monkeypatch)
    deals: list[DealRow] = []
    for i in range(DEALS):
        written.clear()
        deals.append(_deal(i, 600.0))
        panel.update_state(replace(state, deals=tuple(deals)))
        # The new deal's row only (was: every running deal's row again).
        assert written == [f"Product {i}\n$9.99 · 10:00 left · 10 of 10 units left"]
    QApplication.processEvents()
    written.clear()
    # A tenth of a second later: no clock turned, nothing sold — nothing is written.
    deals = [_deal(i, 599.9) for i in range(DEALS)]
    panel.update_state(replace(state, deals=tuple(deals)))
    assert written == []
    # One deal sold a unit and every clock turned a second: each row says it.
    deals = [_deal(i, 599.0, 9 if i == 7 else 10) for i in range(DEALS)]
    panel.update_state(replace(state, deals=tuple(deals)))
    assert len(written) == DEALS
    assert "Product 7\n$9.99 · 9:59 left · 9 of 10 units left" in panel.running_deal_texts()
    written.clear()
    # The on-screen product's deal is the form's: its row goes, the others are not written.
    panel.update_state(replace(state, deals=tuple(deals), on_screen_sku="P3", deal=deals[3]))
    assert written == [] and len(panel.running_deal_texts()) == DEALS - 1
    for stopped in range(DEALS, 0, -1):
        panel.update_state(replace(state, deals=tuple(deals[: stopped - 1])))
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert panel.running_deal_texts() == []
    # Nothing left of the stopped deals' rows: no label or button, no empty layout.
    assert panel._running_box.findChildren(QWidget) == []
    assert panel._running.count() == 0


def _figures(on_sale: int, sold: dict[int, int]) -> BoardFigures:
    return BoardFigures(
        at=T0, viewers_now=10, viewers_peak=10, viewer_history=(), comments_per_minute=0.0,
        orders_per_minute=0.0, orders=0, buyers=0, units=0, gmv_by_currency=(),
        average_order_value=(),
        products=tuple(
            ProductFigures(
                f"P{i}", f"Product {i}", "USD", sold.get(i, 0),
                Decimal("9.99") * sold.get(i, 0), 10 - sold.get(i, 0),
                sold.get(i, 0) / 3.0, 600.0 + i / 10 if sold.get(i) else None, i < on_sale,
            )
            for i in range(DEALS)
        ),
        segments=(),
    )  # fmt: skip


def test_the_boards_products_are_written_only_when_they_change(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: every product row of the data board (money formatted, four cells compared,
    columns measured) was written again at each change of the board; with every product in a
    live deal each deal's start rewrote all of them. Now only the rows that changed."""
    board = BoardPanel()
    qtbot.addWidget(board)
    board.show()
    written: list[int] = []
    cell = board._cell

    def counting(table: QTableWidget, row: int, column: int, text: str, *, right: bool) -> None:
        if table is board.products and column == 0:
            written.append(row)
        cell(table, row, column, text, right=right)

    monkeypatch.setattr(board, "_cell", counting)
    for on_sale in range(1, DEALS + 1):
        written.clear()
        board.update_snapshot(LiveSnapshot(currency="USD", board=_figures(on_sale, {})))
        assert written == [on_sale - 1]  # the new deal's product (was: every row)
    written.clear()
    # Orders of product 5: its row (units, GMV, forecast); a forecast's seconds that do not
    # change its minutes write nothing.
    board.update_snapshot(LiveSnapshot(currency="USD", board=_figures(DEALS, {5: 2})))
    assert written == [5]
    assert board.products.item(5, 1).text() == "2"
    assert board.products.item(5, 2).text() == "$19.98"
    assert board.products.item(5, 3).text() == "sells out in ~10 min"
    written.clear()
    board.update_snapshot(LiveSnapshot(currency="USD", board=_figures(DEALS, {5: 2})))
    assert written == []
    # A change of language writes them all, in its words.
    board.retranslate()
    assert sorted(written) == list(range(DEALS))


# -- counts with their noun: Qt's plural forms ---------------------------------------------------

# What the window says at 1 and at 2, in each language (English's forms from
# translations/anchordesk_en.ts, as Qt documents for a source language with plurals).
SAID: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "new": ("1 new comment ↓", "2 new comments ↓"),
        "new_name": ("1 new comment: show the newest", "2 new comments: show the newest"),
        "running": (
            "$9.99 · 0:30 left · 1 of 1 unit left",
            "$9.99 · 0:30 left · 1 of 2 units left",
        ),
        "live": ("Live: 0:30 left · 1 of 1 unit left", "Live: 0:30 left · 1 of 2 units left"),
        "sold_out": ("Deal sold out: its 1 unit sold", "Deal sold out: 2 of its units sold"),
        "products": (
            "This show has 1 product: there is no product 7.",
            "This show has 2 products: there is no product 7.",
        ),
        "words": ("1 word to avoid on air:", "2 words to avoid on air:"),
        "summary": (
            "1 error, 1 warning, each shown next to its field",
            "2 errors, 2 warnings, each shown next to its field",
        ),
    },
    "zh_CN": {
        "new": ("1 条新评论 ↓", "2 条新评论 ↓"),
        "new_name": ("1 条新评论：跳到最新", "2 条新评论：跳到最新"),
        "running": ("US$9.99 · 剩余 0:30 · 剩 1/1 件", "US$9.99 · 剩余 0:30 · 剩 1/2 件"),
        "live": ("进行中：还剩 0:30 · 库存 1/1 件", "进行中：还剩 0:30 · 库存 1/2 件"),
        "sold_out": ("秒杀已抢光：售出 1 件", "秒杀已抢光：售出 2 件"),
        "products": (
            "本节目只有 1 个商品，没有第 7 个商品。",
            "本节目只有 2 个商品，没有第 7 个商品。",
        ),
        "words": ("1 处直播中应避免的用语：", "2 处直播中应避免的用语："),
        "summary": (
            "1 个错误，1 个警告（各自显示在对应字段旁）",
            "2 个错误，2 个警告（各自显示在对应字段旁）",
        ),
    },
    "ja": {
        "new": ("新着コメント 1 件 ↓", "新着コメント 2 件 ↓"),
        "new_name": ("新着コメント 1 件：最新を表示", "新着コメント 2 件：最新を表示"),
        "running": ("$9.99 · 残り 0:30 · 1点中残り1点", "$9.99 · 残り 0:30 · 2点中残り1点"),
        "live": ("開催中：残り 0:30 · 在庫 1/1 個", "開催中：残り 0:30 · 在庫 1/2 個"),
        "sold_out": ("セール分完売：1点販売", "セール分完売：2点販売"),
        "products": (
            "この番組の商品は 1 点です。商品 7 はありません。",
            "この番組の商品は 2 点です。商品 7 はありません。",
        ),
        "words": ("配信で避けるべき語が 1 件：", "配信で避けるべき語が 2 件："),
        "summary": (
            "エラー 1 件、警告 1 件（それぞれの項目の横に表示）",
            "エラー 2 件、警告 2 件（それぞれの項目の横に表示）",
        ),
    },
}


def _said(count: int, qtbot: QtBot) -> dict[str, str]:
    """What the window's panels say with ``count`` of each thing, in the installed language."""
    from tests.ui.conftest import small_controller

    from anchordesk.live.settings import Settings
    from anchordesk.ui.docks.comments import CommentPanel
    from anchordesk.ui.editor.draft import Finding
    from anchordesk.ui.editor.editor import ShowEditor
    from anchordesk.ui.state import CommentRow

    said: dict[str, str] = {}
    comments = CommentPanel()
    qtbot.addWidget(comments)
    comments.stop_following()
    comments.add_comments([CommentRow(f"json:{i}", "Ann", "Hi", T0 + i) for i in range(count)])
    said["new"] = comments.new_comments.text()
    said["new_name"] = comments.new_comments.accessibleName()

    panel = ProductPanel()
    qtbot.addWidget(panel)
    products = tuple(
        ProductRow(f"P{i}", f"Product {i}", Decimal("19.99"), 100, 0) for i in range(2)
    )
    running = DealRow(
        "P0", "live", Decimal("9.99"), 30.0, 60.0, 1, count, title="Product 0",
        currency="USD", deal_id="d0",
    )  # fmt: skip
    state = ShowState(title="S", currency="USD", language="en", products=products)
    panel.update_state(replace(state, deals=(running,)))
    said["running"] = panel.running_deal_texts()[0].split("\n")[1]
    panel.update_state(replace(state, deals=(running,), on_screen_sku="P0", deal=running))
    said["live"] = panel.deal_status_text()
    sold_out = replace(running, state="sold_out", stock_left=0, units_sold=count)
    panel.update_state(replace(state, on_screen_sku="P0", deal=sold_out))
    said["sold_out"] = panel.deal_status_text()

    controller = small_controller(Settings(record=False, record_asked=True))
    messages: list[str] = []
    controller.message.connect(messages.append)
    controller.show_state = replace(state, products=products[:count])
    controller.show_product_number(7)
    said["products"] = messages[-1]
    controller.shutdown()

    # The go-live check's line (its dialog checks a destination over the network: its
    # message, from the installed catalogue, as the dialog asks for it).
    said["words"] = QCoreApplication.translate(
        "GoLiveDialog", "%Ln word(s) to avoid on air:", None, count
    )
    editor = ShowEditor(Settings())
    qtbot.addWidget(editor)
    editor.findings = [Finding(f"products[{i}]", "bad", True) for i in range(count)] + [
        Finding(f"rundown[{i}]", "odd", False) for i in range(count)
    ]
    editor._update_summary()
    said["summary"] = editor.problem_summary.text()
    return said


@pytest.mark.parametrize("language", ["en", "zh_CN", "ja"])
def test_a_count_of_one_and_of_two_are_said_with_the_languages_plural_forms(
    qapp: QApplication, qtbot: QtBot, language: str
) -> None:
    """Before: "1 new comments ↓", "This show has 1 products", "1 of 1 units left", "1 word(s)
    to avoid on air", "1 errors, 1 warnings": the window had no plural forms. Now each count
    with its noun is Qt's numerus message (``tr(…, n)`` with %Ln), English's forms from
    translations/anchordesk_en.ts, Chinese and Japanese by hand."""
    from anchordesk.ui import i18n

    i18n.install(qapp, language)
    try:
        for count, index in ((1, 0), (2, 1)):
            said = _said(count, qtbot)
            expected = {key: forms[index] for key, forms in SAID[language].items()}
            assert said == expected
    finally:
        i18n.install(qapp, "en")


def test_a_large_count_is_grouped_as_the_languages_counts_are(
    qapp: QApplication, qtbot: QtBot
) -> None:
    """%Ln is grouped by the window's language: the same figure as core.money.format_number
    writes everywhere else (12,345)."""
    from anchordesk.core.money import format_number
    from anchordesk.ui import i18n
    from anchordesk.ui.docks.comments import CommentPanel

    for language in ("en", "zh_CN", "ja"):
        i18n.install(qapp, language)
        try:
            panel = CommentPanel()
            qtbot.addWidget(panel)
            assert format_number(12345, language) in panel.tr("%Ln new comment(s) ↓", "", 12345)
        finally:
            i18n.install(qapp, "en")


def test_the_catalogues_read_from_their_ts_sources_give_the_plural_forms() -> None:
    """Where no .qm was built the .ts is read (core.languages.TsTranslator): it gave the first
    form for every count."""
    from anchordesk.core import paths
    from anchordesk.core.languages import TsTranslator

    english = TsTranslator(paths.translations_dir() / "anchordesk_en.ts")
    assert english.translate("CommentPanel", "%Ln new comment(s) ↓", None, 1) == ("1 new comment ↓")
    assert english.translate("CommentPanel", "%Ln new comment(s) ↓", None, 2) == (
        "2 new comments ↓"
    )
    japanese = TsTranslator(paths.translations_dir() / "anchordesk_ja.ts")
    assert japanese.translate("CommentPanel", "%Ln new comment(s) ↓", None, 2) == (
        "新着コメント 2 件 ↓"
    )


# -- opening a show of many products -------------------------------------------------------------


class _CardMoves(QObject):
    """Counts the moves of product cards: the work of laying the list out, counted not timed."""

    def __init__(self) -> None:
        super().__init__()
        self.moves = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Move and watched.objectName().startswith("product_card_"):
            self.moves += 1
        return False


def test_opening_a_show_of_many_products_lays_the_cards_out_once(qtbot: QtBot) -> None:
    """Before: each card of a newly opened show was added to the list while it was on screen,
    so Qt showed and placed the cards one after the other, each placing moving the cards
    placed before it: a show of 5,000 products froze the window 13 s (10,000: minutes).
    Now the list is hidden while its cards are made, then shown once: each card is moved a
    few times, not hundreds. The cards say their figures and a focused card keeps the keys."""
    count = 300
    panel = ProductPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 700)
    panel.show()
    QApplication.processEvents()
    moves = _CardMoves()
    QApplication.instance().installEventFilter(moves)  # type: ignore[union-attr]
    try:
        products = tuple(
            ProductRow(f"P{i}", f"Product {i}", Decimal("19.99"), 1000, 0) for i in range(count)
        )
        state = ShowState(title="Big", currency="USD", language="en", products=products)
        panel.update_state(state)
        QApplication.processEvents()
        assert moves.moves <= 4 * count, moves.moves  # was 38,487 (about count² / 2)
        last = panel.card(f"P{count - 1}")
        assert last.isVisible() and "1,000 left · 0 sold" in last.text()
        panel.card("P1").setFocus()
        QApplication.processEvents()
        moves.moves = 0
        panel.resize(700, 700)  # three columns: the cards placed again, once each
        QApplication.processEvents()
        assert moves.moves <= 4 * count, moves.moves
        assert panel.card("P1").hasFocus()
        # Another show of as many products: the same.
        moves.moves = 0
        panel.update_state(
            replace(state, products=tuple(replace(p, sku=f"Q{p.sku}") for p in products))
        )
        QApplication.processEvents()
        assert moves.moves <= 4 * count, moves.moves
        assert panel.card(f"QP{count - 1}").isVisible()
    finally:
        QApplication.instance().removeEventFilter(moves)  # type: ignore[union-attr]


def test_the_staged_card_is_framed_green_by_the_lists_one_style_sheet(qtbot: QtBot) -> None:
    """The cards share the list's style sheet (a sheet of its own on each card made Qt style
    each apart); the staged card (studio mode) is still framed green, and only while staged."""
    panel = ProductPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 500)
    panel.show()
    products = tuple(
        ProductRow(f"P{i}", f"Product {i}", Decimal("19.99"), 1000, 0) for i in range(3)
    )
    state = ShowState(title="S", currency="USD", language="en", products=products)

    def green_pixels(sku: str) -> int:
        image = panel.card(sku).grab().toImage()
        return sum(
            image.pixelColor(x, y).name() == "#43a047"
            for x in range(image.width())
            for y in range(image.height())
        )

    panel.update_state(state)
    QApplication.processEvents()
    assert green_pixels("P1") == 0
    panel.update_state(replace(state, staged_sku="P1"))
    QApplication.processEvents()
    assert green_pixels("P1") > 100 and green_pixels("P2") == 0
    panel.update_state(state)
    QApplication.processEvents()
    assert green_pixels("P1") == 0


def test_a_refresh_measures_what_the_cards_share_once_not_once_per_card(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: each card of each refresh found the list's text width (its view, spacing and
    columns) and the font's key again: with 10,000 products, 0.13 s of every refresh, ten a
    second (now 0.02-0.03 s; benchmarks/open_big_show.py). Counted: once a refresh."""
    panel = ProductPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 700)
    panel.show()
    products = tuple(
        ProductRow(f"P{i}", f"Product {i}", Decimal("19.99"), 1000, 0) for i in range(DEALS)
    )
    state = ShowState(title="S", currency="USD", language="en", products=products)
    panel.update_state(state)
    QApplication.processEvents()
    measured: list[int] = []
    text_px = panel._card_text_px

    def counting() -> int:
        measured.append(1)
        return text_px()

    monkeypatch.setattr(panel, "_card_text_px", counting)
    changed = replace(state, products=(replace(products[0], stock_left=999, units_sold=1),
                                       *products[1:]))  # fmt: skip
    panel.update_state(changed)
    assert len(measured) == 1, len(measured)  # was one per card (60)
    assert "999 left · 1 sold" in panel.card("P0").text()
