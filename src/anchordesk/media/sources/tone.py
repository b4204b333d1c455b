"""Generated sound: a test tone (with a beep each second, in step with the test pattern's flash)
and silence."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from anchordesk.media.sources.base import SourceState, SourceStatus

_BEEP_S = 0.1


class ToneSource:
    """A quiet 440 Hz tone and a louder 1 kHz beep during the first 0.1 s of each second.

    The waveform is a function of the sample count, so it is phase-continuous across reads and
    the beep lands exactly on the second boundaries of the media clock.
    """

    def __init__(
        self, sample_rate_hz: int = 48000, tone_hz: float = 440.0, beep_hz: float = 1000.0
    ) -> None:
        self._rate = sample_rate_hz
        self._tone_hz = tone_hz
        self._beep_hz = beep_hz
        self._samples_read = 0
        self._buffer = np.zeros((2, 0), np.float32)
        self._state = SourceState.STOPPED

    @property
    def name(self) -> str:
        return "test tone"

    def start(self) -> None:
        self._state = SourceState.ACTIVE

    def stop(self) -> None:
        self._state = SourceState.STOPPED

    def status(self) -> SourceStatus:
        return SourceStatus(self.name, self._state, f"{self._tone_hz:.0f} Hz, {self._rate} Hz")

    def read(self, sample_count: int) -> npt.NDArray[np.float32]:
        if self._buffer.shape[1] != sample_count:
            self._buffer = np.zeros((2, sample_count), np.float32)
        index = np.arange(self._samples_read, self._samples_read + sample_count, dtype=np.int64)
        self._samples_read += sample_count
        # Phase from the integer sample index modulo one second keeps float precision over hours.
        in_second = index % self._rate
        seconds = in_second / self._rate
        wave = 0.1 * np.sin(2 * np.pi * self._tone_hz * seconds)
        beep = in_second < int(_BEEP_S * self._rate)
        wave = np.where(beep, 0.5 * np.sin(2 * np.pi * self._beep_hz * seconds), wave)
        self._buffer[0] = wave
        self._buffer[1] = wave
        return self._buffer


class SilenceSource:
    def __init__(self) -> None:
        self._buffer = np.zeros((2, 0), np.float32)
        self._state = SourceState.STOPPED

    @property
    def name(self) -> str:
        return "silence"

    def start(self) -> None:
        self._state = SourceState.ACTIVE

    def stop(self) -> None:
        self._state = SourceState.STOPPED

    def status(self) -> SourceStatus:
        return SourceStatus(self.name, self._state)

    def read(self, sample_count: int) -> npt.NDArray[np.float32]:
        if self._buffer.shape[1] != sample_count:
            self._buffer = np.zeros((2, sample_count), np.float32)
        return self._buffer
