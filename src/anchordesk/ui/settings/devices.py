"""Live previews for the settings dialog: a camera preview and a microphone level.

The camera is opened and read in a worker of :mod:`anchordesk.ui.workers` (opening a V4L2 device
takes hundreds of ms and a read blocks until the next frame); frames reach the dialog through a
queued signal, at most ~15 per second. The microphone callback of sounddevice only stores the
peak level; the dialog polls it on a timer. Neither can hold up the Qt thread.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import re
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from anchordesk.core.printable import escape_controls
from anchordesk.ui.workers import run_task, to_main

log = logging.getLogger(__name__)

PREVIEW_INTERVAL_S = 1 / 15


@dataclass(frozen=True)
class DeviceChoice:
    """One entry of a device list: ``value`` is what goes into the settings."""

    value: str
    label: str


def list_cameras() -> list[DeviceChoice]:
    """Video capture devices, without opening them (opening is slow and may grab the device)."""
    choices = []
    for path in sorted(glob.glob("/dev/video*"), key=lambda p: int(re.sub(r"\D", "", p) or 0)):
        index = re.sub(r"\D", "", path)
        name = path
        try:
            with open(f"/sys/class/video4linux/video{index}/name", encoding="utf-8") as handle:
                name = f"{handle.read().strip()} ({path})"
        except OSError:
            pass
        choices.append(DeviceChoice(value=index, label=name))
    return choices


def list_microphones() -> list[DeviceChoice]:
    """Input devices as PortAudio sees them. Slow on first call (PortAudio init): use a thread."""
    try:
        from anchordesk.media.portaudio import import_sounddevice

        sounddevice = import_sounddevice()
        devices: Any = sounddevice.query_devices()
    except Exception as error:  # PortAudio missing or broken: the dialog still opens
        log.info("no microphone list: %s", error)
        return []
    choices = []
    for index, device in enumerate(devices):
        if int(device.get("max_input_channels", 0)) > 0:
            choices.append(DeviceChoice(value=str(index), label=str(device.get("name", index))))
    return choices


def test_pattern_frame(width: int, height: int, t_s: float) -> np.ndarray:
    """Colour bars with a moving marker, so a frozen preview is visible as frozen."""
    bars = np.array(
        [
            [192, 192, 192],
            [0, 192, 192],
            [192, 192, 0],
            [0, 192, 0],
            [192, 0, 192],
            [0, 0, 192],
            [192, 0, 0],
        ],
        dtype=np.uint8,
    )
    columns = (np.arange(width) * len(bars) // width).clip(0, len(bars) - 1)
    frame = np.repeat(bars[columns][np.newaxis, :, :], height, axis=0)
    x = int((t_s * 0.25 % 1.0) * (width - 20))
    frame[height - 30 : height - 10, x : x + 20] = 255
    return frame


class CameraPreview(QObject):
    """Reads a camera (or the test pattern) in a worker and emits small preview images.

    Opening a V4L2 device takes hundreds of ms and a read blocks until the next frame: the loop
    runs through :func:`anchordesk.ui.workers.run_task`; frames reach the Qt thread through
    queued signals, at most ~15 per second.

    Signals:
        frame_ready(QImage): a new preview frame (a deep copy, safe to keep).
        failed(str): the camera could not be opened; the test pattern is shown instead.
    """

    frame_ready = Signal(QImage)
    failed = Signal(str)

    def __init__(self, spec: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setObjectName("camera-preview")
        self._stop = threading.Event()
        self._future: Future[None] | None = None
        stop = self._stop
        # Deleted with its page without stop(): the loop ends by itself (no reference to self).
        self.destroyed.connect(lambda *_args: stop.set())

    def start(self) -> None:
        self._future = run_task(self._run)

    def is_running(self) -> bool:
        return self._future is not None and not self._future.done()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Ask the loop to end and wait for it (it checks every 1/15 s; a read blocks at most
        one frame)."""
        self._stop.set()
        future, self._future = self._future, None
        if future is not None:
            with contextlib.suppress(Exception):
                future.result(timeout_s)

    def _run(self) -> None:
        capture = None
        if self.spec not in ("test", ""):
            capture = self._open(self.spec)
            if capture is None:
                to_main(self.failed.emit, self.spec, owner=self)
        started = time.monotonic()
        try:
            while not self._stop.is_set():
                tick = time.monotonic()
                frame = None
                if capture is not None:
                    ok, frame = capture.read()
                    if not ok:
                        frame = None
                if frame is None:
                    frame = test_pattern_frame(320, 180, tick - started)
                # Through the Qt thread's poster: a frame for a preview deleted meanwhile is
                # dropped there instead of reaching a deleted object.
                to_main(self.frame_ready.emit, _to_qimage(frame), owner=self)
                remaining = PREVIEW_INTERVAL_S - (time.monotonic() - tick)
                if remaining > 0:
                    self._stop.wait(remaining)
        finally:
            if capture is not None:
                capture.release()

    def _open(self, spec: str) -> Any:
        try:
            import cv2

            source: int | str = int(spec) if spec.isdecimal() else spec
            if spec == "auto":
                source = 0
            capture = cv2.VideoCapture(source)
            if capture.isOpened():
                return capture
            capture.release()
        except Exception as error:
            log.info("camera preview %s: %s", spec, error)
        return None


def _to_qimage(frame: np.ndarray) -> QImage:
    frame = np.ascontiguousarray(frame)
    height, width = frame.shape[:2]
    image = QImage(frame.data, width, height, frame.strides[0], QImage.Format.Format_BGR888)
    return image.copy()  # the numpy buffer is reused by the next read


class MicrophoneLevel:
    """The peak level (0..1) of a microphone, updated by the audio callback.

    ``level()`` is cheap and lock-free enough for a UI timer: a float assignment is atomic.
    """

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self._peak = 0.0
        self._stream: Any = None
        self.error: str | None = None
        self._lock = threading.Lock()

    def start(self) -> bool:
        if self.spec in ("none", "test"):
            return False
        try:
            from anchordesk.media.portaudio import import_sounddevice

            sounddevice = import_sounddevice()
            device: int | str | None = None
            if self.spec.isdecimal():
                device = int(self.spec)
            elif self.spec not in ("default", ""):
                device = self.spec
            self._stream = sounddevice.InputStream(
                device=device, channels=1, dtype="float32", callback=self._callback
            )
            self._stream.start()
            return True
        except Exception as error:
            # PortAudio's English ("Error querying device -1") is for the log; the page says
            # in its words which microphone could not be opened (R25hunt25ui F2).
            self.error = str(error).splitlines()[0] if str(error) else type(error).__name__
            log.info(
                "microphone level %s: %s", escape_controls(self.spec), escape_controls(self.error)
            )
            self._stream = None
            return False

    def _callback(self, data: Any, frames: int, time_info: Any, status: Any) -> None:
        peak = float(np.abs(data).max()) if frames else 0.0
        self._peak = max(peak, self._peak)

    def level(self) -> float:
        """The peak since the last call (so short peaks are not missed between timer ticks)."""
        peak, self._peak = self._peak, 0.0
        return min(1.0, peak)

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as error:
                log.info("microphone level stop: %s", error)
