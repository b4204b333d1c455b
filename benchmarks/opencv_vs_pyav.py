"""Can OpenCV be dropped for PyAV's own capture and scaling? Figures for the decision.

    .venv/bin/python benchmarks/opencv_vs_pyav.py [--frames 300]

Prints, for what AnchorDesk uses OpenCV for and what PyAV could do instead:

- the installed size of each (site-packages folders) and their import time in a fresh process;
- per 1280x720 frame: BGR -> yuv420p (the encoder's input; OpenCV cvtColor vs PyAV's swscale
  ``VideoFrame.reformat``), a 1920x1080 -> 1280x720 resize (a camera larger than the canvas),
  and reading a video file as a camera (cv2.VideoCapture vs av.open + decode to BGR);
- overlay blending (premultiplied alpha, cv2.multiply + cv2.add) against the same in NumPy,
  which PyAV has no equivalent for.

CPU time (process_time), single-threaded (cv2.setNumThreads(1), as the pipeline runs it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np

SITE = Path(av.__file__).resolve().parents[1]


def folder_mb(*names: str) -> float:
    total = 0
    for name in names:
        for path in (SITE / name).rglob("*"):
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def import_s(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(5)
    ]  # fmt: skip
    return sorted(runs)[2]


def cpu_ms(work: Callable[[], object], repeat: int) -> float:
    work()
    start = time.process_time()
    for _ in range(repeat):
        work()
    return (time.process_time() - start) * 1000 / repeat


def make_clip(path: Path, frames: int) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        rng = np.random.default_rng(1)
        base = rng.integers(0, 255, (720, 1280, 3), np.uint8)
        for index in range(frames):
            image = np.roll(base, index * 4, axis=1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def read_opencv(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while True:
        ok, _frame = capture.read()
        if not ok:
            break
        count += 1
    capture.release()
    return count


def read_pyav(path: Path) -> int:
    count = 0
    with av.open(str(path)) as container:
        container.streams.video[0].thread_type = "AUTO"
        for frame in container.decode(video=0):
            frame.to_ndarray(format="bgr24")
            count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print(f"OpenCV {cv2.__version__}, PyAV {av.__version__} (FFmpeg {av.ffmpeg_version_info})")
    opencv_mb = folder_mb("cv2", "opencv_python_headless.libs")
    print(f"installed size (MB): opencv-python-headless {opencv_mb:.0f}, "
          f"av {folder_mb('av', 'av.libs'):.0f}")  # fmt: skip
    print(f"import time (median of 5, s): cv2 {import_s('cv2'):.3f}, av {import_s('av'):.3f}")

    bgr = np.random.default_rng(2).integers(0, 255, (720, 1280, 3), np.uint8)
    big = np.random.default_rng(3).integers(0, 255, (1080, 1920, 3), np.uint8)
    repeat = args.frames
    rows = [
        ("BGR -> yuv420p 720p",
         lambda: cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420),
         lambda: av.VideoFrame.from_ndarray(bgr, format="bgr24").reformat(format="yuv420p")),
        ("resize 1080p -> 720p (BGR)",
         lambda: cv2.resize(big, (1280, 720), interpolation=cv2.INTER_AREA),
         lambda: av.VideoFrame.from_ndarray(big, format="bgr24")
         .reformat(width=1280, height=720, format="bgr24").to_ndarray()),
    ]  # fmt: skip
    print(f"CPU per frame (ms), {repeat} frames:      OpenCV    PyAV")
    for name, with_cv, with_av in rows:
        print(f"  {name:<30} {cpu_ms(with_cv, repeat):8.3f} {cpu_ms(with_av, repeat):7.3f}")

    region = bgr[400:700, 40:640].copy()
    overlay = np.random.default_rng(4).integers(0, 255, region.shape, np.uint8)
    inverse = np.random.default_rng(5).integers(0, 255, region.shape, np.uint8)
    scratch = np.empty_like(region)

    def blend_cv() -> None:
        cv2.multiply(region, inverse, dst=scratch, scale=1 / 255)
        cv2.add(scratch, overlay, dst=region)

    def blend_numpy() -> None:
        mixed = (region.astype(np.uint16) * inverse + 127) // 255 + overlay
        np.minimum(mixed, 255, out=mixed)
        region[:] = mixed

    print(f"  {'blend a 600x300 overlay':<30} {cpu_ms(blend_cv, repeat):8.3f} "
          f"{cpu_ms(blend_numpy, repeat):7.3f} (NumPy: PyAV has none)")  # fmt: skip

    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "camera.mp4"
        make_clip(clip, args.frames)
        for name, reader in (("OpenCV VideoCapture", read_opencv), ("PyAV decode", read_pyav)):
            start = time.process_time()
            count = reader(clip)
            spent = (time.process_time() - start) * 1000 / max(count, 1)
            print(f"  read a 720p H.264 file as a camera, {name:<20} {spent:6.3f} ms/frame")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
