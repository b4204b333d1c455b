"""The data board: viewers (now, and a sparkline of the last ten minutes), comments and orders
per minute, GMV, conversion, average order, each product's sales and sell-out forecast, each
segment's figures, and the prompts for the host and the operator.

Every figure is the snapshot's (``LiveSnapshot.board``, computed once in ``show/board.py``);
this dock only puts them into words. Text from outside (product titles, question authors and
texts inside prompts) is shown as plain text: table items, plain-text labels, QPainter text.

Signals: ``dismiss_requested(str)`` — the operator dismissed the prompt with that key;
``prompt_fired(str)`` — a prompt appeared on the board, as one line in the window's language;
``newest_prompt_changed(str)`` — the newest prompt on the board ("" when none is left): the
teleprompter's line; ``rules_off_changed(list)`` — the prompt rules the operator turned off
(the Rules menu lists every rule with its threshold).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core.money import (
    format_number,
    format_rate,
    format_share,
)
from anchordesk.core.printable import bidi_isolated, escape_controls
from anchordesk.live.snapshot import LiveSnapshot
from anchordesk.show.board import (
    HISTORY_S,
    BoardFigures,
    ProductFigures,
    format_forecast_minutes,
)
from anchordesk.show.prompts import (
    DEAL_ENDING,
    QUESTION_WAITING,
    RULES,
    SOLD_OUT_ON_SCREEN,
    STOCK_SHORT,
    VIEWERS_DROP,
    Prompt,
    said_value,
)
from anchordesk.ui.docks.amounts import AmountsLabel, amount_lines, scrolling_layout
from anchordesk.ui.i18n import current_language
from anchordesk.ui.prompt_rules import rule_text
from anchordesk.ui.words import plain_tooltip

DASH = "—"
# Each figure's row, column and columns spanned in the board's grid.
_PLACES = {
    "viewers": (0, 0, 1),
    "comments": (0, 1, 1),
    "orders": (0, 2, 1),
    "conversion": (1, 0, 1),
    "gmv": (2, 0, 3),
    "average": (3, 0, 3),
}
MIN_SPAN_S = 60.0  # the sparkline's shortest time span


class Sparkline(QWidget):
    """The audience over the last ten minutes (or since the first count, at least a minute),
    drawn with QPainter: time runs left to right, now at the right edge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: tuple[tuple[float, int], ...] = ()
        self.setMinimumHeight(40)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(240, 44)

    def set_points(self, points: tuple[tuple[float, int], ...]) -> None:
        if points != self.points:
            self.points = points
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.fillRect(area, self.palette().base())
        plot = area.adjusted(4, 4, -4, -4)
        if len(self.points) >= 1 and plot.width() > 4:
            top = max(max(n for _, n in self.points), 1) * 1.1
            # A young show fills the line too: the span grows with the data, up to ten minutes.
            span = min(HISTORY_S, max(MIN_SPAN_S, -self.points[0][0]))

            def point(at: float, value: float) -> QPointF:
                x = plot.right() + plot.width() * max(-span, at) / span
                return QPointF(x, plot.bottom() - plot.height() * value / top)

            path = QPainterPath(point(*self.points[0]))
            for (_, before), (at, value) in zip(self.points, self.points[1:], strict=False):
                path.lineTo(point(at, before))  # a step: the count holds until the next one
                path.lineTo(point(at, value))
            path.lineTo(point(0.0, self.points[-1][1]))
            painter.setPen(QPen(QColor("#1e88e5"), 1.8))
            painter.drawPath(path)
        painter.end()


class BoardPanel(QWidget):
    dismiss_requested = Signal(str)
    prompt_fired = Signal(str)
    newest_prompt_changed = Signal(str)
    rules_off_changed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("board_panel")
        self.snapshot = LiveSnapshot()
        self._seen_prompts: set[str] = set()
        self.newest_prompt = ""
        self.captions: dict[str, QLabel] = {}
        self.values: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(0)
        names = ("viewers", "comments", "orders", "conversion", "gmv", "average")
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.3)
        big.setBold(True)
        for name in names:
            caption = QLabel(self)
            caption.setTextFormat(Qt.TextFormat.PlainText)
            money = name in ("gmv", "average")
            # Money of many currencies wraps between its amounts: in one of three columns,
            # on one line, it pushed the dock (and the window) wider than the screen
            # (R29hunt29ui F1).
            value = AmountsLabel(DASH, self) if money else QLabel(DASH, self)
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            value.setObjectName(f"board_{name}")
            if isinstance(value, AmountsLabel):
                value.set_wanted_font(big)  # the panel's own font when it is too wide
            else:
                value.setFont(big)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            # The counts three a row; each money figure a row of its own, one amount a line:
            # side by side, two lists of twelve currencies needed twice a dock's width.
            row, column, span = _PLACES[name]
            grid.addWidget(caption, row * 2, column, 1, span)
            grid.addWidget(value, row * 2 + 1, column, 1, span)
            self.captions[name] = caption
            self.values[name] = value

        self.sparkline = Sparkline(self)
        self.peak_label = QLabel(self)
        self.peak_label.setTextFormat(Qt.TextFormat.PlainText)
        self.peak_label.setObjectName("board_peak")

        self.prompts_label = QLabel(self)
        self.prompts_label.setTextFormat(Qt.TextFormat.PlainText)
        self.prompt_list = QListWidget(self)
        self.prompt_list.setObjectName("board_prompts")
        self.prompt_list.setWordWrap(True)
        self.prompt_list.setMaximumHeight(92)
        self.prompt_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.dismiss_button = QPushButton(self)
        self.dismiss_button.setObjectName("board_dismiss")
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        self.rules_button = QToolButton(self)
        self.rules_button.setObjectName("board_rules")
        self.rules_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.rules_menu = QMenu(self.rules_button)
        self.rule_actions: dict[str, QAction] = {}
        for rule in RULES:
            action = self.rules_menu.addAction("")
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(self._rules_toggled)
            self.rule_actions[rule] = action
        self.rules_button.setMenu(self.rules_menu)
        prompt_head = QHBoxLayout()
        prompt_head.addWidget(self.prompts_label, 1)
        prompt_head.addWidget(self.rules_button)
        prompt_head.addWidget(self.dismiss_button)

        self.products = QTableWidget(0, 4, self)
        self._product_rows_drawn_from: list[tuple[object, ...]] = []
        self.products.setObjectName("board_products")
        self.segments = QTableWidget(0, 5, self)
        for table in (self.products, self.segments):
            table.setTabKeyNavigation(False)  # Tab leaves; arrows move (R13ui F5)
        self.segments.setObjectName("board_segments")
        for table in (self.products, self.segments):
            table.verticalHeader().hide()
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            stretch = 1 if table is self.segments else 0
            table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
            table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
            # A long title is elided in its stretching column, never wrapped into a tall row
            # nor widening the table: its figures (sold, GMV, forecast) stay in sight. A GMV
            # in several currencies is one amount a line: its row is as tall as they are.
            table.setWordWrap(False)
            table.horizontalHeader().setMinimumSectionSize(
                table.fontMetrics().horizontalAdvance("MMM")
            )
            table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tables = QTabWidget(self)
        self.tables.addTab(self.products, "")
        self.tables.addTab(self.segments, "")

        # The panel's content scrolls inside the dock: twelve currencies are twelve lines of GMV
        # and as many of average order, taller than an 800×600 screen's dock (the window grew
        # past it, and at 1366×768 the figures below went out of sight).
        self.content = QWidget()
        self.content.setObjectName("board_content")
        layout = QVBoxLayout(self.content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(grid)
        layout.addWidget(self.sparkline)
        layout.addWidget(self.peak_label)
        layout.addLayout(prompt_head)
        layout.addWidget(self.prompt_list)
        layout.addWidget(self.tables, 1)
        self.tables.setMinimumHeight(self.products.verticalHeader().defaultSectionSize() * 8)
        self.scroll_area = scrolling_layout(self, self.content)
        self.retranslate()

    # -- words ---------------------------------------------------------------------------------

    def retranslate(self) -> None:
        for name, text in (
            ("viewers", self.tr("Viewers now")),
            ("comments", self.tr("Comments/min")),
            ("orders", self.tr("Orders/min")),
            ("gmv", self.tr("GMV")),
            ("conversion", self.tr("Conversion")),
            ("average", self.tr("Average order")),
        ):
            self.captions[name].setText(text)
        self.values["conversion"].setToolTip(self.tr("Buyers ÷ peak viewers"))
        self.sparkline.setToolTip(self.tr("Viewers over the last ten minutes"))
        self.sparkline.setAccessibleName(self.tr("Viewers over the last ten minutes"))
        self.prompts_label.setText(self.tr("Prompts"))
        self.dismiss_button.setText(self.tr("Dismiss"))
        self.dismiss_button.setToolTip(self.tr("Take the selected prompt off the board"))
        self.rules_button.setText(self.tr("Rules"))
        self.rules_button.setToolTip(self.tr("Which prompts the board gives"))
        for rule, action in self.rule_actions.items():
            action.setText(rule_text(rule))
        self.tables.setTabText(0, self.tr("Products"))
        self.tables.setTabText(1, self.tr("Segments"))
        self.products.setHorizontalHeaderLabels(
            [self.tr("Product"), self.tr("Sold"), self.tr("GMV"), self.tr("Forecast")]
        )
        self.segments.setHorizontalHeaderLabels(
            ["#", self.tr("Segment"), self.tr("Peak"), self.tr("Orders"), self.tr("Conversion")]
        )
        self._product_rows_drawn_from = []  # the words may have changed, the rows not
        self.update_snapshot(self.snapshot, announce=False)

    def prompt_line(self, prompt: Prompt) -> str:
        """A prompt as one line in the window's language (the teleprompter shows it too)."""
        templates = {
            VIEWERS_DROP: self.tr(
                "Viewers fell from %1 to %2 in %3 min: give them a reason to stay"
            ),
            DEAL_ENDING: self.tr("Deal on %1 ends in %2 s with %3 of %4 left"),
            SOLD_OUT_ON_SCREEN: self.tr("%1 sold out while on screen: move on or restock"),
            QUESTION_WAITING: self.tr("A question has waited %1 s: %2: %3"),
            STOCK_SHORT: self.tr("%1 sells out in ~%2 min, before this segment ends"),
        }
        names = {
            VIEWERS_DROP: ("from", "to", "minutes"),
            DEAL_ENDING: ("title", "seconds", "left", "total"),
            SOLD_OUT_ON_SCREEN: ("title",),
            QUESTION_WAITING: ("seconds", "author", "text"),
            STOCK_SHORT: ("title", "minutes"),
        }
        if prompt.rule not in templates:
            return prompt.english
        # One pass over the template: a value holding "%1" stays as typed. A title is isolated:
        # an override left open in it turned the rest of the line around.
        values = [bidi_isolated(self._prompt_value(prompt, name)) for name in names[prompt.rule]]

        def fill(match: re.Match[str]) -> str:
            number = int(match.group(1))
            return values[number - 1] if 1 <= number <= len(values) else match.group(0)

        return re.sub(r"%(\d)", fill, templates[prompt.rule])

    def _prompt_value(self, prompt: Prompt, name: str) -> str:
        """A count as the panels write it ("8,888,888 left", was "8888888"); a name (a title, an
        author) shortened to about twenty letters: a 190-character title filled the prompt box's
        three lines and the teleprompter's one, and pushed the prompt's figures out of both."""
        value = prompt.value(name)
        if name in _PROMPT_NAMES:
            metrics = self.prompt_list.fontMetrics()
            width = metrics.horizontalAdvance("M") * 20
            return metrics.elidedText(value, Qt.TextElideMode.ElideRight, width)
        return said_value(prompt, name, current_language())  # a count grouped (show/prompts)

    # -- figures -------------------------------------------------------------------------------

    def update_snapshot(self, snapshot: LiveSnapshot, *, announce: bool = True) -> None:
        self.snapshot = snapshot
        board = snapshot.board
        language = current_language()
        if board is None:
            for value in self.values.values():
                value.setText(DASH)
            self.sparkline.set_points(())
            self.peak_label.setText("")
            self._set_prompts(snapshot, announce)
            return
        self.values["viewers"].setText(_count(board.viewers_now, language))
        self.values["comments"].setText(_rate(board.comments_per_minute, language))
        self.values["orders"].setText(_rate(board.orders_per_minute, language))
        self.values["gmv"].setText(_money_list(board.gmv_by_currency, snapshot.currency, language))
        self.values["conversion"].setText(_percent(board.conversion, language))
        self.values["average"].setText(
            _money_list(board.average_order_value, snapshot.currency, language, with_own=False)
        )
        self.sparkline.set_points(board.viewer_history)
        if board.viewers_peak is None:
            self.peak_label.setText(self.tr("No feed counts viewers"))
        else:
            self.peak_label.setText(
                self.tr("Peak %1 · buyers %2")
                .replace("%2", _count(board.buyers, language))
                .replace("%1", _count(board.viewers_peak, language))
            )
        self._fill_products(board, language, {p.sku for p in snapshot.products})
        self._fill_segments(board, language)
        self._set_prompts(snapshot, announce)

    def _fill_products(self, board: BoardFigures, language: str, known: set[str]) -> None:
        """``known``: the show's SKUs. A product the show does not have is named by the feed
        that sold it (the line's title, else its SKU): its control characters are written as
        escapes, as the orders panel and the report write them; a right-to-left override in
        it showed "gnp.exe" as "exe.png" here, beside the orders panel's "\\u202egnp.exe"
        (R15ui F2)."""
        shown = [p for p in board.products if p.units or p.on_sale]
        forecasts = [_forecast_minutes(product) for product in shown]
        # What each row says comes from these: a row is written again only when its own
        # changed. With 500 deals running (500 products on sale) every row was written again
        # (money formatted, cells compared, columns measured) at each change of the board,
        # and each deal's start is one: starting 500 deals took minutes.
        font = self.products.font().key()
        drawn_from: list[tuple[object, ...]] = [
            (product.sku, product.title, product.currency, product.units, product.gmv,
             product.other_gmv, product.sold_out, product.on_sale, minutes,
             product.sku in known, language, font)
            for product, minutes in zip(shown, forecasts, strict=True)
        ]  # fmt: skip
        if drawn_from == self._product_rows_drawn_from:
            return
        with _sized_once(self.products, stretch=0):
            self._fill_product_rows(shown, forecasts, drawn_from, known, language)
        self._product_rows_drawn_from = drawn_from

    def _fill_product_rows(
        self,
        shown: list[ProductFigures],
        forecasts: list[int | None],
        drawn_from: list[tuple[object, ...]],
        known: set[str],
        language: str,
    ) -> None:
        if self.products.rowCount() != len(shown):
            self.products.setRowCount(len(shown))
            # The row numbers are hidden: no numbers for a screen reader either.
            self.products.setVerticalHeaderLabels([""] * len(shown))
        before = self._product_rows_drawn_from
        for row, product in enumerate(shown):
            if row < len(before) and before[row] == drawn_from[row]:
                continue
            minutes = forecasts[row]
            if product.sold_out:
                forecast = self.tr("sold out")
            elif minutes is not None:
                forecast = self.tr("sells out in ~%1 min").replace("%1", _count(minutes, language))
            else:
                forecast = DASH
            name = product.title or product.sku
            code = product.currency  # its own first, then what it sold in others, apart
            cells = (
                name if product.sku in known else escape_controls(name),
                _count(product.units, language),
                _money_list(((product.currency, product.gmv), *product.other_gmv), code, language),
                forecast,
            )
            for column, text in enumerate(cells):
                self._cell(self.products, row, column, text, right=column in (1, 2))
            # As tall as its GMV's lines, set here: rows sized to their contents by the header
            # measured every row at each change (2,000 products: 100 s, the window frozen).
            height = self._row_height(cells[2].count("\n") + 1)
            if self.products.rowHeight(row) != height:
                self.products.setRowHeight(row, height)
            title = self.products.item(row, 0)
            if title is not None:
                # The title column elides a long title (the figures stay in sight): the whole
                # title is in its tool tip and its accessible text.
                tip = cells[0] + ("\n" + self.tr("On sale now") if product.on_sale else "")
                title.setToolTip(plain_tooltip(tip))
                title.setData(Qt.ItemDataRole.AccessibleTextRole, cells[0])
                font = title.font()
                font.setBold(product.on_sale)
                title.setFont(font)

    def _fill_segments(self, board: BoardFigures, language: str) -> None:
        with _sized_once(self.segments, stretch=1):
            self._fill_segment_rows(board, language)

    def _fill_segment_rows(self, board: BoardFigures, language: str) -> None:
        self.segments.setRowCount(len(board.segments))
        self.segments.setVerticalHeaderLabels(
            [""] * len(board.segments)
        )  # hidden: no row numbers to read
        for row, segment in enumerate(board.segments):
            cells = (
                str(segment.index + 1),
                segment.title,
                _count(segment.viewers_peak, language),
                _count(segment.orders, language),
                _percent(segment.conversion, language),
            )
            for column, text in enumerate(cells):
                self._cell(self.segments, row, column, text, right=column != 1)
            title = self.segments.item(row, 1)
            if title is not None:  # elided in its column: whole in its tool tip
                title.setToolTip(plain_tooltip(segment.title))

    def _row_height(self, lines: int) -> int:
        header = self.products.verticalHeader()
        return header.defaultSectionSize() + (lines - 1) * self.products.fontMetrics().lineSpacing()

    @staticmethod
    def _cell(table: QTableWidget, row: int, column: int, text: str, *, right: bool) -> None:
        item = table.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            table.setItem(row, column, item)
        if item.text() != text:
            item.setText(text)
        # At the top of its row: beside a GMV of twelve lines, the title and the units sold
        # stood in the middle, out of the table's view while the first amounts were in it.
        side = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
        item.setTextAlignment(side | Qt.AlignmentFlag.AlignTop)

    # -- prompts -------------------------------------------------------------------------------

    def _set_prompts(self, snapshot: LiveSnapshot, announce: bool) -> None:
        keys = [prompt.key for prompt in snapshot.prompts]
        lines = [self.prompt_line(prompt) for prompt in snapshot.prompts]
        current = [
            (
                self.prompt_list.item(i).data(Qt.ItemDataRole.UserRole),
                self.prompt_list.item(i).text(),
            )
            for i in range(self.prompt_list.count())
        ]
        if current != list(zip(keys, lines, strict=True)):
            selected = self.selected_key()
            self.prompt_list.clear()
            for key, line in zip(keys, lines, strict=True):
                item = QListWidgetItem(line)  # plain text: a question's words stay as typed
                item.setData(Qt.ItemDataRole.UserRole, key)
                item.setToolTip(plain_tooltip(line))  # a question quoted, as typed
                self.prompt_list.addItem(item)
                if key == selected:
                    item.setSelected(True)
        self.dismiss_button.setEnabled(bool(keys))
        newest = lines[0] if lines else ""
        if newest != self.newest_prompt:
            self.newest_prompt = newest
            self.newest_prompt_changed.emit(newest)
        # Oldest first: when several fire at once, the last notice is the newest prompt.
        for prompt, line in reversed(list(zip(snapshot.prompts, lines, strict=True))):
            if prompt.key not in self._seen_prompts:
                self._seen_prompts.add(prompt.key)
                if announce:
                    self.prompt_fired.emit(line)

    def set_rules_off(self, off: Sequence[str]) -> None:
        """Tick the rules that are on (from the settings), without announcing a change."""
        for rule, action in self.rule_actions.items():
            action.blockSignals(True)
            action.setChecked(rule not in off)
            action.blockSignals(False)

    def rules_off(self) -> list[str]:
        return [rule for rule, action in self.rule_actions.items() if not action.isChecked()]

    def _rules_toggled(self) -> None:
        self.rules_off_changed.emit(self.rules_off())

    def selected_key(self) -> str | None:
        items = self.prompt_list.selectedItems()
        if items:
            return str(items[0].data(Qt.ItemDataRole.UserRole))
        return None

    def dismiss_selected(self) -> None:
        """Dismiss the selected prompt, else the newest."""
        key = self.selected_key()
        if key is None and self.prompt_list.count():
            key = str(self.prompt_list.item(0).data(Qt.ItemDataRole.UserRole))
        if key is not None:
            self.dismiss_requested.emit(key)


def _forecast_minutes(product: ProductFigures) -> int | None:
    """The whole minutes the forecast says (None: no forecast): the row's words change with
    them, not with each second of ``sells_out_in_s``."""
    if product.sold_out or product.sells_out_in_s is None:
        return None
    return format_forecast_minutes(product.sells_out_in_s)


@contextmanager
def _sized_once(table: QTableWidget, *, stretch: int) -> Iterator[None]:
    """Fill ``table`` with its columns held, then size them to their contents once: sized at
    each cell's change, 2,000 products took 38 s a refresh of the board (each cell measured
    the column's first thousand rows again), the window frozen while orders kept coming."""
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    try:
        yield
    finally:
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


_PROMPT_NAMES = frozenset({"title", "author"})  # the words of a prompt that are a name


def _count(value: int | None, language: str) -> str:
    return DASH if value is None else format_number(value, language)


def _rate(value: float, language: str) -> str:
    return format_rate(value, language)  # as the orders panel, the phone and the report


def _percent(value: float | None, language: str) -> str:
    return format_share(value, language)  # as the report


def _money_list(
    amounts: tuple[tuple[str, Decimal], ...], currency: str, language: str, *, with_own: bool = True
) -> str:
    """Each currency apart (never added up), the show's first: one amount a line."""
    return "\n".join(amount_lines(amounts, currency, language, with_own=with_own))
