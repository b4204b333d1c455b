"""The remote-control API against a real ``anchordesk live --control`` (640x360, 30 fps, a
still camera, a recording): two figures the issue asks for.

1. Command -> picture: the wall time of each ``show_product`` call is mapped to the media clock
   through the stats file (each line pairs ``wall_time_unix_s`` with ``media_time_s``); the
   recording is decoded and the first frame showing the new card (its product picture's flat
   colour) after that instant gives the latency. Products alternate, 20 commands.
2. Bad requests: ``--rate`` requests a second for ``--seconds`` (malformed JSON, unknown
   commands, wrong types, oversized bodies, with the right token: the most work the guard lets
   through), and the stream's dropped frames and fps during the flood, from the stats file.

The flooding client runs on the same machine and takes CPU from the show: the figures are an
upper bound of the harm.

    .venv/bin/python benchmarks/control_api.py [--rate 1000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

import aiohttp
from control_show import (
    CREAM_BGR,
    SERUM_BGR,
    TOKEN,
    colour_fraction,
    recorded_frames,
    running_show,
)

HEADERS = {"Authorization": f"Bearer {TOKEN}"}
BAD_BODIES = [
    b'{"command": ',
    b'{"command": "launch_rocket"}',
    b'{"command": "goto_segment", "index": "two"}',
    b'{"command": "show_product", "sku": "NOPE"}',
    b"[1, 2, 3]",
    b"x" * 20_000,
]


def _stats(path: Path) -> list[dict[str, float]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _media_time(stats: list[dict[str, float]], wall: float) -> float:
    """The media clock at a wall instant, between the two samples around it."""
    pairs = [(s["wall_time_unix_s"], s["media_time_s"]) for s in stats]
    for (w0, m0), (w1, m1) in itertools.pairwise(pairs):
        if w0 <= wall <= w1:
            return m0 + (wall - w0) * (m1 - m0) / (w1 - w0)
    raise ValueError("the instant is outside the stats")


async def _commands(url: str, count: int) -> list[tuple[float, str]]:
    sent: list[tuple[float, str]] = []
    async with aiohttp.ClientSession(headers=HEADERS) as session:
        for number in range(count):
            sku = "SERUM-30" if number % 2 == 0 else "CREAM-50"
            at = time.time()
            async with session.post(
                f"{url}/api/v1/commands", json={"command": "show_product", "sku": sku}
            ) as response:
                assert response.status == 200, await response.text()
            sent.append((at, sku))
            await asyncio.sleep(1.0)
    return sent


async def _flood(url: str, rate: int, seconds: float) -> dict[int, int]:
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(headers=HEADERS, connector=connector) as session:

        async def one(body: bytes) -> None:
            try:
                async with session.post(f"{url}/api/v1/commands", data=body) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1
            except aiohttp.ClientError:
                statuses[0] = statuses.get(0, 0) + 1

        start = time.monotonic()
        tasks: set[asyncio.Task[None]] = set()
        sent = 0
        while (elapsed := time.monotonic() - start) < seconds:
            due = int(elapsed * rate)
            while sent < due:
                task = asyncio.ensure_future(one(BAD_BODIES[sent % len(BAD_BODIES)]))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                sent += 1
            await asyncio.sleep(0.002)
        await asyncio.gather(*tasks)
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--commands", type=int, default=20)
    parser.add_argument("--fps", type=int, default=30)
    args = parser.parse_args()
    from PySide6.QtGui import QGuiApplication

    QGuiApplication([])  # the helpers draw the show's pictures with QImage
    with (
        tempfile.TemporaryDirectory() as folder,
        running_show(Path(folder) / "run", fps=args.fps) as show,
    ):
        time.sleep(2.0)  # the picture settles (first stats sample)
        sent = asyncio.run(_commands(show.url, args.commands))
        time.sleep(2.0)
        flood_start = time.time()
        statuses = asyncio.run(_flood(show.url, args.rate, args.seconds))
        flood_end = time.time()
        time.sleep(2.0)
        show.stop()
        stats = _stats(show.stats)
        frames = recorded_frames(show.recording)

    colours = {"SERUM-30": SERUM_BGR, "CREAM-50": CREAM_BGR}
    latencies_ms: list[float] = []
    for at, sku in sent:
        media_s = _media_time(stats, at)
        first = next(
            (
                t
                for t, frame in frames
                if t >= media_s and colour_fraction(frame, colours[sku]) > 0.01
            ),
            None,
        )
        if first is not None:
            latencies_ms.append((first - media_s) * 1000)
    print(
        f"command -> first frame with the new card ({len(latencies_ms)} commands, {args.fps} fps):"
    )
    print(
        f"  median {statistics.median(latencies_ms):.0f} ms, "
        f"min {min(latencies_ms):.0f} ms, max {max(latencies_ms):.0f} ms"
    )

    during = [s for s in stats if flood_start <= s["wall_time_unix_s"] <= flood_end + 1.0]
    before = [s for s in stats if s["wall_time_unix_s"] < flood_start]

    def dropped(sample: dict[str, float]) -> float:
        return sum(
            sample.get(f"dropped_frames_{stage}_total", 0) or 0
            for stage in ("capture", "render", "encode", "network")
        )

    total = sum(statuses.values())
    span_s = flood_end - flood_start
    answers = dict(sorted(statuses.items()))
    print(f"flood: {total} bad requests in {span_s:.1f} s ({total / span_s:.0f}/s); {answers}")
    print(
        f"  dropped frames during the flood: {dropped(during[-1]) - dropped(before[-1]):.0f}; "
        f"fps during: min {min(s['output_fps'] for s in during):.1f}, "
        f"mean {statistics.mean(s['output_fps'] for s in during):.1f}; "
        f"program CPU during: mean {statistics.mean(s['process_cpu_percent'] for s in during):.0f}%"
    )


if __name__ == "__main__":
    main()
