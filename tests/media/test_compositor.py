"""The compositor, checked pixel by pixel."""

from __future__ import annotations

import numpy as np
import pytest

from anchordesk.media.compositor import Compositor, fill_crop_rect
from anchordesk.media.layers import OverlayLayer
from anchordesk.media.sources.base import VideoFrameRef


def solid(width: int, height: int, bgr: tuple[int, int, int]) -> np.ndarray:
    picture = np.zeros((height, width, 3), np.uint8)
    picture[:] = bgr
    return picture


def layer(
    name: str,
    x: int,
    y: int,
    z: int,
    version: int,
    width: int,
    height: int,
    bgr: tuple[int, int, int],
    alpha: int,
) -> OverlayLayer:
    pixels = np.zeros((height, width, 4), np.uint8)
    # Premultiplied: colour already scaled by alpha.
    pixels[:, :, :3] = [round(c * alpha / 255) for c in bgr]
    pixels[:, :, 3] = alpha
    return OverlayLayer(name, x, y, z, version, pixels)


def test_a_wider_camera_is_cropped_at_the_sides_to_fill_the_canvas() -> None:
    # 4:3 vertical stripes: left quarter red, middle half green, right quarter blue.
    picture = np.zeros((480, 640, 3), np.uint8)
    picture[:, :160] = (0, 0, 255)
    picture[:, 160:480] = (0, 255, 0)
    picture[:, 480:] = (255, 0, 0)
    compositor = Compositor(320, 640)  # vertical canvas: keeps the centre 240x480 of the source
    canvas = compositor.compose(VideoFrameRef(picture, 1, 1), [])
    assert canvas.shape == (640, 320, 3)
    # Only the green middle is visible; nothing is stretched and no black bars appear.
    assert (canvas[:, 5:-5] == (0, 255, 0)).all()


def test_a_narrower_camera_is_cropped_top_and_bottom() -> None:
    picture = np.zeros((720, 720, 3), np.uint8)
    picture[:150] = (255, 255, 255)  # within the 157 rows a 16:9 crop cuts off the top
    picture[150:] = (10, 20, 30)
    canvas = Compositor(320, 180).compose(VideoFrameRef(picture, 1, 1), [])
    assert (canvas[2:-2] == (10, 20, 30)).all()
    assert fill_crop_rect(720, 720, 1280, 720) == (0, 157, 720, 405)
    assert fill_crop_rect(1920, 1080, 1280, 720) == (0, 0, 1920, 1080)


def test_premultiplied_layer_is_blended_over_its_region_only() -> None:
    compositor = Compositor(64, 48)
    background = VideoFrameRef(solid(64, 48, (200, 0, 0)), 1, 1)  # blue
    red_half = layer("card", 10, 8, 0, 1, 20, 10, (0, 0, 255), alpha=128)
    canvas = compositor.compose(background, [red_half])
    inside = canvas[8:18, 10:30].reshape(-1, 3)
    # out = src_premultiplied + dst * (255 - a) / 255
    expected = np.array([round(200 * 127 / 255), 0, 128])
    assert np.abs(inside.astype(int) - expected).max() <= 1
    outside_mask = np.ones((48, 64), bool)
    outside_mask[8:18, 10:30] = False
    assert (canvas[outside_mask] == (200, 0, 0)).all()


def test_layers_stack_by_z_and_opaque_layers_cover() -> None:
    compositor = Compositor(32, 32)
    background = VideoFrameRef(solid(32, 32, (0, 0, 0)), 1, 1)
    top = layer("top", 0, 0, 5, 1, 16, 16, (0, 255, 0), alpha=255)
    bottom = layer("bottom", 0, 0, 1, 1, 16, 16, (0, 0, 255), alpha=255)
    canvas = compositor.compose(background, [top, bottom])  # given out of order
    assert (canvas[:16, :16] == (0, 255, 0)).all()


def test_a_layer_partly_off_canvas_is_clipped_and_one_fully_off_is_ignored() -> None:
    compositor = Compositor(32, 32)
    background = VideoFrameRef(solid(32, 32, (0, 0, 0)), 1, 1)
    partly = layer("partly", -8, 24, 0, 1, 16, 16, (255, 255, 255), alpha=255)
    gone = layer("gone", 40, 40, 0, 1, 8, 8, (255, 255, 255), alpha=255)
    canvas = compositor.compose(background, [partly, gone])
    assert (canvas[24:, :8] == 255).all()
    assert (canvas[:24] == 0).all() and (canvas[:, 8:] == 0).all()


def test_a_layer_is_prepared_again_only_when_its_version_changes() -> None:
    compositor = Compositor(64, 48)
    background = VideoFrameRef(solid(64, 48, (0, 0, 0)), 1, 1)
    first = layer("countdown", 0, 0, 0, 1, 8, 8, (0, 0, 255), alpha=200)
    for _ in range(30):
        compositor.compose(background, [first])
    assert compositor.layer_uploads == 1
    second = layer("countdown", 0, 0, 0, 2, 8, 8, (0, 255, 0), alpha=255)
    canvas = compositor.compose(background, [second])
    assert compositor.layer_uploads == 2
    assert (canvas[:8, :8] == (0, 255, 0)).all()


def test_the_background_is_restored_each_frame_under_moving_layers() -> None:
    compositor = Compositor(64, 48)
    background = VideoFrameRef(solid(64, 48, (1, 2, 3)), 1, 1)
    compositor.compose(background, [layer("a", 0, 0, 0, 1, 8, 8, (255, 255, 255), 255)])
    canvas = compositor.compose(background, [])
    assert (canvas == (1, 2, 3)).all()


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (720, 1280), (1080, 1920)])
def test_every_supported_canvas_is_filled_from_a_720p_camera(size: tuple[int, int]) -> None:
    compositor = Compositor(*size)
    canvas = compositor.compose(VideoFrameRef(solid(1280, 720, (9, 8, 7)), 1, 1), [])
    assert canvas.shape == (size[1], size[0], 3)
    assert (canvas == (9, 8, 7)).all()


def test_odd_canvas_sides_are_refused() -> None:
    with pytest.raises(ValueError):
        Compositor(641, 480)
