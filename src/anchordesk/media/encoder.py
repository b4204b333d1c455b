"""Encode once: H.264 and AAC with PyAV, packets detached from any container.

The encoders live in a "holder" container (Matroska into a memory buffer) that is started but
never muxed into: starting it opens the codecs with the global-header flag, so each stream's
codec parameters carry the extradata (SPS/PPS, AudioSpecificConfig) that every output copies
with ``add_stream_from_template``. The packets' bytes then go to all outputs unchanged.

Colour conversion is OpenCV's BGR->I420 (about six times cheaper than ``VideoFrame.reformat``
at 720p), written into a preallocated buffer. For libx264 that buffer is handed to the encoder
without a copy (``VideoFrame.from_numpy_buffer``): x264 copies the picture into its own frame
inside the encode call, so the buffer is free again when the call returns. Other encoders get a
copy (``from_ndarray``), as they may keep the frame after the call.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt

from anchordesk.core.errors import FatalError, UserError
from anchordesk.media.packets import EncodedPacket, StreamTemplates

log = logging.getLogger(__name__)

HARDWARE_H264_ENCODERS = ("h264_nvenc", "h264_qsv", "h264_amf", "h264_videotoolbox")
AAC_FRAME_SAMPLES = 1024


@dataclass(frozen=True)
class EncoderSettings:
    width: int = 1280
    height: int = 720
    fps: int = 30
    video_kbps: int = 2500
    audio_kbps: int = 128
    audio_rate_hz: int = 48000
    video_encoder: str = "libx264"  # or a hardware encoder name, or "auto"
    keyframe_interval_s: float = 2.0
    b_frames: int = 0


def _video_options(name: str, settings: EncoderSettings) -> dict[str, str]:
    gop = max(1, round(settings.fps * settings.keyframe_interval_s))
    kbps = settings.video_kbps
    options = {
        "g": str(gop),
        "bf": str(settings.b_frames),
        "maxrate": f"{kbps}k",
        "bufsize": f"{kbps}k",
    }
    if name == "libx264":
        options.update(
            {
                "preset": "veryfast",
                "tune": "zerolatency",
                # A keyframe exactly every gop frames (platforms ask for 2 s) and a real CBR stream.
                "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:nal-hrd=cbr:"
                f"bframes={settings.b_frames}",
            }
        )
    elif name == "h264_nvenc":
        options.update({"preset": "p4", "tune": "ll", "rc": "cbr", "zerolatency": "1"})
    elif name == "h264_qsv":
        options.update({"preset": "veryfast", "look_ahead": "0"})
    elif name == "h264_amf":
        options.update({"usage": "lowlatency", "rc": "cbr"})
    elif name == "h264_videotoolbox":
        options.update({"realtime": "1"})
    return options


def _open_video_stream(
    holder: Any, name: str, settings: EncoderSettings, width: int, height: int
) -> Any:
    stream = holder.add_stream(name, rate=settings.fps)
    stream.width = width
    stream.height = height
    stream.pix_fmt = "yuv420p" if name != "h264_qsv" else "nv12"
    stream.bit_rate = settings.video_kbps * 1000
    stream.codec_context.time_base = Fraction(1, settings.fps)
    stream.options = _video_options(name, settings)
    # OpenCV's BGR->I420 is BT.601 limited range (black 16, white 235). Say so in the stream:
    # untagged HD video is shown as BT.709 by players and platforms, which shifts every colour.
    context = stream.codec_context
    context.colorspace = 6  # AVCOL_SPC_SMPTE170M (BT.601)
    context.color_primaries = 6  # AVCOL_PRI_SMPTE170M
    context.color_trc = 6  # AVCOL_TRC_SMPTE170M
    context.color_range = 1  # AVCOL_RANGE_MPEG (limited)
    if name == "libx264":
        # Frame threads, as the ffmpeg CLI uses: PyAV's default (slices) costs about 5-10 % more
        # CPU per frame for a couple of frames less latency, which an RTMP stream does not need.
        stream.codec_context.thread_type = "FRAME"
    return stream


def probe_hardware_encoder(name: str, settings: EncoderSettings) -> str | None:
    """Open ``name`` on a tiny frame; return None if it works, else the reason."""
    if name not in av.codecs_available:
        return "not built into this FFmpeg"
    try:
        holder = av.open(io.BytesIO(), "w", format="matroska")
        try:
            stream = _open_video_stream(holder, name, settings, 256, 144)
            holder.start_encoding()
            frame = av.VideoFrame(256, 144, stream.pix_fmt)
            frame.pts = 0
            stream.encode(frame)
            stream.encode(None)
        finally:
            holder.close()
    except Exception as error:  # every FFmpeg failure mode: no device, no driver, no session
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return None


def choose_video_encoder(requested: str, settings: EncoderSettings) -> str:
    requested = requested.strip()
    if requested == "auto":
        for name in HARDWARE_H264_ENCODERS:
            reason = probe_hardware_encoder(name, settings)
            if reason is None:
                log.info("encoder: using %s (hardware)", name)
                return name
            log.debug("encoder: %s unavailable: %s", name, reason)
        log.info(
            "encoder: no hardware H.264 encoder works here (tried %s); using libx264",
            ", ".join(HARDWARE_H264_ENCODERS),
        )
        return "libx264"
    if requested == "libx264":
        return requested
    if requested not in HARDWARE_H264_ENCODERS:
        raise UserError(
            f"--encoder {requested!r}: choose libx264, auto, or one of "
            f"{', '.join(HARDWARE_H264_ENCODERS)}"
        )
    reason = probe_hardware_encoder(requested, settings)
    if reason is not None:
        raise UserError(f"--encoder {requested}: cannot be opened here ({reason})")
    return requested


def _detach(packet: Any, kind: str, default_duration: int) -> EncodedPacket:
    return EncodedPacket(
        kind="video" if kind == "video" else "audio",
        data=bytes(packet),
        pts=int(packet.pts),
        dts=int(packet.dts if packet.dts is not None else packet.pts),
        time_base=packet.time_base,
        is_keyframe=bool(packet.is_keyframe),
        duration=int(packet.duration or default_duration),
    )


class Encoder:
    """H.264 + AAC, once. Called from the pipeline thread only."""

    def __init__(self, settings: EncoderSettings, *, with_audio: bool = True) -> None:
        self.settings = settings
        self.video_codec_name = choose_video_encoder(settings.video_encoder, settings)
        self._holder = av.open(io.BytesIO(), "w", format="matroska")
        try:
            self._video = _open_video_stream(
                self._holder, self.video_codec_name, settings, settings.width, settings.height
            )
            self._audio: Any = None
            if with_audio:
                self._audio = self._holder.add_stream("aac", rate=settings.audio_rate_hz)
                self._audio.layout = "stereo"
                self._audio.bit_rate = settings.audio_kbps * 1000
                self._audio.codec_context.time_base = Fraction(1, settings.audio_rate_hz)
            self._holder.start_encoding()
        except av.FFmpegError as error:
            raise FatalError(f"cannot open the {self.video_codec_name} encoder: {error}") from None
        self.templates = StreamTemplates(video=self._video, audio=self._audio)
        self._keyframe_requested = False
        self.video_time_base = Fraction(1, settings.fps)
        self.audio_time_base = Fraction(1, settings.audio_rate_hz)
        self._i420 = np.empty((settings.height * 3 // 2, settings.width), np.uint8)
        self._nv12 = self.video_codec_name == "h264_qsv"
        # Measured at 720p: 0.3-1.0 ms per frame for from_ndarray's fresh buffer and copy
        # (page faults included) against 0.01 ms for wrapping the buffer.
        self._wrap_buffer = self.video_codec_name == "libx264"

    def encode_video(self, bgr: npt.NDArray[np.uint8], pts: int) -> list[EncodedPacket]:
        """``pts`` in frames (time base 1/fps); must increase."""
        cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420, dst=self._i420)
        if self._wrap_buffer:
            frame = av.VideoFrame.from_numpy_buffer(self._i420, format="yuv420p")
        elif self._nv12:
            frame = av.VideoFrame.from_ndarray(self._i420, format="yuv420p").reformat(format="nv12")
        else:
            frame = av.VideoFrame.from_ndarray(self._i420, format="yuv420p")
        frame.pts = pts
        frame.time_base = self.video_time_base
        if self._keyframe_requested:
            self._keyframe_requested = False
            frame.pict_type = av.video.frame.PictureType.I
        return [_detach(packet, "video", 1) for packet in self._video.encode(frame)]

    def request_keyframe(self) -> None:
        """Make the next picture a keyframe (a destination just attached starts at once instead
        of waiting up to a whole keyframe interval). Called from the pipeline thread."""
        self._keyframe_requested = True

    def encode_audio(self, planar: npt.NDArray[np.float32], pts: int) -> list[EncodedPacket]:
        """``planar`` (2, n) float32; ``pts`` in samples."""
        if self._audio is None:
            return []
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout="stereo")
        frame.sample_rate = self.settings.audio_rate_hz
        frame.pts = pts
        frame.time_base = self.audio_time_base
        return [_detach(packet, "audio", AAC_FRAME_SAMPLES) for packet in self._audio.encode(frame)]

    def flush(self) -> list[EncodedPacket]:
        packets = [_detach(packet, "video", 1) for packet in self._video.encode(None)]
        if self._audio is not None:
            packets += [_detach(p, "audio", AAC_FRAME_SAMPLES) for p in self._audio.encode(None)]
        return packets

    def close(self) -> None:
        try:
            self._holder.close()
        except av.FFmpegError as error:
            log.debug("encoder holder close: %s", error)
