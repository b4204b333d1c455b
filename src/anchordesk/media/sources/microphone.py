"""A microphone through sounddevice (PortAudio).

The PortAudio callback runs on a real-time audio thread: it only copies the samples into a
preallocated ring and returns — no lock, no queue object, no allocation beyond what the binding
itself does. The pipeline reads the ring by sample count. The microphone's crystal and the
media clock drift apart by some ppm, so the reader keeps the backlog near a small target: it pads
with silence when short and skips a few samples when the backlog grows, and the audio timestamps
stay exactly on the media clock.

When the device goes away (unplugged, server restart) reads give silence, the stream is reopened
every ``retry_interval_s`` by a supervisor thread, and the loss is logged once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from anchordesk.media.sources.base import SourceState, SourceStatus

log = logging.getLogger(__name__)


class SampleRing:
    """Single-producer single-consumer ring of interleaved float32 samples.

    The writer advances ``written`` after copying; the reader only moves ``read_position``. Both
    are Python ints updated under the GIL, so no lock is needed between the audio thread and the
    pipeline thread.
    """

    def __init__(self, capacity: int, channels: int) -> None:
        self.capacity = capacity
        self.channels = channels
        self.samples = np.zeros((capacity, channels), np.float32)
        self.written = 0
        self.read_position = 0

    def write(self, block: npt.NDArray[np.float32]) -> None:
        count = min(len(block), self.capacity)
        block = block[-count:]
        start = self.written % self.capacity
        first = min(count, self.capacity - start)
        self.samples[start : start + first] = block[:first, : self.channels]
        if first < count:
            self.samples[: count - first] = block[first:, : self.channels]
        self.written += count

    def available(self) -> int:
        return self.written - self.read_position

    def read_into(self, out: npt.NDArray[np.float32], offset: int, count: int) -> None:
        """Copy ``count`` samples (planar into ``out[:, offset:]``); caller checks available()."""
        start = self.read_position % self.capacity
        first = min(count, self.capacity - start)
        for channel in range(out.shape[0]):
            source_channel = min(channel, self.channels - 1)  # mono fills both sides
            out[channel, offset : offset + first] = self.samples[
                start : start + first, source_channel
            ]
            if first < count:
                out[channel, offset + first : offset + count] = self.samples[
                    : count - first, source_channel
                ]
        self.read_position += count


class MicrophoneSource:
    """``device`` is a sounddevice id or name (None: the system's default input)."""

    def __init__(
        self,
        device: int | str | None,
        sample_rate_hz: int = 48000,
        *,
        target_latency_s: float = 0.06,
        retry_interval_s: float = 2.0,
        lost_after_s: float = 1.0,
        first_samples_within_s: float = 5.0,
        label: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._device = device
        self._rate = sample_rate_hz
        self._target_backlog = int(target_latency_s * sample_rate_hz)
        self._retry_interval_s = retry_interval_s
        self._lost_after_s = lost_after_s
        # Capture through PulseAudio takes about half a second to deliver its first samples.
        self._first_samples_within_s = first_samples_within_s
        self._label = label
        self._opened_at_s = 0.0
        self._callbacks = 0
        self._monotonic = monotonic
        self._ring = SampleRing(sample_rate_hz, 2)
        self._out = np.zeros((2, 0), np.float32)
        self._stream: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._state = SourceState.STOPPED
        self._detail = ""
        self._lost_count = 0
        self._underruns = 0
        self._resyncs = 0
        self._last_callback_at_s = 0.0
        self._primed = False

    @property
    def name(self) -> str:
        if self._device is None:
            return "default microphone"
        if self._label:
            return f"microphone {self._device} ({self._label})"
        return f"microphone {self._device}"

    # --- PortAudio thread --------------------------------------------------------------------

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        self._ring.write(indata)
        self._last_callback_at_s = self._monotonic()
        self._callbacks += 1

    # --- supervisor ----------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._state = SourceState.STARTING
        self._stop.clear()
        self._thread = threading.Thread(target=self._supervise, name="microphone", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3.0)
        self._close_stream()
        with self._lock:
            self._state = SourceState.STOPPED

    def _open_stream(self) -> bool:
        from anchordesk.media.portaudio import import_sounddevice, library_noise_filtered

        sounddevice = import_sounddevice()
        with library_noise_filtered():
            return self._open_stream_now(sounddevice)

    def _open_stream_now(self, sounddevice: ModuleType) -> bool:
        try:
            info = sounddevice.query_devices(self._device, "input")
            channels = 2 if int(info["max_input_channels"]) >= 2 else 1
            stream = sounddevice.InputStream(
                device=self._device,
                samplerate=self._rate,
                channels=channels,
                dtype="float32",
                blocksize=0,
                latency="low",
                callback=self._callback,
            )
            self._ring = SampleRing(self._rate, channels)
            self._primed = False
            self._callbacks = 0
            self._opened_at_s = self._last_callback_at_s = self._monotonic()
            stream.start()
        except Exception as error:  # PortAudioError, ValueError: no such device
            log.debug("%s: open failed: %s", self.name, error)
            return False
        self._stream = stream
        with self._lock:
            self._detail = f"{info['name']}, {channels} ch, {self._rate} Hz"
        return True

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception as error:
                log.debug("%s: close failed: %s", self.name, error)

    def _mark_lost(self, first_open: bool) -> None:
        with self._lock:
            if self._state is SourceState.LOST:
                return
            was_active = self._state is SourceState.ACTIVE
            self._state = SourceState.LOST
            if was_active:
                self._lost_count += 1
        if was_active:
            log.warning(
                "%s lost; sending silence and retrying every %.0f s",
                self.name,
                self._retry_interval_s,
            )
        elif first_open:
            log.warning(
                "%s cannot be opened; sending silence and retrying every %.0f s",
                self.name,
                self._retry_interval_s,
            )

    def _supervise(self) -> None:
        first_open = True
        while not self._stop.is_set():
            if self._stream is None:
                if not self._open_stream():
                    self._mark_lost(first_open)
                    first_open = False
                    self._stop.wait(self._retry_interval_s)
                    continue
                with self._lock:
                    came_back = self._state is SourceState.LOST
                    self._state = SourceState.ACTIVE
                    detail = self._detail
                if came_back:
                    log.info("%s is back (%s)", self.name, detail)
                else:
                    log.info("%s opened (%s)", self.name, detail)
                first_open = False
            if self._stop.wait(0.25):
                break
            now_s = self._monotonic()
            if self._callbacks:
                quiet = now_s - self._last_callback_at_s > self._lost_after_s
            else:
                quiet = now_s - self._opened_at_s > self._first_samples_within_s
            if not self._stream.active or quiet:
                self._close_stream()
                self._mark_lost(first_open)
                self._stop.wait(self._retry_interval_s)

    def status(self) -> SourceStatus:
        with self._lock:
            return SourceStatus(
                self.name, self._state, self._detail, self._lost_count, underruns=self._underruns
            )

    # --- pipeline thread -------------------------------------------------------------------

    def read(self, sample_count: int) -> npt.NDArray[np.float32]:
        if self._out.shape[1] != sample_count:
            self._out = np.zeros((2, sample_count), np.float32)
        out = self._out
        ring = self._ring
        available = ring.available()
        if self._state is not SourceState.ACTIVE:
            ring.read_position = ring.written
            out.fill(0.0)
            return out
        if not self._primed:
            # Wait for a small backlog so that scheduling jitter does not cause a gap each read.
            if available < self._target_backlog:
                out.fill(0.0)
                return out
            self._primed = True
        excess = available - (self._target_backlog + sample_count)
        if available > ring.capacity:
            ring.read_position = ring.written - self._target_backlog
            self._resyncs += 1
        elif excess > 0:
            # The device runs fast against the media clock: drop a little, at most 1/64 of a read,
            # which is inaudible, instead of letting latency grow.
            ring.read_position += min(excess, max(1, sample_count // 64))
        available = ring.available()
        count = min(available, sample_count)
        if count:
            ring.read_into(out, 0, count)
        if count < sample_count:
            out[:, count:] = 0.0
            with self._lock:
                self._underruns += 1
        return out
