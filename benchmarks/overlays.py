"""What the show's overlays cost: re-rendering each one, and blending them onto a frame.

Targets (issue 3): re-rendering an overlay < 5 ms; compositing four overlays onto a 720p or a
1080p frame < 1 ms. Rendering happens only when content changes (the countdown once a second,
the card when stock moves); compositing happens every frame.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/overlays.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from decimal import Decimal

import numpy as np

from anchordesk.media.compositor import Compositor
from anchordesk.media.overlays import (
    CardView,
    CountdownView,
    LowerThirdView,
    OverlayScene,
    PinnedCommentView,
    SceneOverlaySource,
    Theme,
    TickerView,
    ensure_gui_application,
)
from anchordesk.media.sources.base import VideoFrameRef

CANVASES = {"720p": (1280, 720), "1080p": (1920, 1080), "720x1280": (720, 1280)}


def timed_ms(action: Callable[[int], object], repeats: int) -> tuple[float, float]:
    """Median and 95th percentile of one call, in ms."""
    action(0)  # warm-up: fonts, glyph caches
    samples = []
    for index in range(1, repeats + 1):
        started = time.perf_counter()
        action(index)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def base_scene(index: int) -> OverlayScene:
    return OverlayScene(
        language="zh_CN",
        theme=Theme(),
        card=CardView(
            title="水润精华液 Hydra Serum 30 ml 保湿补水",
            price=Decimal("199"),
            currency="CNY",
            deal_price=Decimal("129"),
            stock_left=500 - index,
            sku="SERUM-30",
        ),
        countdown=CountdownView(float(600 - index), 600.0),
        lower_third=LowerThirdView(f"第二段：精华液 {index}", "秋季护肤夜"),
        ticker=TickerView(f"满199减30 · 今晚9点抽奖 · 第{index}条公告"),
        pinned=PinnedCommentView("小红", f"这个适合油皮吗？想要两瓶 {index}"),
    )


def render_costs(canvas: tuple[int, int], repeats: int) -> dict[str, tuple[float, float]]:
    results = {}
    for name in ("card", "countdown", "lower_third", "pinned", "ticker"):
        current = [base_scene(0)]
        source = SceneOverlaySource(lambda _now_s, current=current: current[0])

        def render(
            index: int,
            name: str = name,
            source: SceneOverlaySource = source,
            current: list[OverlayScene] = current,
        ) -> None:
            scene = base_scene(0)
            # Change only this overlay's content, so only it renders again.
            changed = {**scene.__dict__, name: getattr(base_scene(index), name)}
            current[0] = OverlayScene(**changed)
            source.layers(0.0, canvas)

        results[name] = timed_ms(render, repeats)
    return results


def composite_costs(canvas: tuple[int, int], repeats: int) -> dict[str, tuple[float, float]]:
    width, height = canvas
    compositor = Compositor(width, height)
    camera = np.random.default_rng(1).integers(0, 255, (height, width, 3), np.uint8)
    frame = VideoFrameRef(camera, source_id=1, sequence=1)
    scene = base_scene(0)
    four = OverlayScene(**{**scene.__dict__, "ticker": None})  # card, countdown, lower 3rd, pinned
    static_layers = SceneOverlaySource(lambda _s: four).layers(0.0, canvas)
    assert len(static_layers) == 4
    moving = SceneOverlaySource(lambda _s: scene)
    fps = 30

    results = {
        "camera only (baseline)": timed_ms(lambda _i: compositor.compose(frame, ()), repeats),
        "camera + 4 overlays": timed_ms(
            lambda _i: compositor.compose(frame, static_layers), repeats
        ),
        "camera + 4 overlays + scrolling ticker": timed_ms(
            lambda index: compositor.compose(frame, moving.layers(index / fps, canvas)), repeats
        ),
    }
    return results


def main() -> None:
    ensure_gui_application()
    repeats = 60
    print("Overlay costs (median / p95, ms). Targets: render < 5 ms, 4 overlays composited < 1 ms")
    for label, canvas in CANVASES.items():
        print(f"\n{label} {canvas[0]}x{canvas[1]}: re-render one overlay")
        for name, (median, p95) in render_costs(canvas, repeats).items():
            verdict = "ok" if median < 5 else "OVER"
            print(f"  {name:<12} {median:6.2f} / {p95:6.2f}   {verdict}")
        print(f"{label}: composite per frame (Compositor, region-only blend)")
        costs = composite_costs(canvas, repeats * 5)
        baseline = costs["camera only (baseline)"][0]
        for name, (median, p95) in costs.items():
            extra = median - baseline
            note = "" if name.startswith("camera only") else f"  overlays add {extra:5.2f} ms"
            verdict = "" if name.startswith("camera only") else ("  ok" if extra < 1 else "  OVER")
            print(f"  {name:<40} {median:6.2f} / {p95:6.2f}{note}{verdict}")


if __name__ == "__main__":
    main()
