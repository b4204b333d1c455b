"""Orders and sales board: the live order list; GMV, orders per minute, units per product."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core.money import format_money, format_number, format_rate
from anchordesk.ui.docks.amounts import AmountsLabel, amount_lines, scrolling_layout
from anchordesk.ui.docks.charts import BarChart
from anchordesk.ui.docks.table_model import ModelIndex, RowTableModel
from anchordesk.ui.i18n import current_language
from anchordesk.ui.state import OrderRow, SalesState
from anchordesk.ui.words import plain_tooltip


class OrderModel(RowTableModel):
    """Newest order first; capped like the comments (the store keeps every order)."""

    def __init__(self, capacity: int = 2000, parent: QWidget | None = None) -> None:
        super().__init__(4, parent)
        self._rows: list[OrderRow] = []
        self.capacity = capacity

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            title = row.title or row.sku
            if row.simulated:
                title = self.tr("%1 (simulated)").replace("%1", title)
            return (
                time.strftime("%H:%M:%S", time.localtime(row.at_s)),
                title,
                format_number(row.quantity, current_language()),
                format_money(row.amount, row.currency, current_language()),
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1:
            # The product column elides a long title ("京东自营 …"): whole in its tool tip.
            return plain_tooltip(self.data(index))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def prepend(self, rows: Sequence[OrderRow]) -> None:
        if not rows:
            return
        newest_first = list(reversed(rows))[: self.capacity]
        self.beginInsertRows(QModelIndex(), 0, len(newest_first) - 1)
        self._rows[0:0] = newest_first
        self.endInsertRows()
        if len(self._rows) > self.capacity:
            self.beginRemoveRows(QModelIndex(), self.capacity, len(self._rows) - 1)
            del self._rows[self.capacity :]
            self.endRemoveRows()


class OrdersPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("orders")
        self.model = OrderModel(parent=self)
        self.view = QTableView(self)
        self.view.setTabKeyNavigation(False)  # Tab leaves; arrows move (R13ui F5)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # Rows on screen only: the list holds up to 2,000 orders and is sized at each batch.
        header.setResizeContentsPrecision(0)
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.5)
        big.setBold(True)
        self.gmv_value = AmountsLabel("—", self)
        self.rate_value = QLabel("—", self)
        self.count_value = QLabel("0", self)
        self.gmv_caption = QLabel(self)
        self.rate_caption = QLabel(self)
        self.count_caption = QLabel(self)
        board = QGridLayout()
        # The GMV on a row of its own (one amount a line), the counts below it: beside twelve
        # amounts the counts were pushed past the dock's edge on an 800×600 screen.
        for row, column, span, caption, value in (
            (0, 0, 2, self.gmv_caption, self.gmv_value),
            (2, 0, 1, self.count_caption, self.count_value),
            (2, 1, 1, self.rate_caption, self.rate_value),
        ):
            for label in (caption, value):
                label.setTextFormat(Qt.TextFormat.PlainText)
            value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            if isinstance(value, AmountsLabel):
                value.set_wanted_font(big)  # the panel's own font when it is too wide
            else:
                value.setFont(big)
            board.addWidget(caption, row, column, 1, span)
            board.addWidget(value, row + 1, column, 1, span)
        # Items a feed sent that are not counted (an absurd amount, unreadable): kept and
        # listed in the report; said here during the show too, never only afterwards.
        self.rejected_value = QLabel(self)
        self.rejected_value.setTextFormat(Qt.TextFormat.PlainText)
        self.rejected_value.setWordWrap(True)
        self.rejected_value.hide()
        self._rejected = 0
        self.chart = BarChart(self)
        # Its content scrolls inside the dock: the GMV in twelve currencies is twelve lines.
        self.content = QWidget()
        self.content.setObjectName("orders_content")
        layout = QVBoxLayout(self.content)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(board)
        layout.addWidget(self.rejected_value)
        layout.addWidget(self.chart)
        layout.addWidget(self.view, 1)
        self.view.setMinimumHeight(self.view.verticalHeader().defaultSectionSize() * 5)
        self.scroll_area = scrolling_layout(self, self.content)
        self.setFocusProxy(self.view)  # the panel's key puts the keys in the orders list
        self.retranslate()

    def retranslate(self) -> None:
        self.model.set_headers(
            [self.tr("Time"), self.tr("Product"), self.tr("Qty"), self.tr("Amount")]
        )
        self.gmv_caption.setText(self.tr("GMV"))
        self.rate_caption.setText(self.tr("Orders/min"))
        self.count_caption.setText(self.tr("Orders"))
        self.view.setAccessibleName(self.tr("Orders"))
        self.chart.setAccessibleName(self.tr("Units sold per product"))
        self.gmv_value.setAccessibleName(self.tr("Gross merchandise value"))
        self.rate_value.setAccessibleName(self.tr("Orders per minute"))
        self.count_value.setAccessibleName(self.tr("Orders"))
        self._say_rejected()

    def _say_rejected(self) -> None:
        self.rejected_value.setVisible(self._rejected > 0)
        self.rejected_value.setText(
            self.tr("Rejected, not counted: %1 (listed in the report)").replace(
                "%1", format_number(self._rejected, current_language())
            )
        )

    def start_session(self) -> None:
        """A new session (live, or a rehearsal again): its orders only, as its figures are."""
        self.model.clear()

    def add_orders(self, rows: Sequence[OrderRow]) -> None:
        self.model.prepend(rows)
        # ResizeToContents sized the columns once, for the headers of an empty list, and not
        # again when orders came: "¥11,600" was cut to "¥11,…" under a two-character 金額.
        for column in (0, 2, 3):
            self.view.resizeColumnToContents(column)

    def update_sales(self, sales: SalesState) -> None:
        # Orders in other currencies are shown apart, never added into the show's GMV: one
        # amount a line, as the data board writes them.
        amounts = [(sales.currency, sales.gmv), *sales.gmv_by_currency]
        self.gmv_value.set_lines(amount_lines(amounts, sales.currency, current_language()))
        self.gmv_value.setToolTip(self.tr("Simulated audience") if sales.simulated else "")
        self.count_value.setText(format_number(sales.orders, current_language()))
        self._rejected = sales.rejected_items
        self._say_rejected()
        # Written as the board, the phone and the report write a rate (core.money).
        self.rate_value.setText(format_rate(sales.orders_per_minute, current_language()))
        self.chart.set_bars(list(sales.units_by_product))
