"""Two small charts drawn with QPainter: a line over time and horizontal bars.

QtCharts is not part of PySide6-Essentials, and a dock needs only a glance-able shape: the last
minute of bitrate, units per product. Labels are drawn with QPainter.drawText, which never
interprets markup (product titles come from the show file).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from anchordesk.core.money import format_number
from anchordesk.ui.i18n import current_language


class LineChart(QWidget):
    """The last ``capacity`` samples as a line; ``unit`` is appended to the newest value."""

    def __init__(self, parent: QWidget | None = None, capacity: int = 60, unit: str = "") -> None:
        super().__init__(parent)
        self._values: deque[float] = deque(maxlen=capacity)
        self._unit = unit
        self._colour = QColor("#42a5f5")
        self.setMinimumHeight(self.fontMetrics().height() + 36)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def add(self, value: float) -> None:
        self._values.append(value)
        self.update()

    def values(self) -> list[float]:
        return list(self._values)

    def sizeHint(self) -> QSize:
        return QSize(200, 60)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        painter.fillRect(area, self.palette().base())
        values = list(self._values)
        # The line stays under the figure's label, never through it.
        plot = area.adjusted(0, self.fontMetrics().height() + 4, 0, -2)
        if len(values) >= 2 and plot.height() > 4:
            top = max(max(values), 1.0) * 1.05
            step = plot.width() / (self._values.maxlen or len(values) - 1)
            path = QPainterPath()
            x0 = plot.right() - step * (len(values) - 1)
            for i, value in enumerate(values):
                point = QPointF(x0 + i * step, plot.bottom() - plot.height() * value / top)
                if i == 0:
                    path.moveTo(point)
                else:
                    path.lineTo(point)
            painter.setPen(QPen(self._colour, 1.6))
            painter.drawPath(path)
        if values:
            painter.setPen(self.palette().text().color())
            painter.drawText(
                area.adjusted(4, 2, -4, -2),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop),
                f"{values[-1]:.0f} {self._unit}".strip(),
            )
        painter.end()


class BarChart(QWidget):
    """Horizontal bars, one per (label, count), the longest bar first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bars: list[tuple[str, int]] = []
        self.setMinimumHeight(60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_bars(self, bars: Sequence[tuple[str, int]]) -> None:
        ordered = sorted(bars, key=lambda bar: -bar[1])
        if ordered != self._bars:
            self._bars = ordered
            self.update()

    def bars(self) -> list[tuple[str, int]]:
        return list(self._bars)

    @staticmethod
    def count_text(count: int) -> str:
        """A bar's count as the panels write it: 1,234,567 units were "1.23457e+06" (another
        number), cut to "1.234" in a 40 px box (R29hunt29ui F3)."""
        return format_number(count, current_language())

    def sizeHint(self) -> QSize:
        return QSize(200, 90)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        area = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        painter.fillRect(area, self.palette().base())
        shown = self._bars[: max(1, int(area.height() // 16))]
        if shown:
            top = max(value for _, value in shown) or 1.0
            row_height = min(18.0, area.height() / len(shown))
            label_width = area.width() * 0.42
            counts = [self.count_text(value) for _, value in shown]
            count_width = 4 + max(painter.fontMetrics().horizontalAdvance(c) for c in counts)
            for i, ((label, value), count) in enumerate(zip(shown, counts, strict=True)):
                y = area.top() + i * row_height
                text_rect = QRectF(area.left() + 2, y, label_width - 4, row_height)
                painter.setPen(self.palette().text().color())
                elided = painter.fontMetrics().elidedText(
                    label, Qt.TextElideMode.ElideRight, int(text_rect.width())
                )
                painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignVCenter), elided)
                bar_width = max(0.0, area.width() - label_width - count_width) * value / top
                bar = QRectF(area.left() + label_width, y + 3, max(1.0, bar_width), row_height - 6)
                painter.fillRect(bar, QColor("#ff7043"))
                painter.drawText(
                    QRectF(bar.right() + 4, y, count_width, row_height),
                    int(Qt.AlignmentFlag.AlignVCenter),
                    count,
                )
        painter.end()
