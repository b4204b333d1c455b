"""CPU per output frame: ``anchordesk live`` against the ffmpeg CLI doing the same job.

Both push the same picture size, frame rate, encoder settings and audio to a local nginx-rtmp
while recording a local Matroska copy:

- (a) ``anchordesk live`` with the test pattern (moving, burnt-in clock and frame number), the
  test tone and three overlays (two static banners and a countdown re-rendered every second);
- (b) ``ffmpeg -re`` with lavfi testsrc2 and sine, a drawtext clock and three drawtext boxes,
  libx264 veryfast/zerolatency CBR, keyframe every 2 s, no B-frames, AAC 128 kbps, through the
  tee muxer to the same server and a local file.

CPU is user+system time of the whole process tree (the network child included), read from the
kernel's accounting of reaped children. Printed: CPU seconds per output frame for each, their
ratio (anchordesk / ffmpeg; target <= 1.00) and dropped frames, and for anchordesk where its CPU
went: the network child processes, and the start-up (estimated from ``/proc`` samples: CPU at
the first stats line less the steady per-frame rate times the media time by then). Usage:

    .venv/bin/python benchmarks/pipeline.py [--seconds 60] [--sizes 1280x720,1920x1080]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from servers import NginxRtmp, video_frame_times_s  # noqa: E402

FPS = 30


@dataclass
class Result:
    label: str
    cpu_s: float
    wall_s: float
    frames: int
    dropped: int
    note: str = ""

    @property
    def cpu_ms_per_frame(self) -> float:
        return self.cpu_s * 1000 / max(self.frames, 1)


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured_run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    before = children_cpu_s()
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
    wall_s = time.monotonic() - started
    cpu_s = children_cpu_s() - before
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({result.returncode}): {result.stderr[-1500:]}")
    return cpu_s, wall_s, result.stderr


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float | None:
    """user+system CPU of one live process from /proc (None once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def child_pids(pid: int) -> list[int]:
    """Children of every thread of ``pid`` (the network child is started by its own thread)."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError, ValueError):
            found += [int(child) for child in children.read_text().split()]
    return found


@dataclass
class Breakdown:
    """Where anchordesk's CPU went, from /proc samples taken every 0.1 s during the run."""

    network_child_cpu_s: float = 0.0
    startup_cpu_s: float | None = None


def sampled_run(
    command: list[str], env: dict[str, str], stats: Path
) -> tuple[float, float, Breakdown]:
    """measured_run, plus /proc samples of the process and its children for the breakdown."""
    before = children_cpu_s()
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    children: dict[int, float] = {}
    # (process CPU, media time) at the first and the latest stats line.
    first: tuple[float, float] | None = None
    latest: tuple[float, float] | None = None
    lines_seen = 0
    while process.poll() is None:
        time.sleep(0.1)
        main_cpu_s = process_cpu_s(process.pid)
        for pid in child_pids(process.pid):
            cpu_s = process_cpu_s(pid)
            if cpu_s is not None:
                children[pid] = cpu_s
        if main_cpu_s is None or not stats.exists():
            continue
        lines = [line for line in stats.read_text().splitlines() if line.strip()]
        if len(lines) > lines_seen:
            lines_seen = len(lines)
            try:
                media_s = float(json.loads(lines[-1])["media_time_s"])
            except (ValueError, KeyError):
                continue
            total_s = main_cpu_s + sum(children.values())
            first = first or (total_s, media_s)
            latest = (total_s, media_s)
    _, stderr = process.communicate()
    wall_s = time.monotonic() - started
    cpu_s = children_cpu_s() - before
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {stderr[-1500:]}")
    breakdown = Breakdown(network_child_cpu_s=sum(children.values()))
    if first is not None and latest is not None and latest[1] > first[1]:
        steady_cpu_per_media_s = (latest[0] - first[0]) / (latest[1] - first[1])
        breakdown.startup_cpu_s = first[0] - steady_cpu_per_media_s * first[1]
    return cpu_s, wall_s, breakdown


# The child side of (a): the real `anchordesk live` command with three overlays added.
CHILD = r"""
import sys
from anchordesk.cli import build_parser, live_options_from_args
from anchordesk.media.banner import TextBanner
from anchordesk.cli import commands as app
import logging

class Countdown(TextBanner):
    def layers(self, now_s, canvas_size):
        left_s = max(0, 600 - int(now_s))
        self.set_text(f"Flash deal ends in {left_s // 60:02d}:{left_s % 60:02d}  限时秒杀")
        return super().layers(now_s, canvas_size)

logging.basicConfig(level=logging.WARNING)
args = build_parser().parse_args(sys.argv[1:])
overlays = [
    TextBanner("AnchorDesk benchmark · 新品首发 · 本日限定", name="title", z=1),
    TextBanner("Silk scarf ¥199 — 库存 120 件", name="card", z=2, vertical_position=0.55),
    Countdown("", name="countdown", z=3, vertical_position=1.0),
]
raise SystemExit(app.run_live(live_options_from_args(args), extra_overlays=overlays))
"""


def run_anchordesk(server: NginxRtmp, folder: Path, size: str, seconds: float, kbps: int) -> Result:
    record = folder / f"anchordesk-{size}.mkv"
    stats = folder / f"anchordesk-{size}.jsonl"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    command = [
        sys.executable,
        "-c",
        CHILD,
        "live",
        "--to",
        server.url(f"anchordesk-{size}"),
        "--record",
        str(record),
        "--camera",
        "test",
        "--mic",
        "test",
        "--canvas",
        size,
        "--fps",
        str(FPS),
        "--video-kbps",
        str(kbps),
        "--seconds",
        str(seconds),
        "--stats",
        str(stats),
    ]
    cpu_s, wall_s, breakdown = sampled_run(command, env, stats)
    samples = [json.loads(line) for line in stats.read_text().splitlines() if line.strip()]
    last = samples[-1]
    dropped = sum(
        last[f"dropped_frames_{stage}_total"]
        for stage in ("capture", "render", "encode", "network")
    )
    frames = len(video_frame_times_s(record))
    encode_ms = [s["encode_ms_per_frame"] for s in samples if s["encode_ms_per_frame"]]
    note = f"encode {sum(encode_ms) / max(len(encode_ms), 1):.1f} ms/frame"
    note += (
        f"\n{'':18s}of which: network child {breakdown.network_child_cpu_s:.2f} s CPU "
        f"({breakdown.network_child_cpu_s * 1000 / max(frames, 1):.2f} ms/frame)"
    )
    if breakdown.startup_cpu_s is not None:
        note += (
            f", start-up ~{breakdown.startup_cpu_s:.2f} s CPU "
            f"({breakdown.startup_cpu_s * 1000 / max(frames, 1):.2f} ms/frame)"
        )
    return Result("anchordesk live", cpu_s, wall_s, frames, dropped, note)


def font_file() -> str:
    fc_match = shutil.which("fc-match")
    if fc_match:
        found = subprocess.run(
            [fc_match, "-f", "%{file}", "Noto Sans CJK SC"], capture_output=True, text=True
        ).stdout.strip()
        if found:
            return found
    return "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def run_ffmpeg(server: NginxRtmp, folder: Path, size: str, seconds: float, kbps: int) -> Result:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("ffmpeg is not installed (Debian package ffmpeg)")
    width, height = (int(side) for side in size.split("x"))
    record = folder / f"ffmpeg-{size}.mkv"
    font = font_file().replace(":", r"\:")
    scale = height / 720
    box = f"box=1:boxcolor=black@0.66:boxborderw={round(16 * scale)}:fontcolor=white"
    text_size = round(36 * scale)
    margin = round(29 * scale)
    filters = ",".join(
        [
            # The burnt-in clock and frame number, as on anchordesk's test pattern.
            f"drawtext=fontfile='{font}':text='%{{pts\\:hms}}  frame %{{n}}':x={margin}:"
            f"y=h-{round(110 * scale)}:fontsize={text_size}:{box}",
            f"drawtext=fontfile='{font}':text='AnchorDesk benchmark 新品首发 本日限定':"
            f"x={margin}:y={margin}:fontsize={text_size}:{box}",
            f"drawtext=fontfile='{font}':text='Silk scarf 199 库存 120 件':x={margin}:"
            f"y=h*0.55:fontsize={text_size}:{box}",
            f"drawtext=fontfile='{font}':text='Flash deal ends in %{{eif\\:(600-t)/60\\:d\\:2}}\\:"
            f"%{{eif\\:mod(600-t\\,60)\\:d\\:2}}':x={margin}:y=h-th-{margin * 3}:"
            f"fontsize={text_size}:{box}",
        ]
    )
    command = [
        ffmpeg,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-stats",
        "-re",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={width}x{height}:rate={FPS}",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-filter_complex",
        f"[0:v]{filters},format=yuv420p[v]",
        "-map",
        "[v]",
        "-map",
        "1:a",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "zerolatency",
        "-b:v",
        f"{kbps}k",
        "-maxrate",
        f"{kbps}k",
        "-bufsize",
        f"{kbps}k",
        "-g",
        str(2 * FPS),
        "-bf",
        "0",
        "-x264-params",
        f"keyint={2 * FPS}:min-keyint={2 * FPS}:scenecut=0:nal-hrd=cbr",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-ar",
        "48000",
        "-ac",
        "2",
        "-t",
        str(seconds),
        "-flags",
        "+global_header",
        "-f",
        "tee",
        f"[f=flv:onfail=ignore]{server.url(f'ffmpeg-{size}')}|[f=matroska]{record}",
    ]
    cpu_s, wall_s, stderr = measured_run(command)
    dropped = 0
    for token in stderr.replace("\r", "\n").split():
        if token.startswith("drop="):
            dropped = int(token[5:] or 0)
    frames = len(video_frame_times_s(record))
    return Result("ffmpeg CLI", cpu_s, wall_s, frames, dropped)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sizes", default="1280x720,1920x1080")
    parser.add_argument("--video-kbps", type=int, default=2500)
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} CPU cores; {args.seconds:.0f} s per run at {FPS} fps, "
        f"{args.video_kbps} kbps, pushing to a local nginx-rtmp and recording"
    )
    with tempfile.TemporaryDirectory(prefix="anchordesk-bench-") as temp:
        folder = Path(temp)
        with NginxRtmp(folder / "nginx") as server:
            for size in args.sizes.split(","):
                ours = run_anchordesk(server, folder, size, args.seconds, args.video_kbps)
                theirs = run_ffmpeg(server, folder, size, args.seconds, args.video_kbps)
                print(f"\n{size} @ {FPS} fps")
                for result in (ours, theirs):
                    print(
                        f"  {result.label:16s} {result.cpu_ms_per_frame:6.2f} ms CPU/frame  "
                        f"({result.cpu_s:6.1f} s CPU, {result.frames} frames, "
                        f"{result.wall_s:5.1f} s wall, {result.dropped} dropped)"
                        + (f"  {result.note}" if result.note else "")
                    )
                ratio = ours.cpu_ms_per_frame / max(theirs.cpu_ms_per_frame, 1e-9)
                print(f"  ratio anchordesk/ffmpeg: {ratio:.2f} (target <= 1.00)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
