"""The text banner overlay and the encoder's choices."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from anchordesk.core.errors import UserError
from anchordesk.media.banner import TextBanner
from anchordesk.media.encoder import Encoder, EncoderSettings, choose_video_encoder


@pytest.fixture(scope="module", autouse=True)
def gui_application() -> None:
    from anchordesk.media.overlays.fonts import ensure_gui_application

    ensure_gui_application()


def test_the_banner_renders_once_and_then_returns_the_same_layer() -> None:
    banner = TextBanner("Flash deal 限时秒杀 タイムセール")
    first = banner.layers(0.0, (1280, 720))
    assert len(first) == 1
    layer = first[0]
    assert 0 < layer.width <= 1280 and layer.height < 720 // 4
    alpha = layer.bgra_premultiplied[:, :, 3]
    assert alpha.max() == 255 and alpha.min() < 255  # a translucent band with solid text
    # Premultiplied: no colour channel exceeds alpha.
    assert (layer.bgra_premultiplied[:, :, :3].max(axis=2) <= alpha).all()
    assert banner.layers(5.0, (1280, 720))[0] is layer
    banner.set_text("Sold out 已售罄")
    assert banner.layers(6.0, (1280, 720))[0].version != layer.version


def test_the_banner_draws_cjk_glyphs_not_boxes() -> None:
    chinese = TextBanner("限时秒杀").layers(0.0, (1280, 720))[0].bgra_premultiplied
    latin = TextBanner("iiii").layers(0.0, (1280, 720))[0].bgra_premultiplied
    # Four CJK ideographs put far more white ink on the band than four thin Latin letters.
    ink = lambda pixels: int(np.count_nonzero(pixels[:, :, 2] > 200))  # noqa: E731
    assert ink(chinese) > 2 * ink(latin) > 0


def test_the_banner_keeps_outside_text_plain_and_on_one_line() -> None:
    layer = TextBanner("<b>bold?</b>\nsecond line").layers(0.0, (720, 1280))[0]
    assert layer.height < 1280 // 8


def test_auto_encoder_falls_back_to_libx264_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="anchordesk.media.encoder")
    name = choose_video_encoder("auto", EncoderSettings())
    if name == "libx264":
        assert "using libx264" in caplog.text
    else:
        assert name in caplog.text


def test_an_unknown_encoder_is_a_user_error() -> None:
    with pytest.raises(UserError, match="--encoder"):
        choose_video_encoder("h265_magic", EncoderSettings())


def test_the_encoder_exposes_templates_with_extradata_at_44100_hz() -> None:
    encoder = Encoder(EncoderSettings(width=320, height=180, audio_rate_hz=44100))
    try:
        assert encoder.templates.video.codec_context.extradata
        assert encoder.templates.audio is not None
        assert encoder.templates.audio.codec_context.sample_rate == 44100
        assert encoder.templates.audio.codec_context.extradata
        packets = encoder.encode_video(np.zeros((180, 320, 3), np.uint8), 0)
        packets += encoder.flush()
        assert packets[0].is_keyframe and packets[0].kind == "video"
    finally:
        encoder.close()
