"""Money in several currencies (the orders panel's GMV, the data board's): one amount a line.

``amount_lines`` writes the amounts, each currency apart (never added up), the show's first;
``AmountsLabel`` shows them; ``ScrollingPanel`` is the frame of a panel that grows tall with
them (twelve currencies are twelve lines) or wide (a 16-digit total): its content scrolls
inside the dock, and the dock never pushes the window past the screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from PySide6.QtCore import QEvent, QMargins, QPoint, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from anchordesk.core.money import format_money, listed_amounts
from anchordesk.ui.words import unbroken

DASH = "—"


def amount_lines(
    amounts: Iterable[tuple[str, Decimal]], currency: str, language: str, *, with_own: bool = True
) -> list[str]:
    """Each currency apart (never added up), chosen and ordered by the one rule
    (``core.money.listed_amounts``: the show's ``currency`` first, another at zero left out),
    each amount whole on its own line; the lines after the first start with "+ " (and also,
    not a sum). ``with_own`` False (an average): nothing to list is "—", not a zero."""
    ordered = listed_amounts(amounts, currency, with_own=with_own)
    if not ordered:
        return [DASH]
    written = [unbroken(format_money(amount, code, language)) for code, amount in ordered]
    return [written[0], *(f"+ {line}" for line in written[1:])]


class AmountsLabel(QLabel):
    """One amount a line, each whole: joined on one line, orders in nine currencies made the
    window 2,275 px wide on a 1366 screen (R29hunt29ui F1); wrapped between amounts (" + "),
    twelve currencies made the board taller and wider than an 800×600 screen and cut the
    average order at the dock's edge. As narrow as its widest amount, never narrower: an
    amount cut at the edge ("¥101,012,402" of ¥101,012,402,478) would be another number —
    its panel scrolls instead (``ScrollingPanel``)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Minimum)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._wanted_font = QFont(self.font())
        self._room_px: int | None = None
        self.setText(text)

    def set_lines(self, lines: Iterable[str]) -> None:
        self.setText("\n".join(lines))

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def set_wanted_font(self, font: QFont) -> None:
        """The font the amounts are written in when they fit (the panels' big figures)."""
        self._wanted_font = QFont(font)
        self._fit()

    def set_room(self, width_px: int) -> None:
        """The width the panel has for the amounts: a total of sixteen digits in the big
        figures' font is written in the panel's own font when that keeps it in sight (at
        800×600 it was 2 px wider than the dock); wider still, the panel scrolls."""
        if width_px != self._room_px:
            self._room_px = width_px
            self._fit()

    def _fit(self) -> None:
        if not hasattr(self, "_wanted_font"):
            return  # QLabel's own constructor sets no text through here
        font = QFont(self._wanted_font)
        if self._room_px is not None:
            widest = max(QFontMetrics(font).horizontalAdvance(line) for line in self._lines())
            if widest > self._room_px:
                parent = self.parentWidget()
                plain = QFont(parent.font() if parent is not None else font)
                plain.setBold(font.bold())
                font = plain
        if font != self.font():
            self.setFont(font)

    def _lines(self) -> list[str]:
        return self.text().split("\n")


class ScrollingPanel(QScrollArea):
    """A panel's content in a scroll area inside the panel: what does not fit the dock
    scrolls (down, or sideways for a figure wider than the dock), and the dock asks the
    window for no more than a small panel's room."""

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"scroll_{content.objectName() or 'panel'}")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setWidget(content)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit_amounts()  # a scroll bar came or went, the dock was resized
        return super().viewportEvent(event)

    def fit_amounts(self) -> None:
        """Tell each ``AmountsLabel`` in the panel the width it has in sight."""
        content = self.widget()
        if content is None:
            return
        layout = content.layout()
        margins = layout.contentsMargins() if layout is not None else QMargins()
        # The room as if the vertical scroll bar showed, whether it does or not: the font
        # chosen never makes the bar come and go, and the bar never changes the font again.
        room_px = self.maximumViewportSize().width() - self.verticalScrollBar().sizeHint().width()
        for label in content.findChildren(AmountsLabel):
            left = label.mapTo(content, QPoint(0, 0)).x()
            label.set_room(room_px - left - margins.right())


def scrolling_layout(panel: QWidget, content: QWidget) -> ScrollingPanel:
    """Put ``content`` (the panel's widgets) in a ``ScrollingPanel`` filling ``panel``."""
    scroll = ScrollingPanel(content, panel)
    outer = QVBoxLayout(panel)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)
    return scroll
