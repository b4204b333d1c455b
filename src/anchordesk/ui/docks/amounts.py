"""A label of money in several currencies (the orders panel's GMV, the data board's)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class AmountsLabel(QLabel):
    """Wraps between amounts, never inside one ("BHD 1.234"), and never widens its dock: on one
    line, orders in nine currencies made the window 2,275 px wide on a 1366 screen, the picture
    a quarter of its size and the stream status cut (R29hunt29ui F1). As narrow as its widest
    amount, never narrower: an amount cut at the edge ("¥101,012,402" of ¥101,012,402,478)
    would be another number."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        """``text``: amounts each written ``unbroken``, between them spaces where it may wrap."""
        super().setText(text)
        self.setMinimumWidth(self.minimumSizeHint().width())
