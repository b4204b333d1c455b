"""Stream health and audio docks.

Health: output state with attempt and next retry, "reconnect now", a bitrate graph, dropped
frames by stage, CPU, recording size. Audio: microphone level meter, mute, gain.

Signals: ``HealthPanel.reconnect_requested()``; ``AudioPanel.mute_changed(bool)``,
``AudioPanel.gain_changed(float gain_db)``.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from anchordesk.core.money import format_cpu, format_frame_rate, format_number
from anchordesk.media.disk_space import format_bytes as media_format_bytes
from anchordesk.ui.docks.charts import LineChart
from anchordesk.ui.i18n import current_language
from anchordesk.ui.state import HealthState, OutputRow
from anchordesk.ui.words import fault_text, notice_text, plain_tooltip

STAGES = ("capture", "render", "encode", "network")


def format_bytes(count: int) -> str:
    """Decimal units, as file managers show sizes and free space (and as the recording's own
    messages do: "only 500.0 MB left")."""
    return media_format_bytes(count)


class HealthPanel(QWidget):
    reconnect_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("health")
        self.state_label = QLabel(self)
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)
        self.state_label.setWordWrap(True)
        bold = self.state_label.font()
        bold.setBold(True)
        self.state_label.setFont(bold)
        self.reconnect = QPushButton(self)
        self.reconnect.clicked.connect(self.reconnect_requested)
        self.bitrate = LineChart(self, capacity=60, unit="kbps")
        self.values: dict[str, QLabel] = {}
        self.captions: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(1)
        for key in ("fps", "cpu", "recording", "dropped"):
            caption, value = QLabel(self), QLabel("—", self)
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setWordWrap(True)  # "dropped" lists the stages: it wraps, never widens
            self.captions[key], self.values[key] = caption, value
            if key != "dropped":
                form.addRow(caption, value)
        top = QHBoxLayout()
        top.addWidget(self.state_label, 1)
        top.addWidget(self.reconnect)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        # The graph beside the figures: the dock fits the default 150-pixel row of a laptop.
        middle = QHBoxLayout()
        middle.addWidget(self.bitrate, 2)
        middle.addLayout(form, 3)
        layout.addLayout(middle, 1)
        # Dropped frames by stage: a whole line of its own, under the graph and the figures.
        dropped = QHBoxLayout()
        dropped.addWidget(self.captions["dropped"])
        dropped.addWidget(self.values["dropped"], 1)
        layout.addLayout(dropped)
        self._health = HealthState()
        self.retranslate()

    def retranslate(self) -> None:
        self.reconnect.setText(self.tr("Reconnect now"))
        self.reconnect.setAccessibleName(self.tr("Reconnect now"))
        self.bitrate.setAccessibleName(self.tr("Bitrate over the last minute"))
        self.captions["fps"].setText(self.tr("Frame rate"))
        self.captions["cpu"].setText(self.tr("CPU"))
        self.captions["recording"].setText(self.tr("Recording"))
        self.captions["dropped"].setText(self.tr("Dropped frames"))
        self.update_health(self._health, sample=False)

    def state_text(self, output: OutputRow | None) -> str:
        if output is None:
            return self.tr("Rehearsal: nothing is pushed")
        if output.state == "live":
            return self.tr("Live")
        if output.state == "connecting":
            return self.tr("Connecting…")
        if output.state == "reconnecting":
            text = self.tr("Reconnecting (attempt %1)").replace("%1", str(output.attempt))
            if output.next_retry_in_s is not None:
                text += " · " + self.tr("next try in %1 s").replace(
                    "%1", str(max(0, round(output.next_retry_in_s)))
                )
            return text
        if output.state == "failed":
            return self.tr("Failed")
        return self.tr("Stopped")

    def update_health(self, health: HealthState, sample: bool = True) -> None:
        self._health = health
        network = health.network
        text = self.state_text(network)
        notice = notice_text(network) if network is not None else ""
        if notice:
            # Live, but viewers see fewer frames: the dropped-frame count alone did not say
            # why, nor that the delay is kept short on purpose.
            text += " · " + notice
        self.state_label.setText(text)
        if network is not None and network.last_error and network.state != "live":
            # In the window's language: it was the English line of the logs in a Chinese or
            # Japanese window (R15ui F4). What the server said is in it, as it said it.
            self.state_label.setToolTip(plain_tooltip(fault_text(network)))
        colour = {"live": "#2e7d32", "reconnecting": "#e65100", "failed": "#c62828"}.get(
            network.state if network else "", ""
        )
        self.state_label.setStyleSheet(f"color: {colour}" if colour else "")
        self.reconnect.setEnabled(network is not None and network.state == "reconnecting")
        if sample:
            self.bitrate.add(network.bitrate_kbps if network else health.video_kbps)
        self.values["fps"].setText(format_frame_rate(health.fps))
        # "35%" as the phone and `anchordesk live` write it (it was "35 %" here alone).
        self.values["cpu"].setText(format_cpu(health.cpu_percent))
        # The size here; the free space beside it in the status bar's recording indicator and
        # in the tooltip (both in one line would wrap in a narrow dock).
        self.values["recording"].setText(format_bytes(health.recording_bytes))
        free = health.recording_free_bytes
        self.values["recording"].setToolTip(
            "" if free is None else self.tr("%1 free").replace("%1", format_bytes(free))
        )
        names = {
            "capture": self.tr("capture"),
            "render": self.tr("render"),
            "encode": self.tr("encode"),
            "network": self.tr("network"),
        }
        # Two stages a line: in one run of text, Japanese wrapped inside a word at 1366x768
        # ("ネット\nワーク 0"), the others at whatever separator came last.
        # Counts grouped as the phone and the terminal write them ("12,345", not "12345").
        language = current_language()
        parts = [
            f"{names[s]} {format_number(health.dropped_by_stage.get(s, 0), language)}"
            for s in STAGES
        ]
        self.values["dropped"].setText(
            "\n".join(" · ".join(parts[i : i + 2]) for i in range(0, len(parts), 2))
        )


class LevelMeter(QWidget):
    """A horizontal dBFS meter from -60 to 0 with a falling peak hold."""

    FLOOR_DB = -60.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level_dbfs = self.FLOOR_DB
        self.peak_dbfs = self.FLOOR_DB
        self.setMinimumHeight(14)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(160, 16)

    def set_level(self, dbfs: float | None) -> None:
        level = self.FLOOR_DB if dbfs is None else max(self.FLOOR_DB, min(0.0, dbfs))
        self.level_dbfs = level
        self.peak_dbfs = max(level, self.peak_dbfs - 1.5)
        self.update()

    def _x(self, dbfs: float, width: float) -> float:
        return width * (dbfs - self.FLOOR_DB) / -self.FLOOR_DB

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        area = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.fillRect(area, QColor("#222"))
        gradient = QLinearGradient(area.topLeft(), area.topRight())
        gradient.setColorAt(0.0, QColor("#43a047"))
        gradient.setColorAt(0.75, QColor("#fdd835"))
        gradient.setColorAt(1.0, QColor("#e53935"))
        filled = QRectF(
            area.left(), area.top(), self._x(self.level_dbfs, area.width()), area.height()
        )
        painter.fillRect(filled, gradient)
        peak_x = area.left() + self._x(self.peak_dbfs, area.width())
        painter.fillRect(QRectF(peak_x - 1, area.top(), 2, area.height()), QColor("white"))
        painter.end()


class AudioPanel(QWidget):
    mute_changed = Signal(bool)
    gain_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audio")
        self.meter = LevelMeter(self)
        self.level_text = QLabel("—", self)
        self.level_text.setMinimumWidth(self.fontMetrics().horizontalAdvance("-60.0 dB "))
        self.mute = QCheckBox(self)
        self.mute.toggled.connect(self.mute_changed)
        self.gain = QSlider(Qt.Orientation.Horizontal, self)
        self.gain.setRange(-200, 200)  # tenths of a dB
        self.gain.setPageStep(10)
        self.gain_label = QLabel(self)
        self.gain_value = QLabel("0.0 dB", self)
        self.gain.valueChanged.connect(self._gain_moved)
        row1 = QHBoxLayout()
        row1.addWidget(self.meter, 1)
        row1.addWidget(self.level_text)
        row1.addWidget(self.mute)
        row2 = QHBoxLayout()
        row2.addWidget(self.gain_label)
        row2.addWidget(self.gain, 1)
        row2.addWidget(self.gain_value)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        self.meter.setAccessibleName(self.tr("Microphone level"))
        self.mute.setText(self.tr("Mute"))
        self.mute.setAccessibleName(self.tr("Mute the microphone"))
        self.gain_label.setText(self.tr("Gain"))
        self.gain.setAccessibleName(self.tr("Microphone gain"))

    def _gain_moved(self, tenths: int) -> None:
        self.gain_value.setText(f"{tenths / 10:+.1f} dB")
        self.gain_changed.emit(tenths / 10)

    def set_level(self, dbfs: float | None, available: bool = True) -> None:
        self.meter.set_level(dbfs)
        if not available:
            self.level_text.setText(self.tr("no mic"))
        else:
            self.level_text.setText("—" if dbfs is None else f"{dbfs:.0f} dB")
