"""Products dock: one button-card per product (price, stock left, units sold); click puts it on
screen. Below, the flash deal of the product on screen, prefilled from the show's plan.

Below the form, every deal that is running — whichever product is on screen — with its price,
time and units left and a button to stop it: a deal never disappears from the operator's view
while it runs.

Signals: ``show_product_requested(str sku)``, ``clear_product_requested()``,
``start_deal_requested(str sku, str price, int seconds, int stock)`` (price as a decimal string:
money never goes through a float), ``stop_deal_requested(str sku)``, ``notice(str)`` (a
command that cannot act, and why).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from itertools import compress
from operator import is_not
from typing import NamedTuple

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core.money import currency_digits, format_money, format_number
from anchordesk.ui.i18n import current_language
from anchordesk.ui.state import DealRow, ProductRow, ShowState
from anchordesk.ui.words import closed_bidi, deal_clock, fitted_parts, plain_tooltip

# The staged card (studio mode) is framed green, as its preview is; the frame takes a pixel of
# the padding, so its text does not move.
CARD_STYLE = (
    "QPushButton { text-align: left; padding: 4px 8px; }"
    ' QPushButton[staged="true"] { padding: 3px 7px; border: 2px solid #43a047;'
    " border-radius: 3px; }"
)


class ProductPanel(QWidget):
    show_product_requested = Signal(str)
    clear_product_requested = Signal()
    start_deal_requested = Signal(str, str, int, int)
    stop_deal_requested = Signal(str)
    notice = Signal(str)  # a key or button that cannot act, and why

    CARD_MIN_WIDTH = 210  # "$1,299.00 · 150 left · 12 sold" in one line

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("products")
        self._cards: dict[str, QPushButton] = {}
        # What each card was last drawn from (its row, its place, the list's width, the
        # language, ...): a card is drawn again only when one of them changed. A show of
        # 10,000 products drew every card (money, counts and elision each) at every refresh of
        # the state, several times a second: the window froze for seconds at each.
        self._card_drawn_from: dict[str, tuple[object, ...]] = {}
        self._card_numbers: dict[str, int] = {}
        self._skus: tuple[str, ...] = ()  # the cards' products, in their order
        self._shared_drawn: tuple[int, str, str] | None = None
        self._columns = 0
        self._products: tuple[ProductRow, ...] = ()
        self._currency = ""
        self._on_screen: str | None = None
        self._staged: str | None = None
        self._deal: DealRow | None = None
        self._live_deals: tuple[DealRow, ...] = ()
        self._prefilled_for: str | None = None
        self._showing_live: str | None = None  # deal_id whose real values fill the form

        self._grid_host = QWidget(self)
        # One style sheet for every card, on the list: a style sheet of its own on each card
        # (10,000 in a show at the limit) made Qt style and lay out each card on its own, and
        # opening a show of 5,000 products froze the window 13 s.
        self._grid_host.setStyleSheet(CARD_STYLE)
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(4)
        scroll = self._cards_scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._grid_host)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.viewport().installEventFilter(self)

        self._clear = QPushButton(self)
        self._clear.clicked.connect(self.clear_product_requested)

        self._deal_box = QGroupBox(self)
        self._deal_price = QDoubleSpinBox(self._deal_box)
        self._deal_price.setDecimals(2)
        self._deal_price.setMaximum(10_000_000)
        self._deal_seconds = QSpinBox(self._deal_box)
        self._deal_seconds.setRange(5, 24 * 3600)
        self._deal_stock = QSpinBox(self._deal_box)
        self._deal_stock.setRange(1, 10_000_000)
        self._deal_button = QPushButton(self._deal_box)
        self._deal_button.clicked.connect(self.toggle_deal)
        self._deal_status = QLabel(self._deal_box)
        self._deal_status.setTextFormat(Qt.TextFormat.PlainText)
        self._deal_status.setWordWrap(True)
        form = QFormLayout(self._deal_box)
        form.setContentsMargins(6, 4, 6, 4)
        self._price_label = QLabel(self._deal_box)
        self._seconds_label = QLabel(self._deal_box)
        self._stock_label = QLabel(self._deal_box)
        # Two pairs a row: the dock stays narrow enough for a 1024-pixel-wide screen.
        fields = QGridLayout()
        fields.setHorizontalSpacing(6)
        for position, (label, box) in enumerate(
            (
                (self._price_label, self._deal_price),
                (self._seconds_label, self._deal_seconds),
                (self._stock_label, self._deal_stock),
            )
        ):
            label.setBuddy(box)
            box.setMinimumWidth(70)
            row, column = divmod(position, 2)
            fields.addWidget(label, row, column * 2)
            fields.addWidget(box, row, column * 2 + 1)
        fields.addWidget(self._deal_button, 1, 2, 1, 2)
        fields.setColumnStretch(1, 1)
        fields.setColumnStretch(3, 1)
        form.addRow(fields)
        form.addRow(self._deal_status)
        # Every other running deal, with its own stop button (rebuilt when the set changes).
        # At most two rows high, then it scrolls: each deal used to add two lines to the box,
        # and with three deals running the product list above lost its last product to a
        # scroll bar (a 1366x768 screen).
        spacing = self.style().pixelMetric(QStyle.PixelMetric.PM_LayoutVerticalSpacing)
        self._running = _RowsBox(spacing if spacing >= 0 else 6)
        self._running_box: QWidget = self._running
        self._running_rows: dict[str, _RunningRow] = {}
        self._running_scroll = QScrollArea(self._deal_box)
        self._running_scroll.setObjectName("running_deals")
        self._running_scroll.setWidget(self._running_box)
        self._running_scroll.setWidgetResizable(True)
        self._running_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._running_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._running_scroll.hide()
        self._running_scroll.viewport().installEventFilter(self)
        form.addRow(self._running_scroll)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll, 1)
        layout.addWidget(self._clear)
        layout.addWidget(self._deal_box)
        self.retranslate()

    def retranslate(self) -> None:
        self._clear.setText(self.tr("Take the product off screen"))
        self._clear.setAccessibleName(self.tr("Take the product off screen"))
        self._deal_box.setTitle(self.tr("Flash deal"))
        self._price_label.setText(self.tr("&Price"))
        self._seconds_label.setText(self.tr("Se&conds"))
        self._stock_label.setText(self.tr("Stoc&k"))
        self._deal_price.setAccessibleName(self.tr("Deal price"))
        self._deal_seconds.setAccessibleName(self.tr("Deal length in seconds"))
        self._deal_stock.setAccessibleName(self.tr("Deal stock"))
        self._render_deal()
        self._card_drawn_from.clear()  # the words may have changed, the rows not
        for row in self._running_rows.values():
            row.drawn_from[0] = None
        self._render_running()
        self._render_cards(self._products)

    # -- state -----------------------------------------------------------------------------------

    def update_state(self, state: ShowState) -> None:
        if state.currency != self._currency:
            # JPY has no decimals, KWD three: the price field follows the show's currency.
            self._deal_price.setDecimals(currency_digits(state.currency) if state.currency else 2)
        currency_changed = state.currency != self._currency
        self._currency = state.currency
        # The rows that are not the same objects as at the refresh before (ui/snapshots.py
        # keeps a row whose product did not change): only their cards, and the cards that go
        # on or off air or the stage, are looked at again. Every card was, at every refresh
        # (each command and each poll), and a deal's start cost as much as the show is big.
        was = self._products
        products = state.products
        changed = _changed_rows(products, was)
        if changed is None and tuple(p.sku for p in products) != self._skus:
            self._rebuild(products)
        self._products = products
        marked = {self._on_screen, self._staged, state.on_screen_sku, state.staged_sku}
        self._on_screen = state.on_screen_sku
        self._staged = state.staged_sku
        self._deal = state.deal
        self._live_deals = state.deals
        if changed is None or currency_changed:
            self._render_cards(products)
        else:
            self._render_some(changed, marked)
        live = state.deal if state.deal is not None and state.deal.is_live else None
        if live is not None:
            # While the deal runs the form shows the deal itself, not the form's last values.
            self._show_live_values(live)
        elif self._showing_live is not None or state.on_screen_sku != self._prefilled_for:
            self._showing_live = None
            self._prefill(state.product(state.on_screen_sku))
        self._render_deal()
        self._render_running()

    def _rebuild(self, products: tuple[ProductRow, ...]) -> None:
        with self._cards_hidden():
            self._make_cards(products)

    @contextmanager
    def _cards_hidden(self) -> Iterator[None]:
        """The list hidden while its cards are made or placed, then shown once: a card added
        to a list on screen is shown and laid out on its own, one after the other, and opening
        a show of 5,000 products froze the window 13 s (10,000: minutes). The card that had
        the keyboard keeps it."""
        host = self._grid_host
        if host.isHidden():
            yield
            return
        focused = QApplication.focusWidget()
        host.hide()
        try:
            yield
        finally:
            host.show()
            if focused is not None and any(focused is card for card in self._cards.values()):
                focused.setFocus()

    def _make_cards(self, products: tuple[ProductRow, ...]) -> None:
        for card in self._cards.values():
            self._grid.removeWidget(card)
            card.deleteLater()
        self._cards.clear()
        self._card_drawn_from.clear()
        self._card_numbers = {product.sku: number for number, product in enumerate(products, 1)}
        self._skus = tuple(product.sku for product in products)
        for product in products:
            card = QPushButton(self._grid_host)
            card.setCheckable(True)
            card.setObjectName(f"product_card_{product.sku}")
            card.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            # As tall as its two lines need (their sizeHint), no taller: a fixed 52 px left the
            # fourth card of a four-product show cut at 1366x768 in Chinese and Japanese.
            card.setProperty("staged", False)
            sku = product.sku
            card.clicked.connect(lambda _checked=False, sku=sku: self._card_clicked(sku))
            self._cards[product.sku] = card
        self._columns = 0
        self._lay_out_cards()

    def _lay_out_cards(self) -> None:
        """As many columns as fit whole cards: a card's text is never cut at the dock's edge."""
        columns = max(1, min(3, (self.width() - 12) // self.CARD_MIN_WIDTH))
        if columns == self._columns:
            return
        self._columns = columns
        with self._cards_hidden():
            for card in self._cards.values():
                self._grid.removeWidget(card)
            for position, card in enumerate(self._cards.values()):
                self._grid.addWidget(card, position // columns, position % columns)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._lay_out_cards()
        self._fit_running()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self._cards_scroll.viewport()
            and isinstance(event, QResizeEvent)
            # Elided and wrapped for the list's new width (a running deal's row coming or
            # going changes its height only: the cards are as they were).
            and event.size().width() != event.oldSize().width()
        ):
            self._render_cards(self._products)
        if watched is self._running_scroll.viewport() and event.type() in (
            QEvent.Type.Resize,
            QEvent.Type.Show,
        ):
            width_px = self._running_row_px()
            measured = False
            for row in self._running_rows.values():  # wrapped at the rows' new width
                if row.line.measured_px != width_px:
                    row.line.measure_again()
                    measured = True
            if measured:
                self._running.place_from(0)
                self._rows_changed()
        return super().eventFilter(watched, event)

    def _running_row_px(self) -> int:
        """The width the running deals' rows have: the view of their scroll area, or (before
        it is first shown) what the deal form leaves it."""
        viewport = self._running_scroll.viewport()
        if self._running_scroll.isVisible() and viewport.width() > 0:
            return viewport.width()
        form = self._deal_box.layout()
        margins = form.contentsMargins() if form is not None else None
        sides = margins.left() + margins.right() if margins is not None else 0
        return max(1, self._deal_box.contentsRect().width() - sides)

    def _card_clicked(self, sku: str) -> None:
        card = self._cards[sku]
        card.setChecked(sku == self._on_screen)  # the engine's state decides, not the click
        self.show_product_requested.emit(sku)

    def card(self, sku: str) -> QPushButton:
        return self._cards[sku]

    def _render_cards(self, products: tuple[ProductRow, ...]) -> None:
        """Each card drawn again if what it is drawn from changed. What every card shares (the
        text's width, the language, the font) is found once, not once per card: with 10,000
        products it was a fifth of each refresh."""
        shared = self._shared()
        self._shared_drawn = shared
        for product in products:
            self._render_card(product, shared)

    def _render_some(self, changed: list[ProductRow], marked: set[str | None]) -> None:
        """The cards of ``changed`` rows and of the SKUs ``marked`` (on air or staged, before
        or now); every card when what they share changed."""
        shared = self._shared()
        if shared != self._shared_drawn:
            self._render_cards(self._products)
            return
        for product in changed:
            self._render_card(product, shared)
        for sku in marked:
            number = self._card_numbers.get(sku) if sku is not None else None
            if number is not None:
                self._render_card(self._products[number - 1], shared)

    def _shared(self) -> tuple[int, str, str]:
        first = next(iter(self._cards.values()), None)  # the cards share their font
        font = (first or self._grid_host).font().key()
        return (self._card_text_px(), current_language(), font)

    def _render_card(self, product: ProductRow, shared: tuple[int, str, str]) -> None:
        card = self._cards.get(product.sku)
        if card is None:
            return
        number = self._card_numbers[product.sku]
        room_px = shared[0]
        staged = product.sku == self._staged and product.sku != self._on_screen
        drawn_from = (
            product,
            number,
            self._currency_of(product),
            product.sku == self._on_screen,
            staged,
            *shared,
        )
        if self._card_drawn_from.get(product.sku) == drawn_from:
            return
        self._card_drawn_from[product.sku] = drawn_from
        prefix = f"{number} · " if number <= 9 else ""
        if product.stock_left <= 0:
            stock = self.tr("sold out")
        else:
            stock = self.tr("%1 left").replace("%1", _count(product.stock_left))
        sold = self.tr("%1 sold").replace("%1", _count(product.units_sold))
        # The card's text within the card: a long title ("京东自营 …", 96 characters) is
        # elided (whole in the tool tip); the figures wrap between them, each whole. A button
        # clips at its edge: the title and the units sold were cut without a mark.
        metrics = card.fontMetrics()
        first = f"{prefix}{product.title}"
        shown = metrics.elidedText(first, Qt.TextElideMode.ElideRight, room_px)
        if shown != first:
            shown = closed_bidi(shown)
        price = format_money(product.price, self._currency_of(product), current_language())
        figures = fitted_parts((price, stock, sold), " · ", room_px, metrics.horizontalAdvance)
        # "&" doubled: a button takes "R&D Kettle" as "RD Kettle" with Alt+D its key, and
        # Alt+D put that product on air (as "B&O" did with Alt+O).
        text = "\n".join([shown.replace("&", "&&"), *figures])
        if card.text() != text:
            card.setText(text)  # QPushButton never interprets markup
            card.setToolTip(plain_tooltip(product.title) if shown != first else "")
        card.setAccessibleName(self.tr("Put %1 on screen").replace("%1", product.title))
        card.setChecked(product.sku == self._on_screen)
        # Studio mode: the staged card is framed green, as its preview is (the list's style
        # sheet draws it from the card's "staged" property).
        if card.property("staged") != staged:
            card.setProperty("staged", staged)
            card.style().unpolish(card)
            card.style().polish(card)

    def _card_text_px(self) -> int:
        """The width a card's text has: its column of the list's view, less the card's
        padding and frame."""
        columns = max(1, self._columns)
        spacing = self._grid.horizontalSpacing()
        column_px = (self._cards_scroll.viewport().width() - spacing * (columns - 1)) // columns
        return max(40, column_px - 2 * 8 - 2 * 3)

    def _currency_of(self, product: ProductRow) -> str:
        # A show may price a product in another currency than its own (a €69.99 kettle in a
        # dollar show): it is written, and its deal priced, in the product's.
        return product.currency or self._currency

    def _prefill(self, product: ProductRow | None) -> None:
        self._prefilled_for = product.sku if product else None
        if product is None:
            return
        currency = self._currency_of(product)
        digits = currency_digits(currency) if currency else 2
        self._deal_price.setDecimals(digits)
        plan = product.deal
        # A suggestion of 20 % off, in the currency's own digits: a KWD 12.345 product was
        # offered 9.880 (rounded to cents) for 9.876.
        suggested = (product.price * Decimal("0.8")).quantize(Decimal(1).scaleb(-digits))
        price = plan.price if plan else suggested
        self._deal_price.setMaximum(float(product.price))
        self._deal_price.setValue(float(price))
        self._deal_seconds.setValue(plan.seconds if plan else 120)
        self._deal_stock.setMaximum(max(1, product.stock_left))
        stock = plan.stock if plan else min(100, product.stock_left)
        self._deal_stock.setValue(max(1, min(stock, max(1, product.stock_left))))

    def _show_live_values(self, deal: DealRow) -> None:
        self._showing_live = deal.deal_id
        currency = deal.currency or self._currency
        self._deal_price.setDecimals(currency_digits(currency) if currency else 2)
        self._deal_price.setMaximum(max(self._deal_price.maximum(), float(deal.price)))
        self._deal_price.setValue(float(deal.price))
        self._deal_seconds.setValue(max(self._deal_seconds.minimum(), round(deal.seconds_left)))
        self._deal_stock.setMaximum(max(self._deal_stock.maximum(), deal.stock_left))
        self._deal_stock.setValue(max(self._deal_stock.minimum(), deal.stock_left))

    def _render_running(self) -> None:
        # The on-screen product's deal is the form's: its status line and "Stop the deal"
        # above say it, a row here would say it twice.
        form_deal = self._deal.deal_id if self._deal is not None and self._deal.is_live else None
        wanted = {deal.deal_id: deal for deal in self._live_deals if deal.deal_id != form_deal}
        changed = False
        for deal_id in [d for d in self._running_rows if d not in wanted]:
            # The row's widget goes with its label, button and layout: a stopped deal leaves
            # nothing behind (its empty layout used to stay in the box for the whole show).
            gone = self._running_rows.pop(deal_id)
            self._running.remove(gone.line)
            gone.line.deleteLater()
            changed = True
        language = current_language()
        added: list[_RowLine] = []
        taller = False  # a row's words now take another number of lines
        for deal_id, deal in wanted.items():
            row = self._running_rows.get(deal_id)
            if row is None:
                line = _RowLine(self._running_box, self._running_row_px)
                label = QLabel(line)
                label.setTextFormat(Qt.TextFormat.PlainText)  # product titles are plain text
                label.setWordWrap(True)
                button = QPushButton(line)
                sku = deal.sku
                button.clicked.connect(lambda _c=False, sku=sku: self.stop_deal_requested.emit(sku))
                line_layout = QHBoxLayout(line)
                line_layout.setContentsMargins(0, 0, 0, 0)
                line_layout.addWidget(label, 1)
                line_layout.addWidget(button)
                row = _RunningRow(label, button, line, [None], [None])
                self._running_rows[deal_id] = row
                added.append(line)
            # What the row says, from what it was last written from: a refresh writes only
            # the rows that changed. With 500 deals running every row was written again at
            # every poll (ten a second) and at every start: the window was always busy.
            if row.drawn_from[0] is not None and row.seen[0] is deal:
                continue  # the same row as at the refresh before (ui/snapshots.py)
            row.seen[0] = deal
            currency = deal.currency or self._currency
            clock = deal_clock(deal.seconds_left)
            drawn_from = (deal.title, deal.sku, deal.price, currency, clock, deal.stock_left,
                          deal.stock_total, language)  # fmt: skip
            if row.drawn_from[0] == drawn_from:
                continue
            row.drawn_from[0] = drawn_from
            changed = True
            # The product on its line, its figures on the next: in one run of text, a Chinese
            # row at 1366x768 broke inside its words ("剩\n余 1:48", "剩余\n1:57").
            figures = (
                self.tr("%1 · %2 left · %3 of %Ln unit(s) left", "", deal.stock_total)
                .replace("%1", format_money(deal.price, currency, language))
                .replace("%2", clock)
                .replace("%3", _count(deal.stock_left))
            )
            row.label.setText(f"{deal.title or deal.sku}\n{figures}")
            if row.line not in added:
                was_px = row.line.sizeHint().height()
                row.line.measure_again()
                taller |= row.line.sizeHint().height() != was_px
            else:
                row.line.measure_again()
            row.button.setText(self.tr("Stop"))
            row.button.setAccessibleName(self.tr("Stop the deal on %1").replace("%1", deal.title))
        if taller:
            self._running.place_from(0)
        for line in added:
            self._running.add(line)
        if self._running_scroll.isHidden() == bool(wanted):
            self._running_scroll.setVisible(bool(wanted))
            changed = True
        if changed:
            self._rows_changed()
            self._fit_running()

    def _rows_changed(self) -> None:
        """The scroll area sizes its box again once the box has laid out its rows: it did
        not when a row came, and with five deals running their rows were squeezed into less
        than their words' height (each row's figures cut)."""
        QCoreApplication.postEvent(self._running_scroll, QEvent(QEvent.Type.LayoutRequest))

    def _fit_running(self) -> None:
        """The running deals' rows take what the product list leaves: as tall as their rows, up
        to two of them (a scroll area alone asks for more), and no taller than keeps every
        card whole above — but one row always shows. With three deals running in Chinese or
        Japanese at 1366x768, two wrapped rows pushed the fourth card under a scroll bar."""
        if self._running_scroll.isHidden():
            return
        # The rows' height measured as far as two rows' room only: the whole box measured
        # (and laid out) at each start cost as much as there were deals running.
        most_px = self.running_rows_max_px()
        spacing = self._running.spacing
        rows_px = 0
        one_row_px = 0
        counted = 0
        for row in self._running_rows.values():
            if row.line.isHidden():  # not shown yet: the box's layout does not count it
                continue
            row_px = row.line.sizeHint().height()
            one_row_px = one_row_px or row_px
            rows_px += row_px + (spacing if counted else 0)
            counted += 1
            if rows_px >= most_px:
                break
        layout = self.layout()
        assert layout is not None
        layout.activate()  # the list's view as the current rows leave it
        # What the cards' view lacks to show every card whole (negative: what it has spare).
        short_px = self._grid_host.sizeHint().height() - self._cards_scroll.viewport().height()
        room_px = max(one_row_px, self._running_scroll.height() - short_px)
        wanted = min(rows_px, most_px, room_px)
        if self._running_scroll.height() != wanted:
            self._running_scroll.setFixedHeight(wanted)

    def running_rows_max_px(self) -> int:
        return 2 * (2 * self.fontMetrics().lineSpacing() + 12)

    def running_deal_texts(self) -> list[str]:
        return [row.label.text() for row in self._running_rows.values()]

    def _render_deal(self) -> None:
        deal = self._deal
        live = bool(deal and deal.is_live)
        self._deal_button.setText(self.tr("Stop the deal") if live else self.tr("Start the deal"))
        self._deal_button.setAccessibleName(self._deal_button.text())
        self._deal_button.setEnabled(live or self._on_screen is not None)
        for box in (self._deal_price, self._deal_seconds, self._deal_stock):
            box.setEnabled(not live)
        # While the deal runs its status line below says its price, time and units left: the
        # form's row of price and seconds would say it again, in the product list's room.
        for widget in (self._price_label, self._deal_price, self._seconds_label):
            widget.setHidden(live)
        self._deal_seconds.setHidden(live)
        if deal is None:
            status = "" if self._on_screen else self.tr("Put a product on screen to start a deal.")
        elif deal.state == "live":
            status = (
                self.tr("Live: %1 left · %2 of %Ln unit(s) left", "", deal.stock_total)
                .replace("%1", deal_clock(deal.seconds_left))
                .replace("%2", _count(deal.stock_left))
            )
        elif deal.state == "sold_out":
            status = self.tr("Deal sold out: %Ln of its unit(s) sold", "", deal.units_sold)
        elif deal.state == "ended":
            status = self.tr("Ended")
        else:
            status = self.tr("Scheduled")
        self._deal_status.setText(status)

    def deal_status_text(self) -> str:
        return self._deal_status.text()

    def toggle_deal(self) -> None:
        if self._deal and self._deal.is_live:
            self.stop_deal_requested.emit(self._deal.sku)
            return
        if self._on_screen is None:
            self.notice.emit(self.tr("Put a product on screen to start a deal."))
            return
        price = Decimal(str(round(self._deal_price.value(), self._deal_price.decimals())))
        self.start_deal_requested.emit(
            self._on_screen, str(price), self._deal_seconds.value(), self._deal_stock.value()
        )


class _RowLine(QWidget):
    """A running deal's row, as tall as its wrapped words need at the width the rows have
    (``width_px``), measured when its words or that width change. Its label wraps, and a box
    of rows that wrap is laid out again whole (every row's words measured) whenever a row comes
    or goes: with 500 deals running each start cost as much as the 500 rows."""

    def __init__(self, parent: QWidget, width_px: Callable[[], int]) -> None:
        super().__init__(parent)
        self._width_px = width_px
        self._hint: QSize | None = None
        self.measured_px = 0  # the rows' width it was measured at

    def measure_again(self) -> None:
        self._hint = None
        self.updateGeometry()

    def hasHeightForWidth(self) -> bool:
        return False  # its height is measured here, at the rows' width

    def sizeHint(self) -> QSize:
        if self._hint is None or self.measured_px != self._width_px():
            layout = self.layout()
            assert layout is not None
            self.measured_px = self._width_px()
            self._hint = QSize(layout.sizeHint().width(), layout.heightForWidth(self.measured_px))
        return self._hint

    def minimumSizeHint(self) -> QSize:
        layout = self.layout()
        assert layout is not None
        return QSize(layout.minimumSize().width(), self.sizeHint().height())


class _RowsBox(QWidget):
    """The running deals' rows one under the other, placed here: a row that comes is put under
    the last, a row that goes moves the rows below it up. In a box layout every row was laid
    out again whenever one came, and with 500 deals running that was most of a start's time."""

    def __init__(self, spacing: int) -> None:
        super().__init__()
        self.spacing = spacing
        self._lines: list[_RowLine] = []
        self._height_px = 0

    def count(self) -> int:
        return len(self._lines)

    def add(self, line: _RowLine) -> None:
        self._lines.append(line)
        self.place_from(len(self._lines) - 1)
        line.show()

    def remove(self, line: _RowLine) -> None:
        at = self._lines.index(line)
        del self._lines[at]
        line.hide()
        self.place_from(at)

    def place_from(self, start: int) -> None:
        """The rows from ``start`` on, each as tall as its words at the box's width."""
        if start > 0:
            above = self._lines[start - 1].geometry()
            y = above.y() + above.height() + self.spacing
        else:
            y = 0
        width = self.width()
        for line in self._lines[start:]:
            height = line.sizeHint().height()
            line.setGeometry(0, y, width, height)
            y += height + self.spacing
        height_px = y - self.spacing if self._lines else 0
        if height_px != self._height_px:
            self._height_px = height_px
            self.setMinimumHeight(height_px)
            self.updateGeometry()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.place_from(0)

    def sizeHint(self) -> QSize:
        return QSize(self.minimumSizeHint().width(), self._height_px)

    def minimumSizeHint(self) -> QSize:
        first = self._lines[0].minimumSizeHint().width() if self._lines else 0
        return QSize(first, self._height_px)


class _RunningRow(NamedTuple):
    """A running deal's row: its label and stop button on one widget (removed as one), and
    what the row was last written from (a one-item list: the tuple itself is fixed)."""

    label: QLabel
    button: QPushButton
    line: _RowLine
    drawn_from: list[tuple[object, ...] | None]
    seen: list[DealRow | None]  # the row of the state it was last looked at for


def _changed_rows(
    products: tuple[ProductRow, ...], was: tuple[ProductRow, ...]
) -> list[ProductRow] | None:
    """The rows of ``products`` that are not the objects of ``was`` at their place; None when
    the list itself changed (another length, another product at a place)."""
    if len(products) != len(was):
        return None
    changed = []
    for place in compress(range(len(products)), map(is_not, products, was)):  # in C
        if products[place].sku != was[place].sku:
            return None
        changed.append(products[place])
    return changed


def _count(value: int) -> str:
    """A count as the data board, the report and the picture's neighbours write it: grouped
    in the window's language (2,500,000 left, not 2500000)."""
    return format_number(value, current_language())
