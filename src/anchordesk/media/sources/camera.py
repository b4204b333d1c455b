"""A camera through OpenCV: a device index, or a video file / stream URL used as a camera.

One named grab thread per camera reads frames as they come and keeps only the newest, so a slow
pipeline never makes the device back up and a slow device never makes the pipeline wait. When the
device goes away (unplugged, driver hiccup, stream ended) the pipeline gets a "camera unavailable"
slate, the device is reopened every ``retry_interval_s``, and the picture comes back by itself.
Loss and return are logged once each, not once per frame.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from anchordesk.core.errors import UserError
from anchordesk.core.redact import mask_url
from anchordesk.media.buffers import NewestItemBuffer
from anchordesk.media.sources.base import SourceState, SourceStatus, VideoFrameRef
from anchordesk.media.sources.still import render_slate

log = logging.getLogger(__name__)

_camera_ids = itertools.count(2_000_000)


def camera_backend() -> int:
    """The capture API that gives each platform's cameras MJPG and exact sizes."""
    if sys.platform.startswith("linux"):
        return int(cv2.CAP_V4L2)
    if sys.platform == "win32":
        return int(cv2.CAP_DSHOW)
    if sys.platform == "darwin":
        return int(cv2.CAP_AVFOUNDATION)
    return int(cv2.CAP_ANY)


def _fourcc_text(value: float) -> str:
    code = int(value)
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text if text.isprintable() and text.strip() else "?"


_MAX_DEVICE_INDEX = 2**31 - 1


class CameraSource:
    """``spec`` is a device index (int) or a file path / URL (str)."""

    def __init__(
        self,
        spec: int | str,
        *,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        retry_interval_s: float = 2.0,
        lost_after_s: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._spec = spec
        self._is_device = isinstance(spec, int)
        self._is_file = isinstance(spec, str) and "://" not in spec
        if isinstance(spec, str) and re.search("[\udc80-\udcff]", spec):
            # A name with bytes that are not UTF-8 (a file named in Latin-1, a URL from a file
            # in another encoding) reaches Python escaped; OpenCV, given such a string, crashed
            # the whole program (a segmentation fault, no word). It takes no bytes.
            shown = os.fsencode(spec).decode("utf-8", "backslashreplace")
            shown = mask_url(shown) if "://" in shown else shown  # a camera's password
            raise UserError(
                f"--camera {shown}: the name holds a byte that is not UTF-8 text, which the "
                "video reader cannot open (rename the file, or write the URL in UTF-8)"
            )
        if self._is_file and not Path(str(spec)).is_file():
            raise UserError(f"--camera {spec}: no such file")
        self._want = (width, height, fps)
        self._retry_interval_s = retry_interval_s
        self._lost_after_s = lost_after_s
        self._monotonic = monotonic
        self._buffer: NewestItemBuffer[npt.NDArray[np.uint8]] = NewestItemBuffer()
        self._source_id = next(_camera_ids)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The stop events of the grab threads in the reader's open (a URL's server that accepts
        # and never answers holds one for the open's 5 s timeout): they hold no device yet.
        # One per thread: a camera stopped in its open and started again has two threads in
        # it, and the old one's failed open said "not opening" for the new one (its next stop
        # waited 3 s for it).
        self._opening: set[threading.Event] = set()
        self._lock = threading.Lock()
        self._state = SourceState.STOPPED
        self._detail = ""
        self._lost_count = 0
        self._last_frame_at_s: float | None = None
        self._slate = VideoFrameRef(
            render_slate(width, height, "Camera unavailable", "Retrying automatically"),
            next(_camera_ids),
            1,
        )
        self._last_ref: VideoFrameRef | None = None
        self.open_attempts = 0

    @property
    def name(self) -> str:
        if self._is_device:
            return f"camera {self._spec}"
        if self._is_file:
            return Path(str(self._spec)).name
        return mask_url(str(self._spec))

    def open_once(self) -> bool:
        """Open the device now, for a clear error at start-up; the grab thread keeps it."""
        capture = self._open()
        if capture is None:
            return False
        capture.release()
        return True

    def start(self) -> None:
        with self._lock:
            self._state = SourceState.STARTING
        # A thread of an earlier start may still be in an open (stop() leaves it): its own
        # event stays set, so it ends there instead of grabbing beside the new one.
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(self._stop,), name=f"grab {self.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        stop = self._stop
        stop.set()
        with self._lock:
            opening = stop in self._opening
        if self._thread is not None and not opening:
            # A blocked driver read returns within its own timeout; do not hang the exit on it.
            # Joined so that the device is released before it is opened again (a camera
            # switch). A thread still opening is not waited for (up to 3 s, the window's
            # camera switch frozen): it releases what it opens itself, seeing its stop.
            self._thread.join(timeout=3.0)
        with self._lock:
            self._state = SourceState.STOPPED

    def status(self) -> SourceStatus:
        with self._lock:
            state = self._state
            if (
                state is SourceState.ACTIVE
                and self._last_frame_at_s is not None
                and self._monotonic() - self._last_frame_at_s > self._lost_after_s
            ):
                state = SourceState.LOST
            return SourceStatus(
                self.name, state, self._detail, self._lost_count, self._buffer.dropped
            )

    def frame(self, now_s: float) -> VideoFrameRef:
        if self.status().state is not SourceState.ACTIVE:
            return self._slate
        stamped = self._buffer.latest()
        if stamped is None:
            return self._slate
        if self._last_ref is None or self._last_ref.sequence != stamped.sequence:
            self._last_ref = VideoFrameRef(stamped.item, self._source_id, stamped.sequence)
        return self._last_ref

    # --- grab thread -------------------------------------------------------------------------

    def _open(self) -> cv2.VideoCapture | None:
        self.open_attempts += 1
        if self._is_device:
            index = int(self._spec)
            if not 0 <= index <= _MAX_DEVICE_INDEX:
                # No device has that number, and OpenCV takes a C int: --camera
                # 99999999999999999999 (or a settings file's) ended in an OverflowError
                # traceback.
                return None
            capture = cv2.VideoCapture(index, camera_backend())
        else:
            # Bounded waits: a stream URL whose server is gone must not hold the grab thread for
            # OpenCV's default 30 s before the slate shows and the retries begin.
            capture = cv2.VideoCapture(
                str(self._spec),
                cv2.CAP_FFMPEG,
                [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 5000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 3000],
            )
        if not capture.isOpened():
            capture.release()
            return None
        if self._is_device:
            width, height, fps = self._want
            # MJPG first: most USB cameras give 720p/1080p at 30 fps only compressed.
            capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            capture.set(cv2.CAP_PROP_FPS, fps)
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        return capture

    def _describe(self, capture: cv2.VideoCapture) -> str:
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = capture.get(cv2.CAP_PROP_FPS)
        fourcc = _fourcc_text(capture.get(cv2.CAP_PROP_FOURCC))
        return f"{width}x{height} {fourcc} {fps:.1f} fps"

    def _set_state(self, state: SourceState) -> None:
        with self._lock:
            previous = self._state
            self._state = state
            if state is SourceState.LOST and previous is not SourceState.LOST:
                if previous is SourceState.ACTIVE:
                    self._lost_count += 1
                    log.warning(
                        "%s lost; showing the slate and retrying every %.0f s",
                        self.name,
                        self._retry_interval_s,
                    )
                else:
                    log.warning(
                        "%s cannot be opened; showing the slate and retrying every %.0f s",
                        self.name,
                        self._retry_interval_s,
                    )

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            with self._lock:
                # Looked at again under the lock stop() reads ``_opening`` with: a stop that
                # came since the loop's look would otherwise join an open it did not see.
                if stop.is_set():
                    return
                self._opening.add(stop)
            try:
                capture = self._open()
            finally:
                with self._lock:
                    self._opening.discard(stop)
            if stop.is_set():
                if capture is not None:
                    capture.release()
                return
            if capture is None:
                self._set_state(SourceState.LOST)
                stop.wait(self._retry_interval_s)
                continue
            detail = self._describe(capture)
            with self._lock:
                came_back = self._state is SourceState.LOST
                self._detail = detail
            if came_back:
                log.info("%s is back (%s)", self.name, detail)
            else:
                wanted = "{}x{} {:.0f} fps".format(*self._want)
                log.info("%s opened: asked for %s, got %s", self.name, wanted, detail)
            self._grab(capture, stop)
            capture.release()
            if not stop.is_set():
                self._set_state(SourceState.LOST)
                stop.wait(self._retry_interval_s)

    def _grab(self, capture: cv2.VideoCapture, stop: threading.Event) -> None:
        file_fps = capture.get(cv2.CAP_PROP_FPS) if self._is_file else 0.0
        frame_interval_s = 1.0 / file_fps if 1.0 <= file_fps <= 240.0 else 1.0 / 30.0
        next_due_s = self._monotonic()
        failures_in_a_row = 0
        while not stop.is_set():
            ok, picture = capture.read()
            if not ok or picture is None:
                if self._is_file and failures_in_a_row == 0:
                    # End of the file: loop it like a camera that never stops.
                    failures_in_a_row += 1
                    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    continue
                return
            failures_in_a_row = 0
            if picture.ndim == 2:
                picture = cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR)
            now_s = self._monotonic()
            with self._lock:
                self._last_frame_at_s = now_s
                if self._state is not SourceState.ACTIVE:
                    self._state = SourceState.ACTIVE
            self._buffer.put(np.asarray(picture, np.uint8))
            if self._is_file:
                # A file reads as fast as the disk allows; pace it at its own frame rate.
                next_due_s = max(next_due_s + frame_interval_s, now_s - frame_interval_s)
                delay_s = next_due_s - self._monotonic()
                if delay_s > 0 and stop.wait(delay_s):
                    return
