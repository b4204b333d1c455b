"""A running ``anchordesk live --control`` for the remote-control tests: a show in Chinese with
flat-coloured product pictures (so a frame tells which card is on air), a flat still camera, a
recording, the stats file and the session file, all in a temporary folder."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import httpx
import numpy as np
from PySide6.QtGui import QColor, QImage
from servers import free_port, wait_until

TOKEN = "test-token-0123456789abcdef"
SERUM_BGR = (0, 200, 0)  # the serum's picture: pure green
CREAM_BGR = (0, 140, 230)  # the cream's: orange
BACKGROUND_BGR = (110, 90, 70)
FPS = 15


def write_show(folder: Path) -> Path:
    (folder / "images").mkdir(parents=True, exist_ok=True)
    for name, (blue, green, red) in (("serum", SERUM_BGR), ("cream", CREAM_BGR)):
        image = QImage(300, 300, QImage.Format.Format_RGB32)
        image.fill(QColor(red, green, blue))
        assert image.save(str(folder / "images" / f"{name}.png"))
    show = {
        "format": 1, "title": "秋季护肤之夜", "currency": "CNY", "language": "zh_CN",
        "products": [
            {"sku": "SERUM-30", "title": "玻尿酸保湿精华液", "price": 199.0,
             "image": "images/serum.png", "stock": 500},
            {"sku": "CREAM-50", "title": "修护面霜", "price": 259.0,
             "image": "images/cream.png", "stock": 80},
            {"sku": "MASK-10", "title": "补水面膜", "price": 99.0, "stock": 0},
        ],
        "rundown": [
            {"title": "开场", "sku": None, "seconds": 60, "script": "大家好"},
            {"title": "精华液", "sku": "SERUM-30", "seconds": 120, "script": "...",
             "deal": {"price": 129.0, "seconds": 90, "stock": 100}},
            {"title": "面霜", "sku": "CREAM-50", "seconds": 90, "script": "..."},
        ],
    }  # fmt: skip
    path = folder / "show.json"
    path.write_text(json.dumps(show, ensure_ascii=False), encoding="utf-8")
    return path


def write_camera(folder: Path, size: tuple[int, int]) -> Path:
    still = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    blue, green, red = BACKGROUND_BGR
    still.fill(QColor(red, green, blue))
    path = folder / "camera.png"
    assert still.save(str(path))
    return path


def environment(token: str | None = TOKEN) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("ANCHORDESK_CONTROL_TOKEN", None)
    if token is not None:
        env["ANCHORDESK_CONTROL_TOKEN"] = token
    return env


@dataclass
class RunningShow:
    url: str
    process: subprocess.Popen[str]
    recording: Path
    session: Path
    stats: Path

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {TOKEN}", **headers}, timeout=10
        )

    def stop(self) -> tuple[str, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=60)
        return out, err


@contextlib.contextmanager
def running_show(
    folder: Path, *extra: str, canvas: tuple[int, int] = (640, 360), fps: int = FPS
) -> Iterator[RunningShow]:
    folder.mkdir(parents=True, exist_ok=True)
    show = write_show(folder)
    camera = write_camera(folder, canvas)
    port = free_port()
    command = [
        sys.executable, "-m", "anchordesk", "live", "--show", str(show),
        "--camera", str(camera), "--mic", "none", "--canvas", f"{canvas[0]}x{canvas[1]}",
        "--fps", str(fps), "--video-kbps", "1500",
        "--record", str(folder / "show.mkv"), "--session", str(folder / "s.adsession"),
        "--stats", str(folder / "stats.jsonl"),
        "--control", f"127.0.0.1:{port}", *extra,
    ]  # fmt: skip
    running = RunningShow(
        url=f"http://127.0.0.1:{port}",
        process=subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
        ),
        recording=folder / "show.mkv",
        session=folder / "s.adsession",
        stats=folder / "stats.jsonl",
    )

    def answering() -> bool:
        if running.process.poll() is not None:
            raise AssertionError(running.process.communicate()[1][-2000:])
        try:
            return httpx.get(f"{running.url}/api/v1/", timeout=1).status_code == 401
        except httpx.HTTPError:
            return False

    try:
        wait_until(answering, 60, 0.1, "the control API")
        yield running
    finally:
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGINT)
            try:
                running.process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                running.process.kill()
                running.process.communicate()


def colour_fraction(frame: np.ndarray, bgr: tuple[int, int, int]) -> float:
    """The share of the frame's pixels within a small distance of ``bgr`` (a card's picture)."""
    distance = np.abs(frame.astype(np.int16) - np.array(bgr, np.int16)).sum(axis=2)
    return float((distance < 40).mean())


def recorded_frames(path: Path) -> list[tuple[float, np.ndarray]]:
    frames: list[tuple[float, np.ndarray]] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            assert frame.time is not None
            frames.append((float(frame.time), frame.to_ndarray(format="bgr24")))
    return frames
