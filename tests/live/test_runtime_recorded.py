"""An autoplayed show recorded headless: the frames at chosen times show the right card and a
countdown that agrees with the time. Runs the real command (camera: a still picture), decodes
the recording with PyAV, and compares overlay regions with the overlays rendered for that time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from anchordesk.live.runtime import ShowRuntime
from anchordesk.media.layers import OverlayLayer
from anchordesk.media.overlays import CountdownState, ensure_gui_application
from anchordesk.media.overlays.countdown import CountdownView
from anchordesk.media.overlays.scene import OverlayScene, SceneOverlaySource
from anchordesk.showfile.files import load_show

pytestmark = pytest.mark.integration

BACKGROUND_BGR = (70, 90, 110)  # the still "camera": a flat colour, so expected pixels are exact
SERUM_RGB = (0, 200, 0)
CREAM_RGB = (230, 140, 0)
FPS = 15


def write_show(folder: Path, language: str, currency: str) -> Path:
    (folder / "images").mkdir()
    for name, rgb in (("serum", SERUM_RGB), ("cream", CREAM_RGB)):
        image = QImage(300, 300, QImage.Format.Format_RGB32)
        image.fill(QColor(*rgb))
        assert image.save(str(folder / "images" / f"{name}.png"))
    zh = language == "zh_CN"
    show = {
        "format": 1,
        "title": "秋季护肤夜" if zh else "Autumn skincare night",
        "currency": currency,
        "language": language,
        "theme": {"accent": "#2266ff"},
        "products": [
            {"sku": "SERUM-30", "title": "水润精华液" if zh else "Hydra Serum 30 ml",
             "price": 199.0, "image": "images/serum.png", "stock": 500},
            {"sku": "CREAM-50", "title": "晚霜" if zh else "Night Cream 50 ml",
             "price": 259.0, "image": "images/cream.png", "stock": 80},
        ],
        "rundown": [
            {"title": "开场" if zh else "Opening", "sku": None, "seconds": 2, "script": "hi"},
            {"title": "精华液" if zh else "Serum", "sku": "SERUM-30", "seconds": 4,
             "script": "...", "deal": {"price": 129.0, "seconds": 3, "stock": 100}},
            {"title": "晚霜" if zh else "Cream", "sku": "CREAM-50", "seconds": 3, "script": "..."},
        ],
    }  # fmt: skip
    path = folder / "show.json"
    path.write_text(json.dumps(show, ensure_ascii=False), encoding="utf-8")
    return path


def record(tmp_path: Path, show_path: Path, canvas: tuple[int, int], seconds: float) -> Path:
    width, height = canvas
    still = QImage(width, height, QImage.Format.Format_RGB32)
    blue, green, red = BACKGROUND_BGR
    still.fill(QColor(red, green, blue))
    camera = tmp_path / "camera.png"
    assert still.save(str(camera))
    output = tmp_path / "show.mkv"
    command = [
        sys.executable, "-m", "anchordesk", "live", "--camera", str(camera), "--mic", "test",
        "--show", str(show_path), "--autoplay", "--seconds", str(seconds),
        "--canvas", f"{width}x{height}", "--fps", str(FPS), "--video-kbps", "4000",
        "--record", str(output),
    ]  # fmt: skip
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return output


def frames_at(path: Path, times_s: list[float]) -> dict[float, np.ndarray]:
    wanted = dict.fromkeys(times_s)
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            assert frame.time is not None
            for time_s in times_s:
                if wanted[time_s] is None and abs(frame.time - time_s) < 0.5 / FPS:
                    wanted[time_s] = frame.to_ndarray(format="bgr24")
    missing = [time_s for time_s, frame in wanted.items() if frame is None]
    assert not missing, f"no frame at {missing} s in the recording"
    return {time_s: frame for time_s, frame in wanted.items() if frame is not None}


def composite(layer: OverlayLayer, canvas: tuple[int, int]) -> np.ndarray:
    """The layer over the flat background, cropped to the layer's rectangle."""
    pixels = layer.bgra_premultiplied.astype(np.float32)
    background = np.empty((*pixels.shape[:2], 3), np.float32)
    background[:] = BACKGROUND_BGR
    return pixels[:, :, :3] + background * (1 - pixels[:, :, 3:4] / 255)


def region(frame: np.ndarray, layer: OverlayLayer) -> np.ndarray:
    return frame[layer.y : layer.y + layer.height, layer.x : layer.x + layer.width].astype(
        np.float32
    )


def error(frame: np.ndarray, layer: OverlayLayer, canvas: tuple[int, int]) -> float:
    return float(np.abs(region(frame, layer) - composite(layer, canvas)).mean())


def layers_of(scene: OverlayScene, canvas: tuple[int, int]) -> dict[str, OverlayLayer]:
    return {layer.name: layer for layer in SceneOverlaySource(lambda _s: scene).layers(0, canvas)}


@pytest.mark.parametrize(
    ("language", "currency", "canvas"),
    [("en", "USD", (1280, 720)), ("zh_CN", "CNY", (720, 1280))],
)
def test_autoplayed_recording_shows_the_rundown_second_by_second(
    tmp_path: Path, language: str, currency: str, canvas: tuple[int, int]
) -> None:
    ensure_gui_application()
    show_path = write_show(tmp_path, language, currency)
    # Opening 0-2 s (no card); Serum 2-6 s with a 3 s deal (ends at 5 s); Cream from 6 s.
    times = [1.0, 2.5, 3.5, 4.5, 5.5, 6.5]
    frames = frames_at(record(tmp_path, show_path, canvas, 7.0), times)

    reference = ShowRuntime(load_show(show_path), 0.0, autoplay=True)
    expected: dict[float, OverlayScene] = {}
    for time_s in times:
        reference.tick(time_s)
        expected[time_s] = reference.scene(time_s)

    # No card during the opening: the card's place shows the camera.
    serum_card = layers_of(expected[2.5], canvas)["show.card"]
    opening = region(frames[1.0], serum_card)
    assert np.abs(opening - np.array(BACKGROUND_BGR, np.float32)).mean() < 4

    for time_s in (2.5, 3.5, 4.5, 5.5, 6.5):
        scene = expected[time_s]
        layers = layers_of(scene, canvas)
        card = layers["show.card"]
        card_error = error(frames[time_s], card, canvas)
        assert card_error < 8, f"card at {time_s} s differs from the render by {card_error:.1f}"
        product_rgb = SERUM_RGB if time_s < 6 else CREAM_RGB
        assert scene.card is not None and scene.card.sku == (
            "SERUM-30" if time_s < 6 else "CREAM-50"
        )
        # The product picture itself is in the card (a flat colour in the middle of its tile).
        tile = region(frames[time_s], card)
        picture = tile[card.height // 4 : card.height // 3, card.width // 5 : card.width // 4]
        if canvas[0] > canvas[1]:
            picture = tile[
                card.height // 5 : card.height // 4, card.width // 2 - 8 : card.width // 2 + 8
            ]
        assert np.abs(picture.mean(axis=(0, 1)) - np.array(product_rgb[::-1])).max() < 12

    # The countdown reads what the time says, and no other second fits as well.
    live, ended = CountdownState.LIVE, CountdownState.ENDED
    for time_s, shown, state in ((2.5, 3, live), (3.5, 2, live), (4.5, 1, live), (5.5, 0, ended)):
        scene = expected[time_s]
        assert scene.countdown is not None
        assert (scene.countdown.seconds_shown, scene.countdown.state) == (shown, state)
        errors = {}
        for candidate in range(4):
            view = CountdownView(float(candidate), 3.0, live if candidate else ended)
            candidate_scene = OverlayScene(**{**scene.__dict__, "countdown": view})
            errors[candidate] = error(
                frames[time_s], layers_of(candidate_scene, canvas)["show.countdown"], canvas
            )
        best = min(errors, key=errors.__getitem__)
        assert best == shown, (
            f"at {time_s} s the countdown looks like {best}, not {shown}: {errors}"
        )
        assert errors[shown] < 8
        runner_up = min(value for key, value in errors.items() if key != shown)
        assert runner_up > errors[shown] + 1.5, errors
    assert expected[6.5].countdown is None
    cream_layers = layers_of(expected[6.5], canvas)
    assert "show.countdown" not in cream_layers
