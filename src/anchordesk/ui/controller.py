"""The one place where the window talks to the engine.

``Controller`` owns the live session (pipeline, sources, outputs), the show runtime (the
overlay source that burns the show into the picture), the session store and the feeds. The
window calls its command methods and listens to its signals; it never touches the engine.

Threads: the Qt thread only ever does quick work here. Anything that can take time (opening
the camera and the encoder, stopping outputs, pre-flight network checks, writing reports) runs
on ``executor`` and posts its result back with a queued signal. Engine state reaches the window
by polling immutable snapshots on timers (show 10 Hz, health 1 Hz, feeds 5 Hz), so a burst of
500 comments a second becomes five list updates a second, not five hundred.

Signals:
- ``show_changed(ShowState)``: the run sheet, products, deal and pinned comment;
- ``health_changed(HealthState)``: stream health and the microphone level (1 Hz);
- ``sales_changed(SalesState)``; ``comments_arrived(list[CommentRow])``;
  ``orders_arrived(list[OrderRow])``;
- ``live_changed(bool)``; ``session_started()``; ``message(str)`` (one line for the status
  bar); ``rehearsal_finished(RehearsalReport)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QLocale, QObject, QTimer, Signal

from anchordesk.core import paths
from anchordesk.core.redact import mask_secrets, mask_url
from anchordesk.live.options import FeedSpec, LiveOptions
from anchordesk.live.settings import Settings, destination_url, save_settings
from anchordesk.media.controls import AudioControl, OutputSwitch
from anchordesk.show.events import SegmentStarted, ShowEvent
from anchordesk.show.feed_items import Comment, Order
from anchordesk.show.model import Show
from anchordesk.show.state import DealStatus, ShowCommandError
from anchordesk.ui.golive import PreflightFacts
from anchordesk.ui.preview import FrameSource
from anchordesk.ui.rehearsal import SegmentClock, SegmentTiming, segment_timings, timings_html
from anchordesk.ui.state import (
    CommentRow,
    DealPlan,
    DealRow,
    HealthState,
    OrderRow,
    OutputRow,
    ProductRow,
    SalesState,
    SegmentRow,
    ShowState,
)

log = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class RehearsalReport:
    timings: tuple[SegmentTiming, ...]
    session_lines: tuple[str, ...]  # the session report's totals, one line each
    files: tuple[Path, ...] = ()


@dataclass
class _SessionParts:
    """What one running session consists of (all created on a worker thread)."""

    session: Any  # anchordesk.live.session.LiveSession
    audio: AudioControl | None
    network: OutputSwitch
    recording: OutputSwitch
    writer: Any = None  # anchordesk.store.StoreWriter
    store_path: Path | None = None
    audience: Any = None  # anchordesk.feeds.audience.AudienceServer
    hub: Any = None  # anchordesk.feeds.hub.FeedHub
    feed_stop: asyncio.Event | None = None
    feed_task: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def sample_show_path(language: str | None = None) -> Path | None:
    """The sample show in the user's language (zh for any Chinese locale), else English."""
    language = language or QLocale.system().name()
    folder = "zh" if language.lower().startswith("zh") else "en"
    for candidate in (folder, "en", "zh"):
        path = paths.resources_dir() / "shows" / candidate / "show.json"
        if path.is_file():
            return path
    return None


def comment_row(comment: Comment, at_s: float | None = None) -> CommentRow:
    return CommentRow(
        key=f"{comment.source}:{comment.id}",
        author=comment.author,
        text=comment.text,
        at_s=time.time() if at_s is None else at_s,
        is_question=comment.is_question,
        flagged=comment.flagged,
        hits=comment.flagged_terms,
        source=comment.source,
        comment_id=comment.id,
    )


class Controller(QObject):
    show_changed = Signal(object)
    health_changed = Signal(object)
    sales_changed = Signal(object)
    comments_arrived = Signal(list)
    orders_arrived = Signal(list)
    live_changed = Signal(bool)
    session_started = Signal()
    message = Signal(str)
    rehearsal_finished = Signal(object)
    _started = Signal(object, object)  # (parts | None, error text | None), from the worker
    _worker_message = Signal(str)
    _live_failed = Signal(int, str)  # (go-live generation, one line without the key)

    SHOW_POLL_MS = 100
    HEALTH_POLL_MS = 1000
    FEED_FLUSH_MS = 200

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        options: LiveOptions | None = None,
        executor: Executor | None = None,
        feeds: Sequence[FeedSpec] | None = None,
        audience_rate_per_s: float = 2.0,
        save: Callable[[Settings], object] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.settings = settings if settings is not None else Settings()
        self._options_override = options
        self.executor: Executor = executor or ThreadPoolExecutor(4, "anchordesk-ui-worker")
        self._feeds_override = feeds
        self._audience_rate = audience_rate_per_s
        self._save = save if save is not None else save_settings
        self._monotonic = monotonic
        self.show_path: Path | None = None
        self.runtime: Any = None  # anchordesk.live.runtime.ShowRuntime
        self.show_state = ShowState()
        self.health = HealthState()
        self.sales = SalesState()
        self.is_live = False
        self.recording_wanted = self.settings.record
        self.studio_mode = False
        self.staged_sku: str | None = None
        self._parts: _SessionParts | None = None
        self._starting = False
        self._shutting_down = False
        self._segment_clock = SegmentClock()
        self._show_events: deque[ShowEvent] = deque()
        self._incoming_comments: deque[Comment] = deque()
        self._incoming_orders: deque[Order] = deque()
        self._order_times: deque[float] = deque()
        self._units_by_sku: dict[str, int] = {}
        self._gmv = Decimal(0)
        self._orders = 0
        self._matcher: Any = None
        self._compliance_hits: tuple[str, ...] = ()
        self._last_preview: Frame | None = None
        self._preview_number = 0
        self._staged_cache: tuple[object, Frame] | None = None
        self._comment_total = 0
        self._pinned_key: str | None = None
        self._previous_stopping: Future[None] | None = None

        # Attach and detach of the network output, one at a time and in order.
        self._stream_worker = ThreadPoolExecutor(1, "anchordesk-stream")
        self._live_lock = threading.Lock()
        self._live_generation = 0
        self._started.connect(self._on_started)
        self._live_failed.connect(self._on_live_failed)
        self._worker_message.connect(self.message)
        self.comments_arrived.connect(self._count_comments)
        self._show_timer = QTimer(self)
        self._show_timer.setInterval(self.SHOW_POLL_MS)
        self._show_timer.timeout.connect(self.poll_show)
        self._health_timer = QTimer(self)
        self._health_timer.setInterval(self.HEALTH_POLL_MS)
        self._health_timer.timeout.connect(self.poll_health)
        self._feed_timer = QTimer(self)
        self._feed_timer.setInterval(self.FEED_FLUSH_MS)
        self._feed_timer.timeout.connect(self.flush_feeds)

    # -- starting and stopping -------------------------------------------------------------------

    def start(self, show_path: Path | None = None) -> None:
        """Open the show and start the session (in a worker); returns at once."""
        from anchordesk.showfile.files import load_show

        path = show_path or sample_show_path()
        show: Show | None = None
        if path is not None:
            try:
                show = load_show(path)
            except Exception as error:  # a bad show file: one line, and the sample instead
                self.message.emit(self.tr("Cannot open the show: %1").replace("%1", str(error)))
                fallback = sample_show_path()
                if fallback is not None and fallback != path:
                    show, path = load_show(fallback), fallback
        if show is None:
            self.message.emit(self.tr("No show to open: the sample show is missing."))
            return
        self.start_with_show(show, path)

    def start_with_show(self, show: Show, path: Path | None = None) -> None:
        from anchordesk.live.runtime import ShowRuntime
        from anchordesk.show.compliance import check_show, matcher_for

        if self._starting:
            return
        self.show_path = path
        if path is not None:
            self.settings.add_recent_show(path)
        self.runtime = ShowRuntime(show, 0.0)
        self.runtime.add_listener(self._show_events.append)
        self._matcher = matcher_for(show.banned_words)
        self._compliance_hits = tuple(str(hit) for hit in check_show(show))
        self._segment_clock = SegmentClock()
        self._units_by_sku.clear()
        self._gmv, self._orders = Decimal(0), 0
        self._order_times.clear()
        self.poll_show()
        self._starting = True
        runtime = self.runtime
        options = self._live_options()
        feeds = self._feed_specs()

        previous, self._previous_stopping = self._previous_stopping, None

        def work() -> None:
            if previous is not None:
                with contextlib.suppress(Exception):
                    previous.result(10.0)
            try:
                parts = self._build_session(options, runtime, feeds)
            except Exception as error:
                log.exception("the session did not start")
                self._started.emit(None, str(error))
            else:
                self._started.emit(parts, None)

        self.executor.submit(work)

    def _live_options(self) -> LiveOptions:
        if self._options_override is not None:
            return replace(self._options_override, destinations=[], record=False)
        from anchordesk.live.settings import live_options

        return replace(live_options(self.settings, []), record=False)

    def _feed_specs(self) -> list[FeedSpec]:
        if self._feeds_override is not None:
            return list(self._feeds_override)
        specs = [FeedSpec(f.kind, f.url) for f in self.settings.feeds if f.enabled]
        # Rehearsal: with no platform feed the simulated audience plays the viewers.
        if not any(spec.kind != "rehearsal" for spec in specs) and not specs:
            specs = [FeedSpec("rehearsal", "")]
        return specs

    def _build_session(
        self, options: LiveOptions, runtime: Any, feeds: list[FeedSpec]
    ) -> _SessionParts:
        """On a worker: open sources, encoder and outputs (the slow part)."""
        from anchordesk.live.session import LiveSession, build_audio_source, build_video_source

        # Loaded now, before the picture runs: importing the network output's modules at the
        # press of "go live" held the GIL for ~150 ms, and the pipeline dropped 4-5 frames (a
        # hitch in the recording) at the very moment the show went on air.
        importlib.import_module("anchordesk.media.network_output")

        video = build_video_source(options)
        audio_source = build_audio_source(options)
        audio = AudioControl(audio_source) if audio_source is not None else None
        network = OutputSwitch("network", "network")
        recording = OutputSwitch("recording", "recording")
        runtime.preload_images()
        session = LiveSession(
            options,
            overlays=[runtime],
            outputs=[recording, network],
            video_source=video,
            audio_source=audio,
        )
        session.start()
        parts = _SessionParts(session, audio, network, recording)
        if self.recording_wanted:
            self._attach_recording(parts)
        self._prepare_feeds(parts, feeds, runtime)
        return parts

    def _attach_recording(self, parts: _SessionParts) -> None:
        from anchordesk.live.session import default_recording_path
        from anchordesk.media.recording import RecordingOutput

        folder = self.settings.recordings_dir
        path = default_recording_path()
        if folder:
            path = Path(folder).expanduser() / path.name
        parts.recording.attach(RecordingOutput(path))
        self._worker_message.emit(self.tr("Recording to %1").replace("%1", str(path)))

    def _prepare_feeds(self, parts: _SessionParts, feeds: list[FeedSpec], runtime: Any) -> None:
        if not feeds:
            return
        from anchordesk.feeds.audience import AudienceServer, AudienceSimulator, AudienceView
        from anchordesk.store import StoreWriter

        stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
        parts.store_path = paths.user_data_dir() / f"session_{stamp}.sqlite"
        parts.writer = StoreWriter(parts.store_path)
        resolved: list[FeedSpec] = []
        for spec in feeds:
            if spec.kind == "rehearsal" and not spec.url:
                # The audience follows the show as the operator runs it, not the rundown's clock.
                def view(_show_s: float) -> AudienceView:
                    state = runtime.snapshot().state
                    deal = state.live_deal(state.on_screen_sku)
                    return AudienceView(state.segment_index, deal is not None)

                simulator = AudienceSimulator(
                    runtime.show, rate_per_s=self._audience_rate, view=view
                )
                parts.audience = AudienceServer(simulator).start()
                spec = FeedSpec("rehearsal", parts.audience.url)
            resolved.append(spec)
        parts.extra["feeds"] = resolved

    def _on_started(self, parts: _SessionParts | None, error: str | None) -> None:
        self._starting = False
        if parts is None:
            self.message.emit(self.tr("The picture could not start: %1").replace("%1", error or ""))
            return
        if self._shutting_down:
            self.executor.submit(self._stop_parts, parts)
            return
        self._parts = parts
        self._start_feeds(parts)
        self._show_timer.start()
        self._health_timer.start()
        self._feed_timer.start()
        self.session_started.emit()
        self.live_changed.emit(False)

    def _start_feeds(self, parts: _SessionParts) -> None:
        feeds = parts.extra.get("feeds")
        if not feeds or parts.writer is None:
            return
        from anchordesk.feeds.hub import FeedHub

        runtime = self.runtime
        hub = FeedHub(
            feeds,
            parts.writer,
            on_comments=self._incoming_comments.extend,
            on_orders=self._incoming_orders.extend,
            flag_terms=lambda text: [hit.term for hit in self._matcher.find_hits(text)],
            show=runtime.show,
        )
        hub.record_show(runtime.show)
        runtime.add_listener(hub.record_show_event, from_start=True)  # the picture began
        parts.hub = hub
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            loop = None
        if loop is None or not loop.is_running():
            # No asyncio loop on the Qt thread (a test without qasync): feeds stay off.
            self.message.emit(self.tr("Feeds are off: no event loop."))
            return
        parts.feed_stop = asyncio.Event()
        parts.feed_task = loop.create_task(hub.run(parts.feed_stop))

    def shutdown(self, timeout_s: float = 8.0) -> None:
        """Stop everything; bounded. Called when the window closes."""
        if self._shutting_down:
            return
        self._shutting_down = True
        for timer in (self._show_timer, self._health_timer, self._feed_timer):
            timer.stop()
        with self._live_lock:
            self._live_generation += 1  # a go-live still queued must not attach any more
        self._stream_worker.shutdown(wait=False, cancel_futures=True)
        parts, self._parts = self._parts, None
        if parts is not None:
            if parts.feed_stop is not None:
                parts.feed_stop.set()
            done = self.executor.submit(self._stop_parts, parts)
            with contextlib.suppress(Exception):
                done.result(timeout_s)
        if isinstance(self.executor, ThreadPoolExecutor):
            self.executor.shutdown(wait=False, cancel_futures=True)

    def _stop_parts(self, parts: _SessionParts) -> None:
        with contextlib.suppress(Exception):
            parts.session.stop(4.0)
        if parts.audience is not None:
            with contextlib.suppress(Exception):
                parts.audience.stop()
        if parts.writer is not None:
            with contextlib.suppress(Exception):
                parts.writer.close(4.0)

    # -- reading ---------------------------------------------------------------------------------

    def frame_source(self) -> FrameSource:
        def newest() -> tuple[int, Frame] | None:
            parts = self._parts
            pipeline = parts.session.pipeline if parts is not None else None
            if pipeline is None:
                return None
            frame = pipeline.request_preview()
            if frame is None:
                return None
            if frame is not self._last_preview:
                self._last_preview = frame
                self._preview_number += 1
            return self._preview_number, frame

        return newest

    def latest_frame(self) -> Frame | None:
        return self._last_preview

    def staged_frame_source(self) -> FrameSource:
        """The program picture with the staged product's card (studio mode)."""
        from anchordesk.live.runtime import scene_from_snapshot
        from anchordesk.media.overlays.scene import render_scene_image

        def staged() -> tuple[int, Frame] | None:
            runtime = self.runtime
            base = self._last_preview
            if runtime is None or base is None:
                return None
            snapshot = runtime.snapshot()
            state = snapshot.state
            if self.staged_sku is not None:
                state = replace(state, on_screen_sku=self.staged_sku, on_screen_by_operator=True)
            key = (id(base), self.staged_sku, state.stock_by_sku.get(self.staged_sku or ""))
            if self._staged_cache is not None and self._staged_cache[0] == key:
                return hash(key), self._staged_cache[1]
            height, width = base.shape[:2]
            scene = scene_from_snapshot(replace(snapshot, state=state))
            image = render_scene_image(scene, (width, height), snapshot.now_s)
            overlay = np.frombuffer(image.constBits(), np.uint8).reshape(height, width, 4)
            alpha = overlay[:, :, 3:4].astype(np.float32) / 255.0
            composed = (base.astype(np.float32) * (1 - alpha) + overlay[:, :, :3]).astype(np.uint8)
            self._staged_cache = (key, composed)
            return hash(key), composed

        return staged

    def preflight_facts(self) -> PreflightFacts:
        health = self.health
        parts = self._parts
        running = parts is not None and health.running
        video_name = parts.session.video_source.name if parts is not None else ""
        audio_name = parts.audio.name if parts is not None and parts.audio is not None else ""
        return PreflightFacts(
            camera_ok=running and health.camera_ok,
            camera_detail=video_name,
            microphone_ok=running and health.microphone_ok and bool(audio_name),
            microphone_detail=audio_name or self.tr("none"),
            encoder_ok=running and health.fps > 0,
            encoder_detail=self.tr("%1 fps").replace("%1", f"{health.fps:.0f}"),
            compliance_hits=self._compliance_hits,
        )

    def stream_key_present(self, destination_id: str) -> bool:
        from anchordesk.core.secrets import get_secret, stream_key_name

        return bool(get_secret(stream_key_name(destination_id)))

    # -- polling ---------------------------------------------------------------------------------

    def poll_show(self) -> None:
        runtime = self.runtime
        if runtime is None:
            return
        now = self._monotonic()
        while self._show_events:
            event = self._show_events.popleft()
            if isinstance(event, SegmentStarted):
                self._segment_clock.enter(event.index, now)
        snapshot = runtime.snapshot()
        if not self._segment_clock.started:
            self._segment_clock.enter(snapshot.state.segment_index, now)
        self.show_state = self._show_state(snapshot, now)
        self.show_changed.emit(self.show_state)

    def _show_state(self, snapshot: Any, now_monotonic: float) -> ShowState:
        state = snapshot.state
        show: Show = state.show
        now_s = snapshot.now_s
        plans: dict[str, DealPlan] = {}
        for segment in show.rundown:
            if segment.sku and segment.deal and segment.sku not in plans:
                product = show.product(segment.sku)
                stock = segment.deal.stock or (product.stock if product else 1)
                plans[segment.sku] = DealPlan(segment.deal.price, segment.deal.seconds, stock)
        actual = segment_timings(
            [(s.title, float(s.seconds)) for s in show.rundown],
            self._segment_clock.changes(),
            now_monotonic,
        )
        visited = {index for index, _ in self._segment_clock.changes()}
        segments = tuple(
            SegmentRow(
                index=i,
                title=segment.title,
                planned_s=float(segment.seconds),
                elapsed_s=(
                    state.segment_elapsed_s(now_s)
                    if i == state.segment_index
                    else actual[i].actual_s
                ),
                sku=segment.sku,
                script=segment.script,
                deal=None
                if segment.deal is None
                else DealPlan(segment.deal.price, segment.deal.seconds, segment.deal.stock or 0),
                is_current=i == state.segment_index,
                is_done=i in visited and i != state.segment_index,
            )
            for i, segment in enumerate(show.rundown)
        )
        products = tuple(
            ProductRow(
                sku=p.sku,
                title=p.title,
                price=p.price,
                stock_left=state.stock_left(p.sku) or 0,
                units_sold=max(0, p.stock - (state.stock_left(p.sku) or 0)),
                image_path=show.image_path(p),
                deal=plans.get(p.sku),
            )
            for p in show.products
        )
        deal_row: DealRow | None = None
        deal = state.latest_deal(state.on_screen_sku)
        if deal is not None:
            product_stock = state.stock_left(deal.sku) or 0
            deal_row = DealRow(
                sku=deal.sku,
                state=str(deal.status),
                price=deal.price,
                seconds_left=deal.remaining_s(now_s),
                seconds_total=float(deal.seconds),
                stock_left=deal.stock_left if deal.stock_left is not None else product_stock,
                stock_total=deal.stock if deal.stock is not None else product_stock,
            )
        pinned = None
        if snapshot.pinned is not None:
            pinned = CommentRow(
                key="pinned",
                author=snapshot.pinned.author,
                text=snapshot.pinned.text,
                at_s=snapshot.pinned.pinned_at_s,
            )
        return ShowState(
            title=show.title,
            currency=show.currency,
            language=show.language,
            segments=segments,
            current_index=state.segment_index,
            products=products,
            on_screen_sku=state.on_screen_sku,
            deal=deal_row,
            pinned=pinned,
        )

    def poll_health(self) -> None:
        parts = self._parts
        if parts is None or parts.session.stats is None:
            return
        sample: dict[str, Any] = parts.session.stats.sample()
        outputs = []
        for output in sample.get("outputs", []):
            if output["kind"] == "network" and output["state"] == "stopped" and not self.is_live:
                continue  # the idle switch: rehearsal, nothing is pushed
            outputs.append(
                OutputRow(
                    name=output["name"],
                    kind=output["kind"],
                    state=output["state"],
                    attempt=output.get("reconnect_attempt") or 0,
                    next_retry_in_s=output.get("next_retry_in_s"),
                    bytes_written=output.get("bytes_written") or 0,
                    bitrate_kbps=output.get("bitrate_kbps") or 0.0,
                    last_error=output.get("last_error"),
                )
            )
        camera = sample.get("camera") or {}
        microphone = sample.get("microphone")
        self.health = HealthState(
            running=bool(parts.session.pipeline and parts.session.pipeline.counters().running),
            fps=float(sample.get("output_fps") or 0.0),
            video_kbps=float(sample.get("video_bitrate_kbps") or 0.0),
            cpu_percent=float(sample.get("process_cpu_percent") or 0.0),
            recording_bytes=int(sample.get("recording_bytes") or 0),
            dropped_by_stage={
                stage: int(sample.get(f"dropped_frames_{stage}_total") or 0)
                for stage in ("capture", "render", "encode", "network")
            },
            outputs=tuple(outputs),
            audio_level_dbfs=parts.audio.take_peak_dbfs() if parts.audio is not None else None,
            camera_ok=camera.get("state") in ("active", "starting"),
            microphone_ok=microphone is not None and microphone.get("state") == "active",
        )
        self.health_changed.emit(self.health)

    def flush_feeds(self) -> None:
        comments: list[Comment] = []
        while self._incoming_comments:
            comments.append(self._incoming_comments.popleft())
        if comments:
            now = time.time()
            self.comments_arrived.emit([comment_row(c, now) for c in comments])
        orders: list[Order] = []
        while self._incoming_orders:
            orders.append(self._incoming_orders.popleft())
        if orders:
            self._apply_orders(orders)
        self._update_sales()

    def add_comments(self, comments: Sequence[Comment]) -> None:
        """Comments as the feeds deliver them (any thread); shown at the next flush."""
        self._incoming_comments.extend(comments)

    def add_orders(self, orders: Sequence[Order]) -> None:
        self._incoming_orders.extend(orders)

    def _apply_orders(self, orders: list[Order]) -> None:
        runtime = self.runtime
        now = time.time()
        rows: list[OrderRow] = []
        for order in orders:
            self._orders += 1
            self._order_times.append(self._monotonic())
            self._gmv += order.total_price
            for line in order.lines:
                if runtime is not None:
                    with contextlib.suppress(Exception):
                        runtime.apply_order(line.sku, line.quantity)
                self._units_by_sku[line.sku] = self._units_by_sku.get(line.sku, 0) + line.quantity
                product = runtime.show.product(line.sku) if runtime is not None else None
                rows.append(
                    OrderRow(
                        key=f"{order.source}:{order.id}:{line.sku}",
                        sku=line.sku,
                        title=line.title or (product.title if product else line.sku),
                        quantity=line.quantity,
                        amount=line.amount,
                        currency=order.currency,
                        at_s=now,
                    )
                )
        self.orders_arrived.emit(rows)

    def _update_sales(self) -> None:
        now = self._monotonic()
        while self._order_times and now - self._order_times[0] > 60:
            self._order_times.popleft()
        show = self.runtime.show if self.runtime is not None else None
        titles = {p.sku: p.title for p in show.products} if show is not None else {}
        sales = SalesState(
            gmv=self._gmv,
            currency=show.currency if show is not None else "",
            orders=self._orders,
            orders_per_minute=float(len(self._order_times)),
            units_by_product=tuple(
                (titles.get(sku, sku), units) for sku, units in self._units_by_sku.items()
            ),
        )
        if sales != self.sales:
            self.sales = sales
            self.sales_changed.emit(sales)

    # -- show commands (quick: a lock and a pure function) ---------------------------------------

    def _command(self, command: Callable[[], object]) -> None:
        if self.runtime is None:
            return
        try:
            command()
        except ShowCommandError as error:
            self.message.emit(str(error))
        self.poll_show()

    def next_segment(self) -> None:
        self._command(lambda: self.runtime.next_segment())

    def previous_segment(self) -> None:
        self._command(lambda: self.runtime.previous_segment())

    def jump_to_segment(self, index: int) -> None:
        self._command(lambda: self.runtime.jump_to_segment(index))

    def show_product(self, sku: str | None) -> None:
        self._command(lambda: self.runtime.show_product(sku))

    def show_product_number(self, number: int) -> None:
        products = self.show_state.products
        if 1 <= number <= len(products):
            sku = products[number - 1].sku
            if self.studio_mode:
                self.stage_product(sku)
            else:
                self.show_product(sku)

    def start_deal(self, sku: str, price: str, seconds: int, stock: int) -> None:
        try:
            amount = Decimal(price)
        except InvalidOperation:
            self.message.emit(self.tr("The deal price is not a number."))
            return
        self._command(
            lambda: self.runtime.start_deal(sku=sku, price=amount, seconds=seconds, stock=stock)
        )

    def stop_deal(self) -> None:
        sku = self.show_state.deal.sku if self.show_state.deal else None
        self._command(lambda: self.runtime.stop_deal(sku=sku))

    def toggle_deal(self) -> None:
        deal = self.show_state.deal
        if deal is not None and deal.state == DealStatus.LIVE:
            self.stop_deal()
            return
        sku = self.show_state.on_screen_sku
        product = self.show_state.product(sku)
        if product is None or sku is None:
            return
        plan = product.deal
        if plan is not None:
            self.start_deal(sku, str(plan.price), plan.seconds, plan.stock)
        else:
            self.start_deal(sku, str(product.price * Decimal("0.8")), 120, product.stock_left)

    def pin_comment(self, row: CommentRow) -> None:
        self._pinned_key = row.key
        self._command(lambda: self.runtime.pin_comment(row.author, row.text))

    def unpin_comment(self) -> None:
        self._command(lambda: self.runtime.unpin_comment())

    def hide_comment(self, row: CommentRow) -> None:
        """A hidden comment leaves the list and the picture; the session keeps the comment and
        a ``comment_hidden`` show event naming it, so the report counts it and the hide is on
        record (who said what, and when the operator took it down)."""
        if row.key == self._pinned_key and self.show_state.pinned is not None:
            self.unpin_comment()
        parts = self._parts
        if parts is None or parts.writer is None:
            return
        from anchordesk.store.report import COMMENT_HIDDEN
        from anchordesk.store.session import ShowEventRecord

        source, _, comment_id = row.key.partition(":")
        record = ShowEventRecord(
            # One event per comment: hiding it twice (or a replay) stores it once.
            id=f"hidden:{row.key}",
            kind=COMMENT_HIDDEN,
            at=time.time(),
            data={
                "source": row.source or source,
                "comment_id": row.comment_id or comment_id,
                "author": row.author,
                "text": row.text,
            },
        )
        parts.writer.submit_show_events([record])

    def set_studio_mode(self, on: bool) -> None:
        self.studio_mode = on
        self.staged_sku = self.show_state.on_screen_sku if on else None

    def stage_product(self, sku: str | None) -> None:
        self.staged_sku = sku
        self._staged_cache = None

    def take(self) -> None:
        if self.studio_mode:
            self.show_product(self.staged_sku)

    # -- stream commands -------------------------------------------------------------------------

    def go_live(self, destination_id: str, record: bool) -> None:
        """Start pushing to ``destination_id``; returns at once.

        The stream key is read from the keyring and the output attached on the stream worker
        (the keyring may wait on D-Bus or an unlock prompt). The window shows "live" from now
        on, so the operator's next press of the go-live key asks before it stops anything.
        """
        parts = self._parts
        destination = self.settings.destination(destination_id)
        if parts is None or destination is None or self.is_live:
            return
        self.settings.active_destination_id = destination_id
        if record != self.recording_wanted:
            self.set_recording(record)
        self.is_live = True
        self._live_generation += 1
        generation = self._live_generation
        self.live_changed.emit(True)
        self.message.emit(self.tr("Going live on %1…").replace("%1", destination.name))

        def attach() -> None:
            from anchordesk.core.secrets import get_secret, stream_key_name
            from anchordesk.media.network_output import NetworkOutput

            key = get_secret(stream_key_name(destination_id)) or ""
            url = destination_url(destination, key)
            try:
                output = NetworkOutput(url)
                with self._live_lock:
                    if generation != self._live_generation:
                        return  # stopped before the output existed
                    parts.network.attach(output)
            except Exception as error:
                text = mask_secrets(str(error), [key]) if key else str(error)
                self._live_failed.emit(generation, text)
                return
            log.info("going live to %s", mask_url(url))
            self._worker_message.emit(self.tr("Live on %1").replace("%1", destination.name))

        self._stream_worker.submit(attach)
        self.executor.submit(self._save, self.settings)

    def _on_live_failed(self, generation: int, error: str) -> None:
        if generation != self._live_generation or not self.is_live:
            return
        self.is_live = False
        self.live_changed.emit(False)
        self.message.emit(self.tr("Could not go live: %1").replace("%1", error))

    def stop_live(self) -> None:
        parts = self._parts
        if parts is None or not self.is_live:
            return
        self.is_live = False
        with self._live_lock:
            self._live_generation += 1
        # The same single worker as the attach: a stop never overtakes the start it ends.
        self._stream_worker.submit(parts.network.detach, 5.0)
        self.live_changed.emit(False)
        self.message.emit(self.tr("The stream has stopped; rehearsal goes on."))

    def reconnect_now(self) -> None:
        parts = self._parts
        if parts is not None:
            parts.network.reconnect_now()

    def set_recording(self, on: bool) -> None:
        if self.is_live and not on:
            return  # never stop a live show's recording by accident
        self.recording_wanted = on
        self.settings.record = on
        parts = self._parts
        if parts is None:
            return
        if on and parts.recording.attached is None:
            self.executor.submit(self._attach_recording, parts)
        elif not on and parts.recording.attached is not None:
            self.executor.submit(parts.recording.detach, 5.0)

    def set_muted(self, muted: bool) -> None:
        parts = self._parts
        if parts is not None and parts.audio is not None:
            parts.audio.muted = muted

    def set_gain_db(self, gain_db: float) -> None:
        parts = self._parts
        if parts is not None and parts.audio is not None:
            parts.audio.set_gain_db(gain_db)

    # -- settings, language, shows ---------------------------------------------------------------

    def reload_settings(self) -> None:
        """Take the saved settings; a changed camera, microphone, encoder or feed restarts the
        rehearsal's picture on the same show (settings cannot change while live)."""
        from anchordesk.live.settings import load_settings

        before = (self._live_options(), self._feed_specs())
        self.settings = load_settings()
        if self.is_live or self._starting or self._parts is None:
            return
        if (self._live_options(), self._feed_specs()) != before and self.runtime is not None:
            self.message.emit(self.tr("Settings changed: the picture restarts."))
            self._restart(lambda: self.start_with_show(self.runtime.show, self.show_path))

    def set_language(self, code: str) -> None:
        from PySide6.QtWidgets import QApplication

        from anchordesk.ui import i18n

        self.settings.language = code
        app = QApplication.instance()
        if app is not None:
            i18n.install(app, code)
        self.executor.submit(self._save, self.settings)

    def open_show(self, path: Path) -> None:
        if self.is_live:
            return
        self._restart(lambda: self.start(path))

    def _restart(self, start: Callable[[], None]) -> None:
        parts, self._parts = self._parts, None
        for timer in (self._show_timer, self._health_timer, self._feed_timer):
            timer.stop()
        if parts is not None:
            if parts.feed_stop is not None:
                parts.feed_stop.set()
            # The new session waits for this one to let go of the camera and microphone.
            self._previous_stopping = self.executor.submit(self._stop_parts, parts)
        start()

    def end_rehearsal(self) -> None:
        """The rehearsal report: each segment's actual time against its plan."""
        runtime = self.runtime
        if runtime is None:
            return
        now = self._monotonic()
        self._segment_clock.end(now)
        show: Show = runtime.show
        timings = tuple(
            segment_timings(
                [(s.title, float(s.seconds)) for s in show.rundown],
                self._segment_clock.changes(),
                self._segment_clock.ended_at_s(now),
            )
        )
        lines = (
            self.tr("Comments: %1").replace("%1", str(self.comment_count())),
            self.tr("Orders: %1").replace("%1", str(self._orders)),
            self.tr("GMV: %1 %2").replace("%1", str(self._gmv)).replace("%2", show.currency),
        )
        parts = self._parts
        folder = paths.user_data_dir()
        stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
        page = folder / f"rehearsal_{stamp}.html"
        files = [page]
        if parts is not None and parts.store_path is not None:
            files.append(parts.store_path)
        headers = (self.tr("Segment"), self.tr("Plan"), self.tr("Actual"), self.tr("Difference"))
        html_text = timings_html(show.title, timings, headers)
        report = RehearsalReport(timings, lines, tuple(files))

        def write() -> None:
            try:
                page.write_text(html_text, encoding="utf-8")
            except OSError as error:
                self._worker_message.emit(str(error))

        self.executor.submit(write)
        self.rehearsal_finished.emit(report)

    def comment_count(self) -> int:
        return self._comment_total

    def _count_comments(self, rows: list[CommentRow]) -> None:
        self._comment_total += len(rows)
