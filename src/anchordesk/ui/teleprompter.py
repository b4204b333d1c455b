"""Teleprompter: the current segment's script in large type, with what talent needs to know.

It is a dock of the control room by default (on a single laptop screen the streamer reads it
beside the picture) and floats onto a second screen when detached; the window remembers which
screen (``ui/main_window.py``). Everything talent reads — the segment's title and remaining time
(red once it over-runs), the live deal's countdown and units left, the pinned question, the
script and the next segment — is drawn in one view, so mirroring for a beam-splitter glass flips
all of it. The operator's controls sit below the view, on the window's normal colours, and are
never mirrored. Text is drawn with QPainter.drawText: show and comment text is never markup.
Every figure comes from the snapshot (``ShowState``); nothing is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QKeyEvent, QPainter, QPaintEvent, QTransform
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core.money import format_money, format_number
from anchordesk.show.timing import time_left_text
from anchordesk.ui.i18n import current_language
from anchordesk.ui.state import ShowState
from anchordesk.ui.words import deal_clock

_TEXT_FLAGS = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)
_ONE_LINE = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class PrompterLines:
    """What the view draws besides the script, already in words (translated by the panel)."""

    title: str = ""
    remaining: str = ""
    over_run: bool = False
    deal: str = ""  # "Flash deal 01:12 · 18 left", empty when no deal runs
    pinned: str = ""  # "Q: Alice: does it suit dry skin?"
    following: str = ""  # "Next: …" / "Last segment"
    prompt: str = ""  # the data board's newest prompt, one line


class ScriptView(QWidget):
    """Scrolling, optionally mirrored, large script text under a header and above a footer."""

    TICK_MS = 33

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.script = ""
        self.lines = PrompterLines()
        self.offset_px = 0.0
        self.speed_px_s = 40.0
        self.mirrored = False
        self.scrolling = True
        self.point_size = 24  # a dock beside the picture; talent enlarges it when detached
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 150)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._timer = QTimer(self)
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(lambda: self.advance(self.TICK_MS / 1000))

    def sizeHint(self) -> QSize:
        return QSize(420, 360)

    def set_script(self, script: str) -> None:
        if script != self.script:
            self.script = script
            self.offset_px = 0.0
            self.update()

    def set_lines(self, lines: PrompterLines) -> None:
        if lines != self.lines:
            self.lines = lines
            self.update()

    def showEvent(self, event: object) -> None:
        self._timer.start()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()

    def _font(self, point_size: int, bold: bool = False) -> QFont:
        font = QFont(self.font())
        font.setPointSize(max(6, point_size))
        font.setBold(bold)
        return font

    def _header_height(self) -> float:
        big = QFontMetricsF(self._font(self._header_size(), True)).height()
        small = QFontMetricsF(self._font(self._small_size())).height()
        rows = 1 + sum(
            1 for text in (self.lines.deal, self.lines.pinned, self.lines.prompt) if text
        )
        return big + (rows - 1) * small + 12

    def _header_size(self) -> int:
        return max(11, min(28, self.point_size * 3 // 4))

    def _small_size(self) -> int:
        return max(9, min(20, self.point_size // 2))

    def _script_area(self) -> QRectF:
        top = self._header_height()
        footer = QFontMetricsF(self._font(self._small_size())).height() + 8
        return QRectF(24, top, max(1, self.width() - 48), max(1, self.height() - top - footer))

    def text_height(self) -> float:
        metrics = QFontMetricsF(self._font(self.point_size))
        bounds = metrics.boundingRect(
            QRectF(0, 0, self._script_area().width(), 1_000_000), _TEXT_FLAGS, self.script
        )
        return bounds.height()

    def advance(self, elapsed_s: float) -> None:
        if not self.scrolling or not self.script:
            return
        # Stop once the last line reached the reading line (a third down the script area).
        limit = max(0.0, self.text_height() - self._script_area().height() / 3)
        self.offset_px = min(limit, self.offset_px + self.speed_px_s * elapsed_s)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))
        if self.mirrored:
            # Everything talent reads is flipped together: header, script, footer.
            painter.setTransform(QTransform(-1, 0, 0, 1, self.width(), 0))
        width = float(self.width())
        lines = self.lines
        header_font = self._font(self._header_size(), True)
        small_font = self._font(self._small_size())
        header_height = QFontMetricsF(header_font).height()
        small_height = QFontMetricsF(small_font).height()
        painter.setFont(header_font)
        remaining_width = QFontMetricsF(header_font).horizontalAdvance(lines.remaining) + 4
        painter.setPen(QColor("#ff5252") if lines.over_run else QColor("white"))
        painter.drawText(QRectF(12, 4, width - 24, header_height), _RIGHT, lines.remaining)
        painter.setPen(QColor("#cfd8dc"))
        title = QFontMetricsF(header_font).elidedText(
            lines.title, Qt.TextElideMode.ElideRight, max(0.0, width - 36 - remaining_width)
        )
        painter.drawText(QRectF(12, 4, width - 24, header_height), _ONE_LINE, title)
        y = 4 + header_height
        painter.setFont(small_font)
        for text, colour in (
            (lines.prompt, "#ffab40"),
            (lines.deal, "#ffca28"),
            (lines.pinned, "#80d8ff"),
        ):
            if not text:
                continue
            painter.setPen(QColor(colour))
            elided = QFontMetricsF(small_font).elidedText(
                text, Qt.TextElideMode.ElideRight, max(0.0, width - 24)
            )
            painter.drawText(QRectF(12, y, width - 24, small_height), _ONE_LINE, elided)
            y += small_height
        area = self._script_area()
        painter.save()
        painter.setClipRect(area)
        painter.setFont(self._font(self.point_size))
        painter.setPen(QColor("white"))
        reading_y = area.top() + area.height() / 3
        painter.drawText(
            QRectF(area.left(), reading_y - self.offset_px, area.width(), 1_000_000),
            _TEXT_FLAGS,
            self.script,
        )
        painter.restore()
        painter.fillRect(QRectF(0, reading_y - 2, 16, 4), QColor("#ff3355"))
        painter.setFont(small_font)
        painter.setPen(QColor("#b0bec5"))
        painter.drawText(
            QRectF(12, self.height() - small_height - 4, width - 24, small_height),
            _ONE_LINE,
            lines.following,
        )
        painter.end()


class TeleprompterPanel(QWidget):
    """The prompter view and its controls (speed, size, mirror, pause, from the top)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teleprompter")
        self.view = ScriptView(self)
        self.speed = QSlider(Qt.Orientation.Horizontal, self)
        self.speed.setRange(0, 300)
        self.speed.setValue(int(self.view.speed_px_s))
        self.speed.valueChanged.connect(self._speed_changed)
        self.size_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.size_slider.setRange(12, 120)
        self.size_slider.setValue(self.view.point_size)
        self.size_slider.valueChanged.connect(self._size_changed)
        self.mirror = QCheckBox(self)
        self.mirror.toggled.connect(self._mirror_changed)
        self.pause = QPushButton(self)
        self.pause.setCheckable(True)
        self.pause.toggled.connect(self._pause_toggled)
        self.restart = QPushButton(self)
        self.restart.clicked.connect(self._restart)
        self.speed_label = QLabel(self)
        self.size_label = QLabel(self)
        for slider in (self.speed, self.size_slider):
            slider.setMinimumWidth(50)
        controls = QHBoxLayout()
        controls.setContentsMargins(4, 2, 4, 2)
        controls.addWidget(self.speed_label)
        controls.addWidget(self.speed, 1)
        controls.addWidget(self.size_label)
        controls.addWidget(self.size_slider, 1)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(4, 0, 4, 2)
        buttons.addWidget(self.mirror)
        buttons.addStretch(1)
        buttons.addWidget(self.pause)
        buttons.addWidget(self.restart)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.view, 1)
        layout.addLayout(controls)
        layout.addLayout(buttons)
        self._state = ShowState()
        self._prompt = ""
        self.retranslate()

    def retranslate(self) -> None:
        self.speed_label.setText(self.tr("Speed"))
        self.size_label.setText(self.tr("Size"))
        self.mirror.setText(self.tr("Mirror"))
        self.pause.setText(self.tr("Pause"))
        self.restart.setText(self.tr("From the top"))
        self.speed.setAccessibleName(self.tr("Scroll speed"))
        self.size_slider.setAccessibleName(self.tr("Text size"))
        self.mirror.setAccessibleName(self.tr("Mirror the text"))
        self.pause.setAccessibleName(self.tr("Pause scrolling"))
        self.restart.setAccessibleName(self.tr("Scroll back to the top"))
        self.view.setAccessibleName(self.tr("Script"))
        self.update_state(self._state)

    def set_prompt(self, line: str) -> None:
        """The data board's newest prompt as one line over the script ("" when none)."""
        if line != self._prompt:
            self._prompt = line
            self.update_state(self._state)

    def update_state(self, state: ShowState) -> None:
        self._state = state
        current = state.current
        following = state.next
        language = current_language()
        if current is None:
            self.view.set_script("")
            title, remaining, over_run = "", "", False
        else:
            self.view.set_script(current.script)
            remaining_s = current.planned_s - current.elapsed_s
            title, remaining, over_run = (
                current.title,
                time_left_text(current.planned_s, current.elapsed_s),
                remaining_s < 0,
            )
        deal_text = ""
        deal = next((d for d in state.deals if d.is_live), None)
        if deal is not None:
            deal_text = (
                self.tr("Flash deal %1 · %2 · %3 left · %4")
                .replace("%1", deal_clock(deal.seconds_left))
                .replace("%2", format_money(deal.price, deal.currency or state.currency, language))
                .replace("%3", format_number(deal.stock_left, language))
                .replace("%4", deal.title or deal.sku)
            )
        pinned = state.pinned
        pinned_text = (
            self.tr("Pinned: %1: %2").replace("%1", pinned.author).replace("%2", pinned.text)
            if pinned is not None
            else ""
        )
        self.view.set_lines(
            PrompterLines(
                title=title,
                remaining=remaining,
                over_run=over_run,
                deal=deal_text,
                pinned=pinned_text,
                prompt=self._prompt,
                following=(
                    self.tr("Next: %1").replace("%1", following.title)
                    if following
                    else self.tr("Last segment")
                ),
            )
        )

    def _speed_changed(self, value: int) -> None:
        self.view.speed_px_s = float(value)

    def _size_changed(self, value: int) -> None:
        self.view.point_size = value
        self.view.update()

    def _mirror_changed(self, on: bool) -> None:
        self.view.mirrored = on
        self.view.update()

    def _pause_toggled(self, paused: bool) -> None:
        self.view.scrolling = not paused

    def _restart(self) -> None:
        self.view.offset_px = 0.0
        self.view.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Talent's own keys on the prompter screen: arrows change the speed, space pauses.
        key = event.key()
        if key == Qt.Key.Key_Up:
            self.speed.setValue(self.speed.value() + 10)
        elif key == Qt.Key.Key_Down:
            self.speed.setValue(self.speed.value() - 10)
        elif key == Qt.Key.Key_Space:
            self.pause.toggle()
        else:
            super().keyPressEvent(event)
