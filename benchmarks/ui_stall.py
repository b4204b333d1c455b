"""How smooth the control room stays while live with a busy chat (issue 5, point 12).

    .venv/bin/python benchmarks/ui_stall.py [--seconds 30] [--rate 500] [--canvas 1280x720]

The real window (offscreen) on the English sample show: test pattern and test tone at 720p30,
2500 kbps, live to a local nginx-rtmp started here, the rehearsal audience as a local HTTP feed
sending ``--rate`` comments a second through the real feed hub and session store. The Qt main
thread runs a 2 ms heartbeat timer; a stall is how late a beat came. Printed: stall p50 / p99 /
max, the preview's frame rate, comments shown, pipeline fps, frames dropped by stage inside the
measured window (and since start-up apart: going live mid-GOP and the go-live moment are not the
chat's doing), the pipeline's late ticks, tick time and wake-up lateness, and the load average.
Target: p99 < 16 ms and no dropped frame.

The audience (the load generator) runs in a child process by default, as a platform's chat
server is not in our process; ``--audience thread`` puts it back inside the app (rehearsal's own
arrangement at a few comments a second): its JSON work then competes for the GIL.

``--studio`` runs the same with studio mode on (issue 13, point 3): the staged preview beside
the program, the next segment staged, another product staged every two seconds; compare the
process CPU (printed as a share of one core) and the dropped frames with a run without it.

``--watchdog-ms N`` also names the culprits: a watchdog thread looks at the Qt thread's Python
stack (``sys._current_frames``) whenever no beat came for N ms, and the most frequent stacks
of those long beats are printed (where the Qt thread was while it was late).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--rate", type=float, default=500.0, help="comments per second")
    parser.add_argument("--canvas", default="1280x720")
    parser.add_argument("--watchdog-ms", type=float, default=0.0, help="sample stalls > N ms")
    parser.add_argument("--studio", action="store_true", help="studio mode on while measured")
    parser.add_argument(
        "--audience",
        choices=("process", "thread"),
        default="process",
        help="where the simulated audience's HTTP server runs: its own process (as a platform's "
        "server is: not ours) or a thread of the app (rehearsal's default at a few comments/s)",
    )
    parser.add_argument("--serve-audience", metavar="SHOW", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_audience:
        return serve_audience(Path(args.serve_audience), args.rate)

    # The user's real config and data stay untouched.
    scratch = Path(tempfile.mkdtemp(prefix="anchordesk-ui-stall-"))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_VIDEOS_DIR"):
        os.environ[name] = str(scratch / name.lower())

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from tests.integration.servers import NginxRtmp

    from anchordesk.core.secrets import set_secret, stream_key_name
    from anchordesk.live.settings import (
        Destination,
        DeviceSettings,
        EncoderSettings,
        FeedSettings,
        Settings,
    )
    from anchordesk.ui.controller import sample_show_path
    from anchordesk.ui.main_window import MainWindow, run_control_room

    load_before = os.getloadavg()
    nginx = NginxRtmp(scratch / "nginx")
    nginx.start()
    show_path = sample_show_path("en")
    audience: subprocess.Popen[str] | None = None
    feeds: list[FeedSettings] = []
    controller_options: dict[str, object] = {"audience_rate_per_s": args.rate}
    if args.audience == "process":
        # A platform's chat server is not in our process: the load generator (the simulated
        # crowd and its JSON) runs in a child, and the app pulls it over HTTP as a real feed.
        audience = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve-audience",
                str(show_path),
                "--rate",
                str(args.rate),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert audience.stdout is not None
        feeds.append(FeedSettings("audience", "json", audience.stdout.readline().strip()))
        controller_options = {}
    drops = PipelineDrops()
    ticks = TickTimes()
    settings = Settings(
        language="en",
        record=True,
        devices=DeviceSettings(camera="test", microphone="test"),
        encoder=EncoderSettings(canvas=args.canvas, fps=30, video_kbps=2500),
        destinations=[
            Destination("local", "Local nginx", "custom", f"rtmp://127.0.0.1:{nginx.port}/live")
        ],
        feeds=feeds,
    )
    set_secret(stream_key_name("local"), "bench")
    beats: list[float] = []
    results: dict[str, float] = {}
    watchdog = StallWatchdog(args.watchdog_ms / 1000) if args.watchdog_ms > 0 else None

    def ready(window: MainWindow) -> None:
        controller = window.controller
        window.resize(1366, 768)
        controller.go_live("local", True)
        heart = QTimer(window)
        heart.setInterval(2)

        def beat() -> None:
            now = time.perf_counter()
            beats.append(now)
            if watchdog is not None:
                watchdog.last_beat = now

        heart.timeout.connect(beat)
        start: dict[str, float] = {}

        def dropped_by_stage() -> dict[str, int]:
            controller.poll_health()  # a fresh sample, not the last second's
            return dict(controller.health.dropped_by_stage)

        def frames_encoded() -> int:
            session = controller.live.media if controller.live else None
            pipeline = session.pipeline if session else None
            return pipeline.counters().frames_encoded if pipeline else 0

        staging = QTimer(window)
        staging.setInterval(2000)
        staged_number = [1]

        def stage_another() -> None:
            staged_number[0] = staged_number[0] % len(controller.show_state.products) + 1
            controller.show_product_number(staged_number[0])  # stages, in studio mode

        staging.timeout.connect(stage_another)

        def begin() -> None:
            if args.studio:
                window.studio_action.setChecked(True)
                controller.next_segment()  # its card and deal are staged, not on air
                staging.start()
            session = controller.live.media if controller.live else None
            if session is not None and session.pipeline is not None:
                ticks.watch(session.pipeline)
            beats.clear()
            drops.begin()
            start["encoded"] = frames_encoded()
            start.update({f"dropped_{k}": v for k, v in dropped_by_stage().items()})
            start["frames"] = window.program.frames_shown
            start["comments"] = controller.comment_count()
            start["at"] = time.perf_counter()
            start["cpu"] = time.process_time()
            heart.start()
            if watchdog is not None:
                watchdog.start()

        def finish() -> None:
            heart.stop()
            if watchdog is not None:
                watchdog.stop()
            elapsed = time.perf_counter() - start["at"]
            results["cpu_percent"] = (time.process_time() - start["cpu"]) / elapsed * 100
            staging.stop()
            results["staged_fps"] = window.staged.shown_fps() if args.studio else 0.0
            results["preview_fps"] = (window.program.frames_shown - start["frames"]) / elapsed
            results["comments_per_s"] = (controller.comment_count() - start["comments"]) / elapsed
            health = controller.health
            results["pipeline_fps"] = (frames_encoded() - start["encoded"]) / elapsed
            for stage, total in dropped_by_stage().items():
                results[f"dropped_{stage}"] = total - start[f"dropped_{stage}"]
                results[f"dropped_since_start_{stage}"] = total
            drops.end()
            ticks.stop()
            network = health.network
            results["network_live"] = 1.0 if network and network.state == "live" else 0.0
            controller.stop_live()
            QApplication.closeAllWindows()

        QTimer.singleShot(int(args.warmup * 1000), begin)
        QTimer.singleShot(int((args.warmup + args.seconds) * 1000), finish)

    try:
        run_control_room(
            show_path, settings=settings, language="en", on_ready=ready,
            controller_options=controller_options,
        )  # fmt: skip
    finally:
        nginx.stop()
        if audience is not None:
            audience.terminate()
            audience.wait(5)
    load_after = os.getloadavg()
    stalls_ms = [max(0.0, (b - a) * 1000 - 2.0) for a, b in itertools.pairwise(beats)]
    print(f"canvas {args.canvas} at 30 fps, live to local nginx-rtmp, {args.rate:.0f} comments/s "
          f"from an audience in a {args.audience}, studio mode "
          f"{'on' if args.studio else 'off'}")  # fmt: skip
    print("load average before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
        *load_before, *load_after))  # fmt: skip
    print(f"measured {args.seconds:.0f} s after {args.warmup:.0f} s warm-up, {len(beats)} beats")
    p50, p99 = percentile(stalls_ms, 0.50), percentile(stalls_ms, 0.99)
    longest = max(stalls_ms, default=0.0)
    print(f"Qt main thread stall: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {longest:.1f} ms")
    print("  (target p99 < 16 ms)")
    live = "yes" if results.get("network_live") else "no"
    print(
        f"preview: {results.get('preview_fps', 0):.1f} fps"
        + (f", staged preview {results.get('staged_fps', 0):.1f} fps" if args.studio else "")
    )
    print(f"process CPU: {results.get('cpu_percent', 0):.0f} % of one core "
          f"({os.cpu_count()} cores)")  # fmt: skip
    print(f"comments shown: {results.get('comments_per_s', 0):.0f}/s")
    stages = ("capture", "render", "encode", "network")
    dropped = {stage: int(results.get(f"dropped_{stage}", 0)) for stage in stages}
    by_stage = ", ".join(f"{stage} {count}" for stage, count in dropped.items())
    print(f"pipeline: {results.get('pipeline_fps', 0):.1f} fps, dropped frames "
          f"{sum(dropped.values())} ({by_stage}); network live: {live}")  # fmt: skip
    since_start = ", ".join(
        f"{stage} {int(results.get(f'dropped_since_start_{stage}', 0))}" for stage in stages
    )
    print(f"  since start-up (warm-up and going live included): {since_start}")
    drops.report()
    ticks.report()
    if watchdog is not None:
        watchdog.report()
    return 0


def serve_audience(show_path: Path, rate_per_s: float) -> int:
    """The child of ``--audience process``: the simulated crowd over HTTP, URL on stdout."""
    import signal

    from anchordesk.feeds.audience import AudienceServer, AudienceSimulator
    from anchordesk.showfile.files import load_show

    show = load_show(show_path)
    server = AudienceServer(AudienceSimulator(show, rate_per_s=rate_per_s)).start()
    print(server.url, flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    server.stop()
    return 0


class TickTimes:
    """How long each pipeline tick took and how late it woke (its wait for the GIL and the CPU
    included), by wrapping the running pipeline's tick and its clock's sleep."""

    def __init__(self) -> None:
        self.tick_ms: list[float] = []
        self.wake_late_ms: list[float] = []
        self._on = False

    def watch(self, pipeline: object) -> None:
        tick = pipeline._tick  # type: ignore[attr-defined]
        clock = pipeline._clock  # type: ignore[attr-defined]
        sleep_until = clock.sleep_until

        def timed_tick(frame_index: int) -> object:
            started = time.perf_counter()
            result = tick(frame_index)
            if self._on:
                self.tick_ms.append((time.perf_counter() - started) * 1000)
            return result

        def timed_sleep(deadline_s: float, stop: threading.Event) -> bool:
            stopped = sleep_until(deadline_s, stop)
            if self._on:
                self.wake_late_ms.append(max(0.0, (clock.now_s() - deadline_s) * 1000))
            return stopped

        pipeline._tick = timed_tick  # type: ignore[attr-defined]
        clock.sleep_until = timed_sleep
        self._on = True

    def stop(self) -> None:
        self._on = False

    def report(self) -> None:
        for name, values in (("tick took", self.tick_ms), ("woke late", self.wake_late_ms)):
            if values:
                print(f"pipeline {name}: p50 {percentile(values, 0.5):.1f} ms, p99 "
                      f"{percentile(values, 0.99):.1f} ms, max {max(values):.1f} ms")  # fmt: skip


class PipelineDrops(logging.Handler):
    """Collects the pipeline's "late by" lines: when each drop came, how late the tick was and
    each stage's time in the tick before it; from start-up on, so the warm-up shows too."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.events: list[tuple[float, ...]] = []
        self.window = (0.0, 0.0)
        logger = logging.getLogger("anchordesk.media.pipeline")
        logger.addHandler(self)
        logger.setLevel(logging.DEBUG)

    def begin(self) -> None:
        self.window = (time.perf_counter(), float("inf"))

    def end(self) -> None:
        self.window = (self.window[0], time.perf_counter())

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("late by") and isinstance(record.args, tuple):
            values = tuple(float(value) for value in record.args)
            self.events.append((time.perf_counter(), *values))

    def report(self) -> None:
        start, end = self.window
        before = [e for e in self.events if e[0] < start]
        inside = [e for e in self.events if start <= e[0] <= end]
        print(f"pipeline late ticks: {len(before)} before the measured window (skipped "
              f"{sum(e[3] for e in before):.0f} frames), {len(inside)} inside it (skipped "
              f"{sum(e[3] for e in inside):.0f})")  # fmt: skip
        worst = sorted(self.events, key=lambda e: -e[1])[:8]
        if worst:
            print("  worst: at_s late_ms skipped | render_ms encode_ms send_ms (tick before)")
        for at, late_ms, _frame, skipped, *stages in worst:
            times = " ".join(f"{t:.1f}" for t in stages)
            print(f"  {at - start:+7.1f} s {late_ms:7.1f} ms {skipped:3.0f} | {times}")


class StallWatchdog:
    """Samples the Qt thread's Python stack while its heartbeat is late by ``threshold_s``."""

    def __init__(self, threshold_s: float, interval_s: float = 0.002) -> None:
        self.threshold_s = threshold_s
        self.interval_s = interval_s
        self.last_beat = time.perf_counter()
        self.main_id = threading.main_thread().ident
        self.stacks: Counter[str] = Counter()
        self.others: Counter[str] = Counter()  # threads busy in Python meanwhile (GIL holders)
        self.stalls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-watchdog", daemon=True)

    def start(self) -> None:
        self.last_beat = time.perf_counter()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        sampled_beat = 0.0
        while not self._stop.wait(self.interval_s):
            beat = self.last_beat
            if time.perf_counter() - beat < self.threshold_s or beat == sampled_beat:
                continue
            sampled_beat = beat  # one sample per stall: each long beat counts once
            frames = sys._current_frames()
            frame = frames.get(self.main_id or 0)
            if frame is None:
                continue
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, other in frames.items():
                if ident in (self.main_id, threading.get_ident()):
                    continue
                inner = traceback.extract_stack(other)[-1]
                if inner.name not in _IDLE:
                    where = f"{Path(inner.filename).name}:{inner.lineno} {inner.name}"
                    self.others[f"{names.get(ident, ident)}: {where}"] += 1
            self.stalls += 1
            entries = traceback.extract_stack(frame)
            own = [e for e in entries if "anchordesk" in e.filename or "qasync" in e.filename]
            lines = [f"{Path(e.filename).name}:{e.lineno} {e.name}" for e in (own or entries)[-6:]]
            self.stacks[" <- ".join(reversed(lines))] += 1

    def report(self) -> None:
        print(f"watchdog: {self.stalls} beats later than {self.threshold_s * 1000:.0f} ms; "
              "where the Qt thread was (innermost first):")  # fmt: skip
        for stack, count in self.stacks.most_common(12):
            print(f"  {count:4d}  {stack}")
        print("other threads busy in Python during those beats:")
        for where, count in self.others.most_common(12):
            print(f"  {count:4d}  {where}")


_IDLE = {"wait", "select", "sleep", "get", "_wait_for_tstate_lock", "accept", "poll", "read",
         "readinto", "recv", "recv_into", "readline", "_run", "_worker", "serve_forever", "join",
         "acquire", "_readerthread", "_communicate"}  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
