"""What every source offers the pipeline."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt


class SourceState(enum.StrEnum):
    STARTING = "starting"
    ACTIVE = "active"
    LOST = "lost"  # the device went away; a slate or silence stands in while it is retried
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class VideoFrameRef:
    """A BGR picture (height, width, 3) and a number that changes whenever its pixels change.

    The compositor keeps the scaled copy of a frame while ``(source_id, sequence)`` stays the
    same, so a still picture is scaled once, not once per output frame. The pixels must not be
    changed by the source until its next ``frame()`` call.
    """

    bgr: npt.NDArray[np.uint8]
    source_id: int
    sequence: int


@dataclass(frozen=True)
class SourceStatus:
    name: str
    state: SourceState
    detail: str = ""  # what the device actually gave, e.g. "1280x720 MJPG 30.0 fps"
    lost_count: int = 0  # times the device went away during this run
    dropped_frames: int = 0  # captured frames replaced before the pipeline used them
    underruns: int = 0  # audio: reads that found too few samples and were padded with silence


class VideoSource(Protocol):
    @property
    def name(self) -> str: ...

    def start(self) -> None: ...

    def frame(self, now_s: float) -> VideoFrameRef:
        """The newest picture for media time ``now_s``; never blocks."""

    def status(self) -> SourceStatus: ...

    def stop(self) -> None: ...


class AudioSource(Protocol):
    @property
    def name(self) -> str: ...

    def start(self) -> None: ...

    def read(self, sample_count: int) -> npt.NDArray[np.float32]:
        """Exactly ``sample_count`` stereo samples, planar float32 of shape (2, sample_count).

        Never blocks: a source short of samples pads with silence. The array may be reused by the
        next call.
        """

    def status(self) -> SourceStatus: ...

    def stop(self) -> None: ...
