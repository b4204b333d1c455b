"""Real encoded H.264/AAC packets from synthetic frames, for output tests.

The outputs are tested without the capture/compositor pipeline: this generator encodes a moving
picture and a sine tone with the same encoders the pipeline uses (libx264 zerolatency, AAC-LC)
and hands out :class:`EncodedPacket` objects plus the :class:`StreamTemplates` an output copies
its codec parameters (with extradata) from.
"""

from __future__ import annotations

import collections
import io
import math
from collections.abc import Iterator
from fractions import Fraction

import av
import numpy as np

from anchordesk.media.packets import EncodedPacket, StreamTemplates


class PacketGenerator:
    """Encode ``seconds`` of media at a time; timestamps continue across calls.

    The encoder streams live in a throw-away Matroska "holder" container: opening them there
    (``start_encoding``) makes the codec parameters carry global-header extradata (avcC and
    AudioSpecificConfig), which every output container copies with ``add_stream_from_template``.
    """

    def __init__(
        self,
        width: int = 320,
        height: int = 240,
        fps: int = 30,
        gop_s: float = 2.0,
        video_kbps: int = 400,
        sample_rate: int = 48000,
        tone_hz: float = 440.0,
        audio: bool = True,
        noise: bool = False,
        video_delay_frames: int = 0,
    ) -> None:
        self.width = width
        self.height = height
        self.fps = fps
        self.sample_rate = sample_rate
        self.tone_hz = tone_hz
        # A frame-threaded encoder (x264 with frame threads, as the pipeline and the ffmpeg CLI
        # use) hands out each video packet a few frames after its picture went in, so the
        # audio of those frames reaches the outputs before the first video keyframe.
        self.video_delay_frames = video_delay_frames
        self._delayed_video: collections.deque[EncodedPacket] = collections.deque()
        # Noise makes every frame expensive, so the encoder really spends its bitrate (used to
        # fill socket buffers quickly when a test freezes the server).
        self._noise = np.random.default_rng(1234) if noise else None
        self._holder = av.open(io.BytesIO(), "w", format="matroska")
        video = self._holder.add_stream("libx264", rate=fps)
        video.width = width
        video.height = height
        video.pix_fmt = "yuv420p"
        video.bit_rate = video_kbps * 1000
        video.codec_context.time_base = Fraction(1, fps)
        video.codec_context.gop_size = round(gop_s * fps)
        video.codec_context.max_b_frames = 0
        video.codec_context.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "x264-params": f"keyint={round(gop_s * fps)}:min-keyint={round(gop_s * fps)}"
            ":scenecut=0",
        }
        self._video = video
        self._audio = None
        if audio:
            audio_stream = self._holder.add_stream("aac", rate=sample_rate)
            audio_stream.layout = "stereo"
            audio_stream.bit_rate = 128_000
            self._audio = audio_stream
        self._holder.start_encoding()
        self.templates = StreamTemplates(video=video, audio=self._audio)
        self._frame_index = 0
        self._sample_index = 0
        self._audio_frame_samples = (
            self._audio.codec_context.frame_size if self._audio is not None else 1024
        ) or 1024

    @property
    def media_time_s(self) -> float:
        return self._frame_index / self.fps

    def _video_frame(self, index: int) -> av.VideoFrame:
        # A bar that moves one column per frame over a changing background keeps the encoder
        # producing real P-frames of realistic size.
        y = np.full((self.height, self.width), 16 + (index * 3) % 200, dtype=np.uint8)
        x = (index * 4) % self.width
        y[:, x : x + 16] = 235
        if self._noise is not None:
            y = self._noise.integers(16, 235, size=y.shape, dtype=np.uint8)
        u = np.full((self.height // 2, self.width // 2), 128, dtype=np.uint8)
        v = np.full((self.height // 2, self.width // 2), 90 + index % 60, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(
            np.concatenate([y.reshape(-1), u.reshape(-1), v.reshape(-1)]).reshape(
                self.height * 3 // 2, self.width
            ),
            format="yuv420p",
        )
        frame.pts = index
        frame.time_base = Fraction(1, self.fps)
        return frame

    def _audio_frame(self, first_sample: int) -> av.AudioFrame:
        n = self._audio_frame_samples
        t = (np.arange(first_sample, first_sample + n) / self.sample_rate).astype(np.float64)
        tone = (0.3 * np.sin(2 * math.pi * self.tone_hz * t)).astype(np.float32)
        planar = np.stack([tone, tone])
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout="stereo")
        frame.sample_rate = self.sample_rate
        frame.pts = first_sample
        frame.time_base = Fraction(1, self.sample_rate)
        return frame

    @staticmethod
    def _convert(kind: str, packet: av.Packet) -> EncodedPacket:
        assert packet.pts is not None and packet.dts is not None and packet.time_base is not None
        return EncodedPacket(
            kind="video" if kind == "video" else "audio",
            data=bytes(packet),
            pts=packet.pts,
            dts=packet.dts,
            time_base=packet.time_base,
            is_keyframe=packet.is_keyframe,
            duration=packet.duration or 0,
        )

    def packets(self, seconds: float) -> Iterator[EncodedPacket]:
        """The next ``seconds`` of media, video and audio interleaved in time order."""
        end_frame = self._frame_index + round(seconds * self.fps)
        while self._frame_index < end_frame:
            frame_time_s = self._frame_index / self.fps
            if self._audio is not None:
                while self._sample_index / self.sample_rate <= frame_time_s:
                    for packet in self._audio.encode(self._audio_frame(self._sample_index)):
                        yield self._convert("audio", packet)
                    self._sample_index += self._audio_frame_samples
            for packet in self._video.encode(self._video_frame(self._frame_index)):
                self._delayed_video.append(self._convert("video", packet))
            while (
                self._delayed_video
                and round(self._delayed_video[0].pts_s * self.fps) + self.video_delay_frames
                <= self._frame_index
            ):
                yield self._delayed_video.popleft()
            self._frame_index += 1

    def close(self) -> None:
        self._holder.close()
