"""The encoder hands its conversion buffer to libx264 without a copy: every picture must still
come out as it went in, although the same buffer is overwritten for the next frame at once."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from anchordesk.media.encoder import Encoder, EncoderSettings

WIDTH, HEIGHT, FPS = 320, 240, 30


def test_each_frame_keeps_its_own_picture_with_the_reused_buffer() -> None:
    encoder = Encoder(EncoderSettings(width=WIDTH, height=HEIGHT, fps=FPS), with_audio=False)
    # Frame n is a flat grey of level 20 + 3n: a picture taken from the buffer after it was
    # overwritten (by a later frame) would decode to a later level.
    levels = [20 + 3 * n for n in range(60)]
    packets = []
    try:
        assert encoder.video_codec_name == "libx264"
        for index, level in enumerate(levels):
            bgr = np.full((HEIGHT, WIDTH, 3), level, np.uint8)
            packets += encoder.encode_video(bgr, index)
        packets += encoder.flush()
        decoder = av.CodecContext.create("h264", "r")
        decoder.extradata = encoder.templates.video.codec_context.extradata
        decoded: list[float] = []
        for encoded in packets:
            if encoded.kind != "video":
                continue
            packet = av.Packet(encoded.data)
            packet.pts, packet.dts = encoded.pts, encoded.dts
            packet.time_base = Fraction(1, FPS)
            for frame in decoder.decode(packet):
                decoded.append(float(frame.to_ndarray(format="gray").mean()))
        for frame in decoder.decode(None):
            decoded.append(float(frame.to_ndarray(format="gray").mean()))
    finally:
        encoder.close()
    assert len(decoded) == len(levels)
    # OpenCV's conversion keeps a grey's level as its luma; x264 at this bitrate keeps it
    # within a step or two.
    assert np.allclose(decoded, levels, atol=2.0)


def test_the_stream_says_which_colours_it_carries_and_red_stays_red() -> None:
    """Untagged HD H.264 is shown as BT.709 by players; our conversion is BT.601 limited range,
    so the stream must say so, and a decoder that follows the tags gets the colour back."""
    encoder = Encoder(EncoderSettings(width=WIDTH, height=HEIGHT, fps=FPS), with_audio=False)
    packets = []
    try:
        red = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        red[..., 2] = 230
        for index in range(10):
            packets += encoder.encode_video(red, index)
        packets += encoder.flush()
        decoder = av.CodecContext.create("h264", "r")
        decoder.extradata = encoder.templates.video.codec_context.extradata
        frames = []
        for encoded in packets:
            packet = av.Packet(encoded.data)
            packet.pts, packet.dts = encoded.pts, encoded.dts
            frames += decoder.decode(packet)
        frames += decoder.decode(None)
    finally:
        encoder.close()
    last = frames[-1]
    assert last.color_range == 1  # limited ("tv")
    assert last.colorspace == 6  # SMPTE 170M / BT.601
    bgr = last.reformat(
        format="bgr24", src_colorspace=last.colorspace, src_color_range=last.color_range
    ).to_ndarray()
    blue, green, red_level = (float(bgr[..., channel].mean()) for channel in range(3))
    assert abs(red_level - 230) < 6 and blue < 8 and green < 8
