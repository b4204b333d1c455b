"""Picture and sound sources: camera, test pattern, still image, slate; microphone, tone, silence.

Video sources hand the pipeline their newest frame on demand and never make it wait; audio
sources fill exactly the number of samples asked for, so audio timestamps follow the sample count.
"""

from anchordesk.media.sources.base import (
    AudioSource,
    SourceState,
    SourceStatus,
    VideoFrameRef,
    VideoSource,
)
from anchordesk.media.sources.camera import CameraSource
from anchordesk.media.sources.microphone import MicrophoneSource
from anchordesk.media.sources.still import SlateSource, StillImageSource, render_slate
from anchordesk.media.sources.test_pattern import TestPatternSource
from anchordesk.media.sources.tone import SilenceSource, ToneSource

__all__ = [
    "AudioSource",
    "CameraSource",
    "MicrophoneSource",
    "SilenceSource",
    "SlateSource",
    "SourceState",
    "SourceStatus",
    "StillImageSource",
    "TestPatternSource",
    "ToneSource",
    "VideoFrameRef",
    "VideoSource",
    "render_slate",
]
