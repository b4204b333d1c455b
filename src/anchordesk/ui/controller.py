"""The window's adapter over ``live.LiveShow``: it sends commands and renders snapshots.

Everything the show does — sources, outputs, feeds, the store, the ledger, the session
lifecycle, every figure — lives in ``anchordesk.live``, the same code ``anchordesk live`` runs.
This class only turns the LiveShow's snapshots into the window's small vocabulary
(``ui/state.py``), polls them on timers (show 10 Hz, health 1 Hz, feeds 5 Hz) and turns a
refused command into one line for the status bar. It computes no business figure.

Threads: building the LiveShow (opening the camera and the encoder) runs through
``ui.workers.run_task`` (on ``executor``, the shared worker pool unless a test gives one); the
lifecycle steps that wait (ending a session, going live) are coroutines on the asyncio loop
that qasync runs on the Qt thread; nothing here blocks the Qt thread.

Signals:
- ``show_changed(ShowState)``: the run sheet, products, deals, pinned comment, session mode;
- ``health_changed(HealthState)``; ``sales_changed(SalesState)``;
- ``comments_arrived(list[CommentRow])``; ``comments_removed(list[str])`` (keys the show
  hid: the operator's, here or from the phone, or a platform's); ``orders_arrived(list[OrderRow])``;
- ``live_changed(bool)``; ``session_started()``; ``message(str)`` (one status-bar line);
- ``session_ended(SessionReport)``: a session's final report (End rehearsal, stream stopped);
- ``recording_changed(bool)``: Record changed other than by its action (the recording stopped
  early, or Settings switched it);
- ``recording_question(str, int)``: the first rehearsal asks whether to record (the folder and
  the bytes an hour takes); the window answers with ``answer_recording_question``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, QTimer, Signal

from anchordesk.core import logs
from anchordesk.core.errors import UserError
from anchordesk.core.money import format_frame_rate
from anchordesk.core.printable import escape_controls
from anchordesk.core.redact import mask_secrets
from anchordesk.core.words import Words
from anchordesk.live.factory import build_live_show_with_stand_ins
from anchordesk.live.options import FeedSpec, LiveOptions
from anchordesk.live.reports import SessionSummary, session_summary
from anchordesk.live.settings import Settings, save_settings, settings_path
from anchordesk.live.show import CommandRejected, LiveShow, LiveShowPlan, SessionNotOpened
from anchordesk.live.show_session import ShowSession
from anchordesk.live.snapshot import FeedView, LiveSnapshot, SessionMode
from anchordesk.media.disk_space import FreeSpaceGuard
from anchordesk.show.feed_items import Comment, Order
from anchordesk.show.model import Show
from anchordesk.showfile.samples import is_sample
from anchordesk.ui import file_dialogs, i18n, workers
from anchordesk.ui.golive import PreflightFacts
from anchordesk.ui.on_air_check import OnAirCheck, describe_show_hits
from anchordesk.ui.preview import FrameSource
from anchordesk.ui.snapshots import SnapshotReader, order_line_title
from anchordesk.ui.state import (
    CommentRow,
    HealthState,
    OrderRow,
    OutputRow,
    SalesState,
    ShowState,
)
from anchordesk.ui.words import (
    disk_error_text,
    fault_text,
    quoted_text,
    refusal_text,
    say,
    say_problems,
)

log = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]


RehearsalReport = SessionSummary  # the name the window's report dialog knows


def sample_show_path(language: str | None = None) -> Path | None:
    """The sample show in ``language``, by default the language the window speaks (so
    LANG=ja_JP, or Japanese chosen in the settings, opens the Japanese sample)."""
    from anchordesk.showfile.samples import sample_show_path as sample_in
    from anchordesk.ui.i18n import current_language

    return sample_in(language or current_language())


def comment_row(comment: Comment, at_s: float | None = None, simulated: bool = False) -> CommentRow:
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
        simulated=simulated,
    )


class Controller(QObject):
    show_changed = Signal(object)
    health_changed = Signal(object)
    sales_changed = Signal(object)
    comments_arrived = Signal(list)
    comments_removed = Signal(list)  # keys of comments the show hid (operator or platform)
    orders_arrived = Signal(list)
    live_changed = Signal(bool)
    recording_question = Signal(str, int)  # (recordings folder, bytes an hour)
    recording_changed = Signal(bool)  # Record changed other than by its action
    studio_mode_changed = Signal(bool)  # switched elsewhere: the remote, a script
    session_started = Signal()
    session_changed = Signal()  # a new session (rehearsal, live, rehearse again) has begun
    message = Signal(str)
    # A show file that cannot run, its problems, and whether the show editor can open it (False:
    # not JSON at all, a named pipe, a folder...).
    show_refused = Signal(Path, list, bool)
    # The show named at start-up cannot run: (file, its problems, whether the show editor can
    # open it); the sample runs instead.
    start_refused = Signal(Path, list, bool)
    rehearsal_finished = Signal(object)  # a RehearsalReport, when any session ends
    board_changed = Signal(object)  # the LiveSnapshot, when its board or prompts changed
    _built = Signal(object, object)  # (LiveShow | None, error text | None), from the worker
    _device_missing = Signal(str, str)  # ("camera" | "microphone", what the settings name)
    _worker_message = Signal(str)
    _report_ready = Signal(object)

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
        space_guard: Callable[[Path], FreeSpaceGuard] | None = None,
    ) -> None:
        super().__init__()
        self._space_guard = space_guard  # the recordings' free-space guard (tests inject one)
        self.settings = settings if settings is not None else Settings()
        self._options_override = options
        self._owns_executor = executor is None
        self.executor: Executor = executor or workers.executor()
        self._feeds_override = feeds
        self._audience_rate = audience_rate_per_s
        self._save = save if save is not None else save_settings
        self._monotonic = monotonic
        self.show_path: Path | None = None
        self._listed_session: object | None = None  # the session whose comments are listed
        self.live: LiveShow | None = None
        # The rows of each snapshot, made again only where it changed (ui/snapshots.py).
        self._reader = SnapshotReader()
        self.snapshot = LiveSnapshot()
        self.show_state = ShowState()
        self.health = HealthState()
        self.sales = SalesState()
        self.is_live = False
        self._board_seen: tuple[object, object] = (None, ())
        # Nothing is recorded before the operator has said so once (the first rehearsal asks).
        self.recording_wanted = self.settings.record and self.settings.record_asked
        self._recording_faults_said: set[str] = set()
        self._recording_to_say: Path | None = None  # the session's file, until it is written
        self._recording_awaited = False  # the session's file is still to be named
        # Why the last recording could not be written (kept after Record went off and the
        # failed recording left the health panel: the go-live check says it), until one writes.
        self._recording_fault: Words | None = None
        # The destination going live: "Live on …" is said once its server takes the stream (not
        # when the push starts: a refused key said "Live on" and stayed silent after it).
        self._going_live_to: str | None = None
        # The destination of the live session (set once its push started) and whether a spell of
        # failed attempts was said: its first fault is said once, and its end ("live again").
        self._live_on: str | None = None
        self._network_failing = False
        self._failing_feeds: set[str] = set()  # feeds said to be failing, until they answer
        self._feeds_stopped_said: set[str] = set()  # sessions whose feeds were said stopped
        self._store_faults_said: set[str] = set()  # session files said to be written no more
        # The session file said locked by another program (its path), until said written again.
        self._store_lock_said: str | None = None
        # The recordings folder said not to answer (a share whose server went away), once.
        self._recording_unanswered_said: Path | None = None
        self._log_fault_said = False
        self.studio_mode = False
        self._starting = False
        self._shutting_down = False
        self._previous_stopping: Future[None] | None = None
        # The show file being read for File → Open (set when its disk first answers).
        self._opening: threading.Event | None = None
        # The picture being built (start_with_show's worker); its LiveShow once built.
        self._building: Future[LiveShow | None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing: list[asyncio.Task[Any]] = []  # feed tasks still ending after shutdown
        self._compliance_show: Show | None = None
        self._compliance_lines: tuple[str, ...] = ()
        self._compliance_lines_of: Show | None = None
        # Set by the window: asks before a flagged product or comment goes on air.
        self.on_air_check: OnAirCheck | None = None
        self._last_preview: Frame | None = None
        self._preview_number = 0
        self._staged_number = 0
        self._staged_last: tuple[Frame, Frame] | None = None
        self._built.connect(self._on_built)
        self._device_missing.connect(self._on_device_missing)
        # The devices of the settings that could not be opened, by kind: the picture runs on a
        # stand-in (the test pattern, the test tone) and the go-live check says why.
        self.devices_missing: dict[str, str] = {}
        # Those of the start under way: the last start's replace devices_missing when it opens,
        # so a device chosen since, or plugged back in, is no longer blamed (R25hunt25ui F1).
        self._missing_this_start: dict[str, str] = {}
        self._worker_message.connect(self.message)
        self._report_ready.connect(self.rehearsal_finished)
        self._show_timer = QTimer(self)
        self._show_timer.setInterval(self.SHOW_POLL_MS)
        self._show_timer.timeout.connect(self.poll_show)
        self._health_timer = QTimer(self)
        self._health_timer.setInterval(self.HEALTH_POLL_MS)
        self._health_timer.timeout.connect(self.poll_health)
        self._feed_timer = QTimer(self)
        self._feed_timer.setInterval(self.FEED_FLUSH_MS)
        self._feed_timer.timeout.connect(self.flush_feeds)

    # -- compatibility views for the window --------------------------------------------------

    @property
    def runtime(self) -> Any:
        return self.live.runtime if self.live is not None else None

    @property
    def staged_sku(self) -> str | None:
        return self.live.staged_sku if self.live is not None else None

    @property
    def mode(self) -> SessionMode:
        return self.live.mode if self.live is not None else SessionMode.ENDED

    # -- starting and stopping -------------------------------------------------------------------

    def start(self, show_path: Path | None = None) -> None:
        """Open the show and start the picture and a rehearsal (in a worker); returns at once."""
        from anchordesk.showfile.files import ShowError, load_show

        path = show_path or sample_show_path()
        show: Show | None = None
        if path is not None:
            try:
                show = load_show(path)
            except Exception as error:  # a bad show file: one line, and the sample instead
                said = say(error.words) if isinstance(error, ShowError) else str(error)
                self.message.emit(self.tr("Cannot open the show: %1").replace("%1", said))
                fallback = sample_show_path()
                if fallback is not None and fallback != path:
                    show, path = load_show(fallback), fallback
        if show is None:
            self.message.emit(self.tr("No show to open: the sample show is missing."))
            return
        self.start_with_show(show, path)

    def start_with_show(self, show: Show, path: Path | None = None) -> None:
        if self._starting or self._shutting_down:
            return  # closed before its first show started (a SIGTERM at start-up): nothing to do
        self.show_path = path
        if path is not None and not is_sample(path):
            # Kept for the next run, as the editor's opens are: File → Recent had a show opened
            # here for this run only (nothing saved it), and listed the built-in sample too.
            self.settings.add_recent_show(path)
            self._save_settings()
        self._compliance_show = show
        self._starting = True
        self._missing_this_start = {}
        options = self._live_options()
        plan = LiveShowPlan(
            show=show,
            show_path=path,
            platform_feeds=self._platform_feeds(),
            rehearsal_feeds=self._rehearsal_feeds(),
            audience_rate_per_s=self._audience_rate,
            recordings_dir=self._recordings_dir() if self.recording_wanted else None,
            prompts_off=tuple(self.settings.prompts_off),
        )
        if self._space_guard is not None:
            plan.space_guard = self._space_guard
        previous, self._previous_stopping = self._previous_stopping, None

        def work() -> LiveShow | None:
            if previous is not None:
                try:
                    previous.result(10.0)
                except Exception:
                    log.exception("the previous show did not stop cleanly")
            try:
                live = build_live_show_with_stand_ins(
                    options,
                    plan,
                    lambda error: self._device_missing.emit(
                        error.device, escape_controls(error.spec)
                    ),
                )
                live.preload_images()  # here, not when the session starts on the Qt thread
                live.media.start()
            except UserError as error:  # a device of the settings gone: the user's, one line
                log.warning("the picture did not start: %s", escape_controls(str(error)))
                self._built.emit(None, escape_controls(str(error)))
                return None
            except Exception as error:
                log.exception("the picture did not start")
                self._built.emit(None, str(error))
                return None
            self._built.emit(live, None)
            return live

        self._building = workers.run_task(work, pool=self.executor)

    def _on_device_missing(self, device: str, spec: str) -> None:
        self._missing_this_start[device] = spec
        if self.devices_missing.get(device) == spec:
            return  # said at an earlier start (another show opened): the go-live check keeps it
        self.devices_missing[device] = spec
        if device == "camera":
            text = self.tr(
                "The camera %1 chosen in Settings cannot be opened: the picture shows the test "
                "pattern. Choose another camera in Settings → Devices."
            )
        else:
            text = self.tr(
                "The microphone %1 chosen in Settings cannot be opened: the show has the test "
                "tone. Choose another microphone in Settings → Devices."
            )
        self.message.emit(text.replace("%1", spec))

    def _live_options(self) -> LiveOptions:
        if self._options_override is not None:
            return replace(self._options_override, destinations=[], record=False)
        from anchordesk.live.settings import live_options

        return replace(live_options(self.settings, []), record=False)

    def _configured_feeds(self) -> list[FeedSpec]:
        if self._feeds_override is not None:
            return list(self._feeds_override)
        from anchordesk.live.settings import feed_specs

        return feed_specs(self.settings)

    def _platform_feeds(self) -> list[FeedSpec]:
        """A live session's feeds: the platforms' (never the simulated audience)."""
        return [spec for spec in self._configured_feeds() if spec.kind != "rehearsal"]

    def _rehearsal_feeds(self) -> list[FeedSpec]:
        """A rehearsal's feeds: the simulated audience (needs no network)."""
        if self._feeds_override is not None:
            return [spec for spec in self._feeds_override if spec.kind == "rehearsal"]
        return [FeedSpec("rehearsal", "")]

    def _recordings_folder(self) -> Path:
        from anchordesk.core.paths import default_recordings_dir

        folder = self.settings.recordings_dir
        return Path(folder).expanduser() if folder else default_recordings_dir()

    def _recordings_dir(self) -> Path:
        # Not made here, on the window's thread: a folder on a network share whose server
        # went away holds a mkdir for good, and pressing Record froze the whole window
        # (R16ui F4). The recording makes it off this thread (LiveShow._attach_recording);
        # one that cannot be made is said in words by the recording, and the show goes on.
        return self._recordings_folder()

    def _on_built(self, live: LiveShow | None, error: str | None) -> None:
        self._starting = False
        if live is None:
            self.message.emit(self.tr("The picture could not start: %1").replace("%1", error or ""))
            return
        if self._shutting_down:
            return  # shutdown waited for this build and stopped what it built
        self.live = live
        # The devices this start could not open, and only those: the go-live check said "the
        # camera /dev/video9 chosen in Settings cannot be opened" for the run's whole life,
        # after another camera was chosen and opened (R25hunt25ui F1).
        self.devices_missing = dict(self._missing_this_start)
        live.studio_mode = self.studio_mode  # a restarted picture keeps the operator's mode
        # A session's recording is attached when its file is made: the window never waits for
        # it (it waited up to 3 s, frozen, at each start with the recordings folder on a share
        # whose server went away; R17ui). Past the deadline poll_health says so.
        live.recording_wait_s = 0.0
        try:
            live.begin_session(SessionMode.REHEARSAL)
        except SessionNotOpened as error:  # the data folder on a read-only or full disk
            log.warning("the rehearsal session did not start: %s", error)
            self.message.emit(self._session_not_opened(error))
        except Exception as error:  # a session file that cannot be opened: one line
            log.exception("the rehearsal session did not start")
            self.message.emit(str(error))
        self._announce_session()
        if self.on_air_check is not None and live.show is not None:
            self.on_air_check.show_opened(live.show)
        self._show_timer.start()
        self._health_timer.start()
        self._feed_timer.start()
        self.poll_show()
        self.session_started.emit()
        self.live_changed.emit(False)
        if not self.settings.record_asked:
            from anchordesk.live.settings import recording_bytes_per_hour

            self.recording_question.emit(
                str(self._recordings_folder()), recording_bytes_per_hour(self.settings)
            )

    def _session_not_opened(self, error: SessionNotOpened) -> str:
        """Why a rehearsal did not start, in the window's language: the line of the command
        line ("--session: the disk holding … is read-only") named an option the window never
        took, in English whatever the window's language (R15ui F3)."""
        return self.tr(
            "The rehearsal did not start: its session file cannot be made: %1. Make room on "
            "that disk or make it writable, then choose Rehearse again."
        ).replace("%1", say(error.words))

    def _announce_session(self) -> None:
        live = self.live
        if live is None or live.session is None:
            return
        # Said once the recording writes (_say_recording_started): said as the session began,
        # "Recording to …" over the picture and "The recording has stopped: … read-only" under
        # it contradicted each other when its disk refused the file.
        self._recording_to_say = live.recording_path
        # The file is made off the window's thread (R17ui): its name may come later.
        self._recording_awaited = True

    def _spawn(self, coroutine: Coroutine[Any, Any, Any], what: str) -> None:
        """Run a lifecycle step on the loop; a failure is one line in the status bar."""
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            coroutine.close()
            self.message.emit(self.tr("Cannot %1: no event loop.").replace("%1", what))
            return

        async def guarded() -> Any:
            try:
                return await coroutine
            except CommandRejected as error:
                self.message.emit(refusal_text(error.words))
            except SessionNotOpened as error:  # "rehearse again" on a disk turned read-only
                log.warning("%s: %s", what, error)
                self.message.emit(self._session_not_opened(error))
            except Exception as error:
                log.exception("%s failed", what)
                self.message.emit(f"{what}: {error}")
            return None

        task = loop.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        # A step cancelled before it ran (the window closed first: the shutdown does what it
        # would have done) is closed, not left for Python to call "never awaited".
        task.add_done_callback(lambda _task: coroutine.close())

    def shutdown(self, timeout_s: float = 8.0) -> None:
        """Stop everything; bounded. Called when the window closes."""
        if self._shutting_down:
            return
        self._shutting_down = True
        for timer in (self._show_timer, self._health_timer, self._feed_timer):
            timer.stop()
        for task in list(self._tasks):
            task.cancel()  # a lifecycle step still waiting: the shutdown below does it all
        live, self.live = self.live, None
        building, self._building = self._building, None
        if live is None and building is not None:
            # Closed while the picture was being built (a SIGTERM, SIGINT or Ctrl+Q in the
            # first second or two): it is waited for and stopped here. The window went on to
            # exit with the build's threads running (the process aborted: "terminate called
            # without an active exception"), or handed the stop to a worker pool already shut
            # down ("cannot schedule new futures after shutdown").
            try:
                live = building.result(timeout_s)
            except Exception:
                log.exception("the picture being built did not finish within %.0f s", timeout_s)
            self._starting = False
        if live is not None:
            feed_task = live.session.feed_task if live.session is not None else None
            if feed_task is not None and not feed_task.done():
                self._closing.append(feed_task)
            if live.session is not None:
                # On the loop's own thread, now: nothing is left queued for a loop that may be
                # closed by the time a worker would post to it.
                live.session.stop_feeds_now()
            done = workers.run_task(live.shutdown, pool=self.executor)
            try:
                done.result(timeout_s)
            except Exception:
                log.exception("the show did not stop within %.0f s", timeout_s)
        if self._owns_executor:
            if not workers.shutdown(self.WORK_CLOSE_S):
                log.warning(
                    "work off the window's thread still runs at the close (a disk or a service "
                    "that does not answer); the window closes without it"
                )
        elif isinstance(self.executor, ThreadPoolExecutor):
            self.executor.shutdown(wait=False, cancel_futures=True)
        self._say_held_by_disks(live)

    @staticmethod
    def _say_held_by_disks(live: LiveShow | None) -> None:
        """The window is closed and the show's files are finished, but a read of a disk that
        never answers (a share whose server went away) holds its thread in the kernel, deaf
        even to SIGKILL, so the process lingers until that disk answers: without a word it
        looked like a program that would not quit (R16ui, R17ui). Said in the log, naming the
        disks, as the last thing the program says."""
        held = workers.still_waiting()
        if live is not None and live.recording_unanswered is not None:
            held.append(str(live.recording_unanswered))
        if held:
            log.warning(
                "the window is closed and the show's files are finished; the process ends "
                "when these stop waiting for a disk that does not answer (let its server "
                "answer, or force it off with umount -f): %s",
                ", ".join(escape_controls(name) for name in held),
            )

    # What the workers' running work (a settings file being written) gets to end after the
    # window closed; one held for good (a read of a hung share) is left to the program's end.
    WORK_CLOSE_S = 0.5

    # What the feeds' tasks get to end after the window closed: a closing signal ends the
    # program within 2 s (the recording and the store are done by then).
    FEEDS_CLOSE_S = 1.0

    async def wait_closed(self, timeout_s: float = FEEDS_CLOSE_S) -> None:
        """After ``shutdown``: wait (bounded) for the feeds' tasks to end on the loop; one still
        running then is cancelled, and where it waited is logged. The window waited 5 s for
        such a task, and the program ended 5.6 s after a Ctrl+C (under Xvfb, File -> Open up,
        a loaded machine; once in 42 runs)."""
        pending = [task for task in self._closing if not task.done()]
        if not pending:
            return
        _done, lingering = await asyncio.wait(pending, timeout=timeout_s)
        for task in lingering:
            frames = task.get_stack(limit=3)
            where = ", ".join(f"{f.f_code.co_name}:{f.f_lineno}" for f in frames) or "?"
            log.warning(
                "closing: a feed task had not ended %.1f s after the window closed (waiting "
                "in %s); cancelled",
                timeout_s,
                where,
            )
            task.cancel()
        if lingering:
            await asyncio.wait(lingering, timeout=0.5)

    # -- reading ---------------------------------------------------------------------------------

    def frame_source(self) -> FrameSource:
        def newest() -> tuple[int, Frame] | None:
            live = self.live
            pipeline = live.media.pipeline if live is not None else None
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
        """Studio mode's second preview: the camera's picture with what Take would put on air,
        drawn by the LiveShow with the picture's own scene rules."""

        def staged() -> tuple[int, Frame] | None:
            live = self.live
            pipeline = live.media.pipeline if live is not None else None
            if live is None or pipeline is None:
                return None
            base = pipeline.request_source_preview()
            if base is None:
                return None
            if self._staged_last is not None and self._staged_last[0] is base:
                return self._staged_number, self._staged_last[1]  # no new camera picture yet
            composed = live.staged_picture(base)
            if composed is None:
                return None
            self._staged_last = (base, composed)
            self._staged_number += 1
            return self._staged_number, composed

        return staged

    def preflight_facts(self) -> PreflightFacts:
        health = self.health
        live = self.live
        running = live is not None and health.running
        video_name = live.media.video_source.name if live is not None else ""
        audio = live.audio if live is not None else None
        audio_name = audio.name if audio is not None else ""
        return PreflightFacts(
            camera_ok=running and health.camera_ok,
            camera_detail=video_name,
            microphone_ok=running and health.microphone_ok and bool(audio_name),
            microphone_detail=audio_name or self.tr("none"),
            encoder_ok=running and health.fps > 0,
            # As Stream health writes the rate beside it (29.6 fps was "30 fps" here, and a
            # picture at 0.4 fps "0 fps" with the encoder said to be working).
            encoder_detail=self.tr("%1 fps").replace("%1", format_frame_rate(health.fps)),
            compliance_hits=self._compliance_hit_lines(),
            camera_is_test_pattern=video_name == "test pattern",
            test_pattern_chosen=self.settings.devices.camera == "test",
            camera_missing=self.devices_missing.get("camera", ""),
            microphone_level_dbfs=health.audio_level_dbfs,
            microphone_muted=audio is not None and audio.muted,
            microphone_is_test_tone=audio_name == "test tone",
            test_tone_chosen=self.settings.devices.microphone == "test",
            microphone_missing=self.devices_missing.get("microphone", ""),
            recording_short_of_space_bytes=next(
                (
                    o.free_bytes or 0
                    for o in health.outputs
                    # Waiting for room (a full disk) or stopped by the low-space guard.
                    if o.kind == "recording" and (o.state == "waiting" or o.stopped_for_space)
                ),
                None,
            ),
            recording_fault=self._recording_fault,
        )

    def _compliance_hit_lines(self) -> tuple[str, ...]:
        """The open show's hits, one line each by product and segment name (cached per show)."""
        show = self._compliance_show
        if show is None:
            return ()
        if self._compliance_lines_of is not show:
            self._compliance_lines = tuple(describe_show_hits(show))
            self._compliance_lines_of = show
        return self._compliance_lines

    def stream_key_present(self, destination_id: str) -> bool:
        from anchordesk.live.destinations import stream_key_present

        return stream_key_present(destination_id)

    # -- polling ---------------------------------------------------------------------------------

    def poll_show(self) -> None:
        live = self.live
        if live is None:
            return
        snapshot = live.snapshot()
        self.snapshot = snapshot
        if snapshot.studio_mode != self.studio_mode:
            # The remote switched it: the window follows the one LiveShow's mode.
            self.studio_mode = snapshot.studio_mode
            self.studio_mode_changed.emit(snapshot.studio_mode)
        self.show_state = self._reader.show_state(snapshot)
        self.show_changed.emit(self.show_state)
        if snapshot.board is not self._board_seen[0] or snapshot.prompts != self._board_seen[1]:
            self._board_seen = (snapshot.board, snapshot.prompts)
            self.board_changed.emit(snapshot)
        self._say_store_fault(snapshot)
        self._say_store_lock(snapshot)
        if snapshot.store_fault is None and snapshot.store_locked is None:
            # While the session file cannot be written, a feed's pages cannot be kept either:
            # the feed answers, and saying "not answering" sent the operator to the wrong place.
            self._say_feed_faults(snapshot.feeds)
        self._say_feeds_stopped(snapshot)
        sales = self._reader.sales_state(snapshot)
        if sales != self.sales:
            self.sales = sales
            self.sales_changed.emit(sales)

    def poll_health(self) -> None:
        live = self.live
        if live is None or live.media.stats is None:
            return
        self._say_log_fault()
        self._say_recording_unanswered(live)
        sample: dict[str, Any] = live.media.stats.sample()
        # The sample is the --stats line (English); a fault is said from its words.
        faults = live.media.output_faults()
        notices = live.media.output_notices()
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
                    fault=faults.get(output["name"]) if output.get("last_error") else None,
                    notice=notices.get(output["name"]) if output.get("notice") else None,
                    free_bytes=output.get("free_bytes"),
                    stopped_for_space=bool(output.get("stopped_for_space")),
                    files=tuple(output.get("files") or ()),
                    gaps=tuple(output.get("gaps") or ()),
                )
            )
            self._say_recording_started(outputs[-1])
            self._say_recording_stopped(outputs[-1])
        self._say_going_live(outputs)
        camera = sample.get("camera") or {}
        microphone = sample.get("microphone")
        audio = live.audio
        self.health = HealthState(
            running=bool(live.media.pipeline and live.media.pipeline.counters().running),
            # The picture's rate: with nothing recorded or pushed nothing is encoded.
            fps=float(sample.get("picture_fps") or sample.get("output_fps") or 0.0),
            video_kbps=float(sample.get("video_bitrate_kbps") or 0.0),
            cpu_percent=float(sample.get("process_cpu_percent") or 0.0),
            recording_bytes=int(sample.get("recording_bytes") or 0),
            recording_free_bytes=sample.get("recording_free_bytes"),
            recording=next((o.state for o in outputs if o.kind == "recording"), "stopped"),
            recording_files=next((o.files for o in outputs if o.kind == "recording"), ()),
            recording_gaps=next((o.gaps for o in outputs if o.kind == "recording"), ()),
            dropped_by_stage={
                stage: int(sample.get(f"dropped_frames_{stage}_total") or 0)
                for stage in ("capture", "render", "encode", "network")
            },
            outputs=tuple(outputs),
            audio_level_dbfs=audio.take_peak_dbfs() if audio is not None else None,
            camera_ok=camera.get("state") in ("active", "starting"),
            microphone_ok=microphone is not None and microphone.get("state") == "active",
        )
        self.health_changed.emit(self.health)

    def _say_recording_unanswered(self, live: LiveShow) -> None:
        """The recordings folder did not answer when the session's file was to be made there
        (a network share whose server went away): said once per folder. The window froze
        at its start for as long as the share did not answer (R16ui)."""
        folder = live.recording_unanswered
        if folder is None or folder == self._recording_unanswered_said:
            return
        self._recording_unanswered_said = folder
        self.message.emit(
            self.tr(
                "The recordings folder %1 does not answer (a network disk whose server went "
                "away?): this session is not recorded. Choose another folder in Settings."
            ).replace("%1", str(folder))
        )

    def _say_log_fault(self) -> None:
        """The log file stopped being written (its disk full or read-only), or was never
        written: said once per run. Only the terminal heard it, which a window started from the
        menu does not have, and a crash dialog then named an empty log for a bug report."""
        if self._log_fault_said:
            return
        fault = logs.write_fault_words()
        if fault is None:
            return
        self._log_fault_said = True
        self.message.emit(
            self.tr(
                "The log file is no longer written: %1. The show goes on; what happens from "
                "now on is not in the log."
            ).replace("%1", say(fault))
        )

    def _say_store_fault(self, snapshot: LiveSnapshot) -> None:
        """The session file stopped being written (its disk full or turned read-only): said
        once per session. The window said nothing of it, and a live show's feeds, whose pages
        could no longer be kept, were said "not answering"."""
        fault = snapshot.store_fault
        key = str(snapshot.session_path)
        if fault is None or key in self._store_faults_said:
            return
        self._store_faults_said.add(key)
        self.message.emit(
            self.tr(
                "The session file is no longer written: %1. Comments, orders and show events "
                "from now on are not kept; the show goes on."
            ).replace("%1", say(fault))
        )

    def _say_store_lock(self, snapshot: LiveSnapshot) -> None:
        """Another program (a database browser, a sync or backup tool) holds the session file
        locked: said when it starts and when it ends. The window said nothing, and with no
        terminal the operator never learned why the file's last minutes could be missing."""
        locked, key = snapshot.store_locked, str(snapshot.session_path)
        if locked is None and self._store_lock_said not in (None, key):
            self._store_lock_said = None  # another session now (rehearsal -> live): its own file
        if (locked is not None) == (self._store_lock_said == key):
            return
        self._store_lock_said = key if locked is not None else None
        if locked is not None:
            self.message.emit(
                self.tr(
                    "The session file cannot be written for now: %1. Comments, orders and show "
                    "events wait and are kept as soon as it lets go; close that program. The "
                    "show goes on."
                ).replace("%1", say(locked))
            )
        elif snapshot.store_fault is None:
            self.message.emit(self.tr("The session file is written again: what waited is kept."))

    def _say_closed_short(self, session: ShowSession | None) -> None:
        """A session whose file closed with events still out of it (another program held it
        locked to the end, or the close ran out of time): said once, in words. The window had
        said "they wait and are kept as soon as it lets go"; at Go live (or End rehearsal)
        the file was closed without them and nothing more was said, while the log said "the
        last events may be missing". A disk fault was said already (_say_store_fault)."""
        if session is None:
            return
        writer = session.writer
        if writer.fault is None or writer.fault_words is not None:
            return
        self.message.emit(
            self.tr(
                "The session file %1 was closed before everything was written (another "
                "program held it locked, or it did not answer in time): its last comments, "
                "orders or show events may be missing from it and from its report."
            ).replace("%1", session.path.name)
        )

    def _say_feeds_stopped(self, snapshot: LiveSnapshot) -> None:
        """An error no rule foresaw (a certificate bundle the environment names and that
        does not exist) stopped every feed: said once per session, in the window's language.
        The window said nothing; its comments read "0 received" as for a quiet audience."""
        fault = next(
            (f.fault for f in snapshot.feeds if f.fault is not None and f.state == "stopped"), None
        )
        key = str(snapshot.session_path)
        if fault is None or key in self._feeds_stopped_said:
            return
        self._feeds_stopped_said.add(key)
        self.message.emit(
            self.tr(
                "The comment and order feeds stopped: %1. No comments or orders arrive in "
                "this session; the show goes on."
            ).replace("%1", say(fault))
        )

    def _say_feed_faults(self, feeds: Sequence[FeedView]) -> None:
        """A comment or order feed that stops answering is said once, and again when it
        answers: without it a failing feed looked like a quiet audience ("0 received")."""
        for feed in feeds:
            if feed.state == "retrying" and feed.source not in self._failing_feeds:
                self._failing_feeds.add(feed.source)
                if feed.fault is not None:  # a reason the user can act on, in their language
                    self.message.emit(
                        self.tr(
                            "The %1 feed cannot be read: %2. No comments or orders arrive from "
                            "it; AnchorDesk keeps asking."
                        )
                        .replace("%1", feed.source)
                        .replace("%2", say(feed.fault))
                    )
                    continue
                self.message.emit(
                    self.tr(
                        "The %1 feed is not answering: no comments or orders arrive from it. "
                        "AnchorDesk keeps asking."
                    ).replace("%1", feed.source)
                )
            elif feed.state == "ok" and feed.source in self._failing_feeds:
                self._failing_feeds.discard(feed.source)
                self.message.emit(self.tr("The %1 feed answers again.").replace("%1", feed.source))

    def _say_going_live(self, outputs: list[OutputRow]) -> None:
        """ "Live on …" once the server takes the stream. The first failed attempt of each
        spell is said once, with its reason in the window's language (it was only in the
        English tooltip of Stream health, which a keyboard user never sees), and so is the
        end of the spell."""
        name = self._live_on
        network = next((o for o in outputs if o.kind == "network"), None)
        if name is None or network is None or not self.is_live:
            return
        if network.state == "live":
            failing, self._network_failing = self._network_failing, False
            if self._going_live_to is not None:
                self._going_live_to = None
                self.message.emit(self.tr("Live on %1").replace("%1", name))
            elif failing:
                self.message.emit(
                    self.tr("Live on %1 again: the stream goes out.").replace("%1", name)
                )
            return
        if network.state not in ("reconnecting", "failed") or self._network_failing:
            return
        self._network_failing = True
        reason = fault_text(network)
        if self._going_live_to is not None:
            if reason:
                text = self.tr(
                    "Not live yet: %1 has not taken the stream: %2. AnchorDesk keeps trying."
                )
            else:
                text = self.tr(
                    "Not live yet: %1 has not taken the stream. AnchorDesk keeps trying."
                )
        elif reason:
            text = self.tr("The stream to %1 stopped: %2. AnchorDesk keeps trying.")
        else:
            text = self.tr("The stream to %1 stopped. AnchorDesk keeps trying.")
        # One pass: a name holding "%2" is not filled in again.
        self.message.emit(_filled(text, name, reason))

    def _say_recording_started(self, output: OutputRow) -> None:
        """Say "Recording to …" once the session's recording has written, never for one that could
        not (its fault is said instead)."""
        if output.kind == "recording" and output.state == "live" and output.bytes_written > 0:
            self._recording_fault = None
        path = self._recording_to_say
        if path is None and self._recording_awaited and self.live is not None:
            path = self._recording_to_say = self.live.recording_path
        if path is None or output.kind != "recording" or path.name not in output.name:
            return
        if output.state in ("failed", "waiting", "stopped"):
            self._recording_to_say = None
            self._recording_awaited = False
        elif output.state == "live" and output.bytes_written > 0:
            self._recording_to_say = None
            self._recording_awaited = False
            self.message.emit(self.tr("Recording to %1").replace("%1", str(path)))

    def _say_recording_stopped(self, output: OutputRow) -> None:
        """A recording that stopped early (its disk low or failing) is said once, in words; so
        is each new file it goes on in once its disk has room again (media decides both)."""
        if output.kind != "recording":
            return
        first = output.files[0] if output.files else output.name
        if len(output.files) > 1 and (key := f"{first} #{len(output.files)}") not in (
            self._recording_faults_said
        ):
            self._recording_faults_said.add(key)
            self.message.emit(
                self.tr(
                    "Recording again into %1: its disk has room again. The part of the show "
                    "while it was full is not recorded."
                ).replace("%1", output.files[-1])
            )
        if output.state == "waiting":
            key = f"{first} gap {len(output.gaps)}"
            if key in self._recording_faults_said:
                return
            self._recording_faults_said.add(key)
            if output.stopped_for_space:
                from anchordesk.ui.docks.health import format_bytes

                text = self.tr(
                    "The recording has stopped: only %1 is left on its disk. What was recorded "
                    "is kept; the show goes on. The recording goes on in a new file as soon as "
                    "there is space again."
                ).replace("%1", format_bytes(output.free_bytes or 0))
            else:
                text = self.tr(
                    "The recording has stopped: %1. It goes on in a new file as soon as there "
                    "is space again."
                ).replace("%1", fault_text(output))
            self.message.emit(text)
            return
        if output.state != "failed":
            return
        if output.name in self._recording_faults_said:
            return
        self._recording_faults_said.add(output.name)
        live = self.live
        if live is not None:
            # Record shows off (the session would otherwise look recorded); pressing it again
            # starts a new file once there is room.
            self.recording_wanted = False
            self._spawn(live.set_recording_dir(None), "stop the recording")
            self.recording_changed.emit(False)
        if output.stopped_for_space:
            from anchordesk.ui.docks.health import format_bytes

            text = self.tr(
                "The recording has stopped: only %1 is left on its disk. What was recorded is "
                "kept; the show goes on. Free some space, then press Record again."
            ).replace("%1", format_bytes(output.free_bytes or 0))
        else:
            self._recording_fault = output.fault
            text = self.tr("The recording has stopped: %1").replace("%1", fault_text(output))
        self.message.emit(text)

    def flush_feeds(self) -> None:
        live = self.live
        session = live.session if live is not None else None
        if session is None:
            return
        if session is not self._listed_session:
            # Each session's lists start empty, before its first comment or order is handed on.
            self._listed_session = session
            self.session_changed.emit()
        comments = session.take_new_comments()
        if comments:
            now = time.time()
            simulated = session.simulated
            self.comments_arrived.emit([comment_row(c, now, simulated) for c in comments])
        removed = session.take_removed_comments()
        if removed:
            self.comments_removed.emit(removed)
        stored = session.take_new_orders()
        if stored:
            show = live.show if live is not None else None
            rows: list[OrderRow] = []
            for kept in stored:
                order = kept.order
                for line in order.lines:
                    product = show.product(line.sku) if show is not None else None
                    rows.append(
                        OrderRow(
                            key=f"{order.source}:{order.id}:{line.sku}",
                            sku=line.sku,
                            title=order_line_title(line.title, line.sku, product),
                            quantity=line.quantity,
                            amount=line.amount,
                            currency=order.currency,
                            at_s=kept.at,
                            simulated=session.simulated,
                        )
                    )
            self.orders_arrived.emit(rows)
            self.poll_show()

    def add_comments(self, comments: Sequence[Comment]) -> None:
        """Comments through the session's one path: stored once, then shown (tests)."""
        live = self.live
        if live is not None and live.session is not None:
            live.session.ingest(comments)

    def add_orders(self, orders: Sequence[Order]) -> None:
        """Orders through the session's one path: stored once, then applied (tests)."""
        live = self.live
        if live is not None and live.session is not None:
            live.session.ingest(orders)

    def comment_count(self) -> int:
        """Comments the session kept (read directly: not worth a whole snapshot)."""
        session = self.live.session if self.live is not None else None
        return session.comment_count if session is not None else self.snapshot.comments

    # -- show commands (quick: a lock and a pure function) ---------------------------------------

    def _command(self, command: Callable[[LiveShow], object]) -> bool:
        live = self.live
        if live is None:
            return False
        try:
            command(live)
        except CommandRejected as error:
            # The LiveShow's own words (the remote and the log get their English).
            self.message.emit(refusal_text(error.words))
            return False
        self.poll_show()
        return True

    def next_segment(self) -> None:
        # At the last segment the LiveShow refuses it in words (the remote's rule too).
        if self._segment_allowed(self.show_state.current_index + 1):
            self._command(lambda live: live.next_segment())

    def previous_segment(self) -> None:
        if self._segment_allowed(self.show_state.current_index - 1):
            self._command(lambda live: live.previous_segment())

    def jump_to_segment(self, index: int) -> None:
        if self._segment_allowed(index):
            self._command(lambda live: live.goto_segment(index))

    def _segment_allowed(self, index: int) -> bool:
        """Entering a segment puts its card on air (outside studio mode): a card with flagged
        words asks first, as putting it on screen by hand does."""
        state = self.show_state
        if self.on_air_check is None or self.studio_mode or index == state.current_index:
            return True
        if not 0 <= index < len(state.segments):
            return True  # the LiveShow refuses it in words
        segment = state.segments[index]
        if segment.sku is None or segment.sku == state.on_screen_sku:
            return True  # nothing new reaches the picture
        return self.on_air_check.allow_segment(index + 1, segment.title, segment.sku)

    def show_product(self, sku: str | None) -> None:
        if self.on_air_check is not None and not self.on_air_check.allow_product(sku):
            return
        self._command(lambda live: live.show_product(sku))

    def show_product_number(self, number: int) -> None:
        products = self.show_state.products
        if not 1 <= number <= len(products):
            self.message.emit(
                self.tr(
                    "This show has %Ln product(s): there is no product %1.", "", len(products)
                ).replace("%1", str(number))
            )
            return
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
        self._command(lambda live: live.start_deal(sku, price=amount, seconds=seconds, stock=stock))

    def stop_deal(self, sku: str | None = None) -> None:
        if sku is None:
            deal = self.show_state.deal
            sku = deal.sku if deal is not None and deal.is_live else None
        self._command(lambda live: live.stop_deal(sku))

    def toggle_deal(self) -> None:
        """Stop the on-screen product's live deal, else start one from the show's plan."""
        deal = self.show_state.deal
        if deal is not None and deal.is_live:
            self.stop_deal(deal.sku)
            return
        sku = self.show_state.on_screen_sku
        if sku is None:
            self.message.emit(self.tr("Put a product on screen to start a deal."))
            return
        self._command(lambda live: live.start_deal(sku))

    def pin_comment(self, row: CommentRow) -> None:
        if self.on_air_check is not None and not self.on_air_check.allow_comment(row):
            return
        self._command(lambda live: live.pin_comment(row.key))

    def pin_latest_question(self) -> None:
        self._command(lambda live: live.pin_latest_question())

    def set_prompt_rules_off(self, off: list[str]) -> None:
        """The board's Rules menu: applies now and is kept in the settings."""
        self.settings.prompts_off = list(off)
        if self.live is not None:
            self.live.set_prompt_rules_off(off)
        self._save_settings()

    def dismiss_prompt(self, key: str) -> None:
        self._command(lambda live: live.dismiss_prompt(key))

    def unpin_comment(self) -> None:
        self._command(lambda live: live.unpin())

    def hide_comment(self, row: CommentRow) -> None:
        """A hidden comment leaves the list and the picture; the session keeps the comment and
        a ``comment_hidden`` event naming it. The list drops it once the show has."""
        if self._command(lambda live: live.hide_comment(row.key)):
            self.comments_removed.emit([row.key])

    def set_studio_mode(self, on: bool) -> None:
        self.studio_mode = on
        if self.live is not None:
            self.live.set_studio_mode(on, origin="window")
            self.poll_show()

    def stage_product(self, sku: str | None) -> None:
        self._command(lambda live: live.stage_product(sku))

    def take(self) -> None:
        staged = self.staged_sku if self.studio_mode else None
        if self.on_air_check is not None and not self.on_air_check.allow_product(staged):
            return
        self._command(lambda live: live.take())

    # -- the session lifecycle -------------------------------------------------------------------

    def go_live(self, destination_id: str, record: bool, continue_run_sheet: bool = False) -> None:
        """End the rehearsal, start the live session, push to ``destination_id``; returns at
        once (the window shows "live" from now on, so a second press asks before stopping)."""
        live = self.live
        destination = self.settings.destination(destination_id)
        if live is None or destination is None or self.is_live:
            return
        self.settings.active_destination_id = destination_id
        if record != self.recording_wanted:
            self.set_recording(record)
        self._live_on = None  # until this push has started: no earlier push's faults
        self.is_live = True
        self.live_changed.emit(True)
        # The name as the settings' lists write it: an override in it turned the line around;
        # cut, as a name pasted with 3,000 characters filled the banner and the status line.
        shown_name = quoted_text(destination.name)
        self.message.emit(self.tr("Going live on %1…").replace("%1", shown_name))

        async def go() -> None:
            from anchordesk.live.destinations import push_url

            url, key = await asyncio.wrap_future(
                workers.run_task(lambda: push_url(destination), pool=self.executor)
            )
            rehearsal = live.session
            try:
                await live.go_live(url, continue_run_sheet=continue_run_sheet)
            except Exception as error:
                # The live session's file cannot be made: said as the window says it.
                said = say(error.words) if isinstance(error, SessionNotOpened) else str(error)
                text = mask_secrets(said, [key]) if key else said
                self._live_failed(text)
                return
            self._say_closed_short(rehearsal)
            self._announce_session()
            self.poll_show()
            self._going_live_to = self._live_on = shown_name
            self._network_failing = False
            self._failing_feeds.clear()  # the live session's feeds are said afresh

        self._spawn(go(), "go live")
        self._save_settings()

    def _save_settings(self) -> None:
        """Keep the settings for the next run, in a worker. One that cannot be written (a full
        or read-only disk) is said in the window: two of three callers dropped the error
        unread, the third logged a traceback, and the choice (Record off, the rules turned
        off) was silently gone at the next start (R13ui F10)."""
        settings, save = self.settings, self._save
        workers.run_task(
            lambda: save(settings),
            on_error=self._settings_not_saved,
            owner=self,
            pool=self.executor,
        )

    def _settings_not_saved(self, error: BaseException) -> None:
        if not isinstance(error, OSError):
            log.error("saving the settings failed", exc_info=error)
            return
        log.warning("the settings could not be saved: %s", error)
        self.message.emit(
            self.tr("The settings could not be saved: %1. They apply to this run only.").replace(
                "%1", disk_error_text(settings_path(make=False), error)
            )
        )

    def _live_failed(self, error: str) -> None:
        self.is_live = False
        self.live_changed.emit(False)
        self.message.emit(self.tr("Could not go live: %1").replace("%1", error))

    def stop_live(self) -> None:
        """Stop pushing and end the live session; its report follows."""
        live = self.live
        if live is None or not self.is_live:
            return
        self.is_live = False
        self.live_changed.emit(False)

        async def stop() -> None:
            session = live.session
            path = await live.stop_live()
            self._say_closed_short(session)
            self.poll_show()
            self.message.emit(self.tr("The stream has stopped; the live session is closed."))
            if path is not None:
                self._report(path, "live")

        self._spawn(stop(), "stop the stream")

    def end_rehearsal(self) -> None:
        """Stop the audience, the run sheet, the deals and the recording; close the session and
        show its report (read from the closed file: it equals the board)."""
        live = self.live
        if live is None or self.is_live:
            return

        async def end() -> None:
            session = live.session
            path = await live.end_session()
            self._say_closed_short(session)
            self.poll_show()
            if path is not None:
                self._report(path, "rehearsal")

        self._spawn(end(), "end the rehearsal")

    def rehearse_again(self) -> None:
        live = self.live
        if live is None or self.is_live:
            return

        async def again() -> None:
            session = live.session
            await live.rehearse_again()
            self._say_closed_short(session)
            self._announce_session()
            self.poll_show()
            self.message.emit(self.tr("A new rehearsal has started."))

        self._spawn(again(), "rehearse again")

    def _report(self, path: Path, mode: str) -> None:
        """Build the closed session's report on a worker and emit ``rehearsal_finished``."""
        from anchordesk.ui.i18n import current_language

        # The window's language ("system" resolved): the report read English in a Chinese
        # window when the setting was left at "system".
        language = current_language()

        def build() -> None:
            try:
                self._report_ready.emit(session_summary(path, mode, language))
            except Exception as error:
                log.exception("the report of %s could not be made", path)
                self._worker_message.emit(str(error))

        workers.run_task(build, pool=self.executor)

    def reconnect_now(self) -> None:
        if self.live is not None:
            self.live.reconnect_now()

    def answer_recording_question(self, record: bool) -> None:
        """The operator's answer to "record?": remembered in the settings (Record and Settings
        change it later) and applied to the running rehearsal at once."""
        self.set_recording(record)

    def set_recording(self, on: bool) -> None:
        if self.is_live and not on:
            return  # never stop a live show's recording by accident
        self.recording_wanted = on
        self.settings.record = on
        self.settings.record_asked = True  # Record pressed: the question is answered
        self._recording_faults_said.clear()
        self._save_settings()  # remembered for the next run
        live = self.live
        if live is None:
            return
        if not on and live.plan.recordings_dir is None and live.recording_path is None:
            return  # nothing records (the first rehearsal's "Don't record"): nothing to stop
        folder = self._recordings_dir() if on else None
        # On the loop, in order with going live: the live session records into this folder.
        self._spawn(live.set_recording_dir(folder), "switch the recording")

    def set_muted(self, muted: bool) -> None:
        audio = self.live.audio if self.live is not None else None
        if audio is not None:
            audio.muted = muted

    def set_gain_db(self, gain_db: float) -> None:
        audio = self.live.audio if self.live is not None else None
        if audio is not None:
            audio.set_gain_db(gain_db)

    # -- settings, language, shows ---------------------------------------------------------------

    def reload_settings(self) -> None:
        """Take the saved settings; a changed camera, microphone, encoder or feed restarts the
        rehearsal's picture on the same show (settings cannot change while live)."""
        from anchordesk.live.settings import load_settings

        before = (self._live_options(), self._configured_feeds())
        self.settings = load_settings()
        if self._options_override is None:  # a device the settings no longer name is not blamed
            named = {
                "camera": self.settings.devices.camera,
                "microphone": self.settings.devices.microphone,
            }
            for device, spec in list(self.devices_missing.items()):
                if escape_controls(named.get(device, "")) != spec:
                    del self.devices_missing[device]
        if self.live is not None:  # prompt rules turned on or off apply at once
            self.live.set_prompt_rules_off(self.settings.prompts_off)
        if self.is_live or self._starting or self.live is None:
            return
        wanted = self.settings.record and self.settings.record_asked
        switched = wanted != self.recording_wanted
        if switched:
            # "Record a local copy" changed in Settings: the running rehearsal follows it.
            self.recording_wanted = wanted
            self.recording_changed.emit(wanted)
        if (self._live_options(), self._configured_feeds()) != before and self.live.show:
            show = self.live.show
            self.message.emit(self.tr("Settings changed: the picture restarts."))
            self._restart(lambda: self.start_with_show(show, self.show_path))
        elif switched:
            folder = self._recordings_dir() if wanted else None
            self._spawn(self.live.set_recording_dir(folder), "switch the recording")

    def set_language(self, code: str) -> None:
        from PySide6.QtWidgets import QApplication

        from anchordesk.ui import i18n

        self.settings.language = code
        app = QApplication.instance()
        if app is not None:
            i18n.install(app, code)
        self._save_settings()

    def start_on(self, show_path: Path | None) -> None:
        """The window's first show: the one named on the command line (or "Open with"), checked
        as File → Open checks it; one that cannot run is refused (``start_refused``) and the
        sample runs instead. Without a name, the sample."""
        if show_path is None:
            self.start(None)
        else:
            self.open_show(show_path, at_start=True)

    def open_show(self, path: Path, *, at_start: bool = False) -> None:
        """Open another show; one that cannot run is refused (``show_refused``) and the running
        rehearsal goes on untouched."""
        from anchordesk.showfile.files import ShowReport, read_show_file

        if self.is_live:
            self._not_opened_while_live(path)
            return

        language = i18n.current_language()
        answered = threading.Event()

        def read() -> tuple[ShowReport, list[str]]:
            _first_answer(path)
            answered.set()
            report = read_show_file(path)
            # Said here too: a show of 150,000 problems (each of 10,000 products wrong five
            # ways, 20,000 segments) took the window's thread 1.7 s to say them, 3.6 s under
            # Xvfb with the dialog, without a frame in the preview or a key press answered.
            lines = [] if report.show is not None else say_problems(report.problems, language)
            return report, lines

        def checked(result: tuple[ShowReport, list[str]]) -> None:
            if self._opening is not answered:
                return  # said not to answer (or another show chosen since): not opened
            self._opening = None
            report, lines = result
            if self.is_live:  # went live while the file was read
                self._not_opened_while_live(path)
                return
            if report.show is None:
                if at_start:
                    # `read` is what the show editor can put in its tables (None: not JSON).
                    self.start_refused.emit(path, lines, report.read is not None)
                    self.start(None)
                else:
                    self.show_refused.emit(path, lines, report.read is not None)
                return
            show = report.show
            # The show the worker read and checked, not read again here: start() read the file a
            # second time on this thread, decoding every picture again (7.5 s without a frame
            # or a key press for twenty 40-megapixel pictures), and ran whatever the file held
            # by then.
            self._restart(lambda: self.start_with_show(show, path))

        def failed(error: BaseException) -> None:
            if self._opening is answered:
                self._opening = None
            log.error("reading %s failed", path, exc_info=error)

        def not_answered() -> None:
            """A file whose disk says nothing (a share whose server went away) was read for
            good without a word, and its show would have replaced the running one whenever the
            share answered (R17ui). Said, and not opened."""
            if self._opening is not answered or answered.is_set():
                return
            self._opening = None
            log.warning(
                "%s did not answer within %.0f s: not opened",
                path,
                file_dialogs.FILE_ANSWER_TIMEOUT_S,
            )
            self.message.emit(
                self.tr(
                    "%1 does not answer (a network disk whose server went away?): it was not "
                    "opened. The current show goes on."
                ).replace("%1", str(path))
            )
            if at_start:
                self.start(None)

        # Reading the file decodes its images (up to 20 MB each): in a worker, not on the Qt
        # thread that draws the preview.
        # Not on the window's own pool: a file on a hung share holds its thread for good
        # (R15ui F6). A test's own executor reads as well.
        reads = workers.file_reads() if self._owns_executor else self.executor
        self._opening = answered  # the last show chosen is the one opened
        # The same deadline as the file dialogs' (one rule for a disk that does not answer).
        QTimer.singleShot(int(file_dialogs.FILE_ANSWER_TIMEOUT_S * 1000), self, not_answered)
        workers.run_task(read, checked, failed, owner=self, pool=reads, waits_on=str(path))

    def _not_opened_while_live(self, path: Path) -> None:
        """A live show is never swapped under the operator's hands; the show they picked is
        said not opened (it was dropped without a word when the stream went live while the file
        was read: the window went on with the old show as if the new one were on air)."""
        self.message.emit(
            self.tr(
                "%1 was not opened: the stream went live while it was read. The live show goes "
                "on; open it again after the stream."
            ).replace("%1", path.name)
        )

    def _restart(self, start: Callable[[], None]) -> None:
        live, self.live = self.live, None
        for timer in (self._show_timer, self._health_timer, self._feed_timer):
            timer.stop()
        if live is not None:
            # The new picture waits for this one to let go of the camera and microphone.
            self._previous_stopping = workers.run_task(
                lambda: live.shutdown(4.0), pool=self.executor
            )
        start()


def _first_answer(path: Path) -> None:
    """Blocking (a worker): returns once the file's disk has answered for it (its kind, and a
    regular file's first byte, never a pipe's); a fault is the reader's to say."""
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.stat(path).st_mode):
            with open(path, "rb") as file:
                file.read(1)


def _filled(text: str, name: str, reason: str) -> str:
    """``text`` with %1 and %2 replaced in one pass (a name may hold "%2", a reason "%1")."""
    return re.sub(r"%([12])", lambda match: name if match.group(1) == "1" else reason, text)
