"""``LiveShow``: a running show, wired once for every front end.

The window (``ui/controller.py``), ``anchordesk live`` and the remote API all drive a LiveShow
with the same commands and read the same ``LiveSnapshot``; none of them builds sources, outputs,
feeds or stores itself. A LiveShow owns:

- the picture: one ``LiveSession`` (sources -> compositor -> encoder -> outputs) for the whole
  run; the recording and the network destination hang on ``OutputSwitch``es so that going live
  or starting a new session never restarts the picture;
- the current ``ShowSession``: its store file, run sheet, ledger and feeds. Sessions follow an
  explicit lifecycle, rehearsal -> live -> ended (or rehearsal -> ended): going live ends the
  rehearsal (its simulated audience is gone before the first packet reaches a destination) and
  starts a new session with the platforms' feeds; ending a session stops its run sheet, its
  deals, its feeds and its recording and closes its file, so its report equals its board.

Threads: commands and lifecycle calls run on the event loop's thread (qasync's in the window);
what blocks (closing files, stopping outputs) is awaited off the loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from anchordesk.core.disk import error_words
from anchordesk.core.errors import UserError
from anchordesk.core.words import QT_TRANSLATE_NOOP, Words
from anchordesk.feeds.spec import FeedSpec
from anchordesk.live.board import board_now
from anchordesk.live.runtime import ShowRuntime
from anchordesk.live.session import LiveSession, recording_file_name
from anchordesk.live.snapshot import (
    DealPlanView,
    LiveSnapshot,
    OutputView,
    PinnedView,
    SalesView,
    SegmentView,
    SessionMode,
    StatsView,
)
from anchordesk.live.snapshot_parts import LedgerFigures, SnapshotParts
from anchordesk.media.controls import AudioControl, OutputSwitch
from anchordesk.media.disk_space import FreeSpaceGuard
from anchordesk.media.layers import OverlaySource
from anchordesk.media.overlays.painting import ImageCache
from anchordesk.media.packets import OutputState, OutputStatus
from anchordesk.show.feed_items import Comment, clean_text
from anchordesk.show.model import Show
from anchordesk.show.state import (
    NO_PRODUCT_ON_SCREEN,
    SESSION_ENDED,
    ShowCommandError,
    no_live_deal,
    no_segment,
    planned_deal,
)
from anchordesk.show.validate import deal_value_problems

if TYPE_CHECKING:  # the feeds, store and HTTP stack load only when a session keeps anything
    from anchordesk.live.show_session import CommentHidden, ShowSession, StoredOrderRow
    from anchordesk.media.compositor import Compositor
    from anchordesk.media.overlays.scene import OverlayScene, SceneOverlaySource
    from anchordesk.media.recording import RecordingOutput
    from anchordesk.store import StoreWriter

log = logging.getLogger(__name__)

REHEARSAL_FEEDS = (FeedSpec("rehearsal", ""),)
_FINISHED = (OutputState.STOPPED, OutputState.FAILED)
# How long the recordings folder may take to make a session's file there (a local disk takes
# milliseconds; a share whose server went away, for ever).
RECORDING_FOLDER_TIMEOUT_S = 3.0


def _why_not_opened(path: Path, error: Exception) -> Words | str:
    """Why the session file at ``path`` cannot be opened, in words: the disk's fault, found by
    writing a file beside it as SQLite would (a read-only or full disk, a folder this user may
    not write), else the store's own line."""
    probe = path.with_name(f".anchordesk-write-test-{os.getpid()}")
    try:
        with probe.open("xb") as file:
            try:
                file.write(bytes(64 * 1024))  # as much as SQLite writes first beside a session
            finally:
                probe.unlink()
    except FileExistsError:
        return str(error)
    except OSError as system_error:
        return error_words(path, system_error)
    return str(error)


class SessionNotOpened(UserError):
    """The session file cannot be made or opened. ``str()`` is the command line's line
    ("--session: the disk holding … is read-only"); ``words`` the reason alone, for a window
    to say in its language: it never took a --session, and said that line in English (R15ui
    F3)."""

    def __init__(self, line: str, words: Words | str) -> None:
        super().__init__(line)
        self.words = words


# A command with nothing to act on is refused in words: answered 200 and kept in the session,
# it read as done (a phone's "Take the card off" with none on air, a stream deck's Unpin).
NO_CARD_ON_AIR = Words(
    QT_TRANSLATE_NOOP("LiveShow", "no product card is on air: there is nothing to take off")
)
NOTHING_PINNED = Words(QT_TRANSLATE_NOOP("LiveShow", "no comment is pinned"))
NO_TEXT_TO_PIN = Words(
    QT_TRANSLATE_NOOP("LiveShow", "that comment has no text to show: there is nothing to pin")
)
NOTHING_STREAMED = Words(
    QT_TRANSLATE_NOOP("LiveShow", "nothing is being streamed: there is nothing to reconnect")
)


def _streaming(status: OutputStatus) -> bool:
    """A network destination that is on (the window's idle network switch is stopped)."""
    return status.kind == "network" and status.state not in _FINISHED


NOTHING_TO_TAKE = Words(
    QT_TRANSLATE_NOOP("LiveShow", "nothing is staged that is not on air already")
)


class CommandRejected(Exception):
    """A command that cannot apply: one line for the operator, nothing changed.

    ``status`` is what the remote API answers: 400 for a bad argument, 409 for "not possible
    now" (no such deal live, the session has ended...). ``words`` is the message as the window
    translates it; ``str()`` is its English (the remote API, the log, ``anchordesk live``).
    """

    def __init__(self, message: Words | str, status: int = 409) -> None:
        super().__init__(str(message))
        self.words = message
        self.status = status


#: What closing the window may take (of the 2 s a stop may take, as ``anchordesk live``'s
#: STOP_BUDGET_S): the recording's trailer and the session's file are finished within it and a
#: network child that has not finished is killed.
WINDOW_STOP_BUDGET_S = 1.5
#: The session store's close is given at least this long (its last orders are worth it).
STORE_CLOSE_AT_LEAST_S = 1.0


@dataclass
class LiveShowPlan:
    """What a LiveShow needs besides the picture; the CLI and the window each fill one."""

    show: Show | None
    show_path: Path | None = None
    sessions_dir: Path | None = None  # default: the user data folder's sessions/
    first_session_path: Path | None = None  # ``--session PATH``: continue this file
    platform_feeds: Sequence[FeedSpec] = ()  # the live session's feeds
    rehearsal_feeds: Sequence[FeedSpec] = REHEARSAL_FEEDS
    autoplay: bool = False
    audience_rate_per_s: float = 2.0
    # Recording per session onto the recording switch: None = off; a folder = a new file per
    # session there. ``anchordesk live --record FILE`` records onto a fixed output instead.
    recordings_dir: Path | None = None
    # The recording's free-space guard (media/disk_space.py): it stops a recording before its
    # disk fills. Tests give one with an injected probe and clock.
    space_guard: Callable[[Path], FreeSpaceGuard] = field(default=FreeSpaceGuard)
    keep_store: bool = True  # False: a plain stream with no show, feed or session
    prompts_off: Sequence[str] = ()  # prompt rules turned off (show/prompts.py RULES)
    wall_clock: Callable[[], float] = field(default=time.time)


class LiveShow:
    """One running show. Commands raise ``CommandRejected``; reading never blocks."""

    def __init__(
        self,
        media: LiveSession,
        plan: LiveShowPlan,
        *,
        recording_switch: OutputSwitch | None = None,
        network_switch: OutputSwitch | None = None,
    ) -> None:
        self.media = media
        self.plan = plan
        self.show = plan.show
        self.recording_switch = recording_switch
        self.network_switch = network_switch
        self.images = ImageCache()
        self.session: ShowSession | None = None
        self.mode = SessionMode.ENDED
        self.staged_sku: str | None = None
        self._segments_cache: tuple[Show, int, dict[int, float], tuple[SegmentView, ...]] | None = (
            None
        )
        self._snapshot_parts = SnapshotParts()
        self.studio_mode = False
        self._staged_view: tuple[SceneOverlaySource, Compositor] | None = None
        self._staged_scene_now: OverlayScene | None = None
        self.pinned_key: str | None = None
        self.sessions: list[Path] = []  # every session file of this run, oldest first
        # How the stream destinations went, as the last session kept them for its report: the
        # run's last lines say these same figures (cli/commands.py), by destination name.
        self.streams_kept: dict[str, OutputStatus] = {}
        self._matcher_terms: Callable[[str], Sequence[str]] | None = None
        self._recording_path: Path | None = None
        #: A recordings folder that did not answer when a session's file was to be made there
        #: (a network share whose server went away): that session is not recorded.
        self.recording_unanswered: Path | None = None
        #: How long starting a session waits for its recording's file (None: the folder's
        #: deadline); the recording is attached whenever it comes. The window waits not at all.
        self.recording_wait_s: float | None = None
        self._recording_lock = threading.Lock()
        self._recording_ticket: object | None = None  # the recording being made now
        self.audio: AudioControl | None = None  # mute, gain and meter, when there is audio
        # Told of every comment and order a session keeps (the remote's event stream); they
        # run on the thread that applied the item: be quick.
        self.feed_listeners: list[Callable[[Comment | StoredOrderRow | CommentHidden], None]] = []
        if plan.show is not None:
            from anchordesk.show.compliance import terms_flagger

            self._matcher_terms = terms_flagger(plan.show.banned_words)

    # -- lifecycle ---------------------------------------------------------------------------

    def preload_images(self) -> None:
        """Decode the show's product images and logo (blocking: call it where waiting is fine,
        the window's worker). Every session's run sheet shares this cache, so starting a
        session on the event loop never waits for an image decoder."""
        show = self.show
        if show is None:
            return
        paths = [show.image_path(product) for product in show.products]
        paths.append(show.logo_path())
        self.images.preload([path for path in paths if path is not None])

    @property
    def runtime(self) -> ShowRuntime | None:
        return self.session.runtime if self.session is not None else None

    def begin_session(
        self, mode: SessionMode, *, continue_at: int | None = None
    ) -> ShowSession | None:
        """Start a new session now (the previous one must have ended): a new store file, the
        run sheet from its first segment (or ``continue_at``), a ledger at zero, its feeds."""
        if self.session is not None and not self.session.ended:
            raise CommandRejected(
                Words(QT_TRANSLATE_NOOP("LiveShow", "a session is still running: end it first"))
            )
        if mode is SessionMode.ENDED:
            raise CommandRejected(
                Words(QT_TRANSLATE_NOOP("LiveShow", "a new session is a rehearsal or a live show")),
                400,
            )
        if not self.plan.keep_store and self.show is None:
            # A plain stream (no show, no feed, no --session): nothing to keep, and the feeds,
            # store and HTTP stack are never imported (~0.25 s of CPU at start-up).
            self.mode = mode
            return None
        live = mode is SessionMode.LIVE
        feeds = list(self.plan.platform_feeds if live else self.plan.rehearsal_feeds)
        simulated = any(spec.kind == "rehearsal" for spec in feeds)
        if live and simulated:
            raise UserError(
                "a live show never takes simulated comments or orders: drop --feed rehearsal"
            )
        from anchordesk.live.show_session import ShowSession

        runtime = self._new_runtime(continue_at)
        writer = self._open_store(mode)
        session = ShowSession(
            mode=mode,
            runtime=runtime,
            writer=writer,
            feeds=feeds if (runtime is not None or not simulated) else [],
            simulated=simulated,
            flag_terms=self._matcher_terms,
            audience_rate_per_s=self.plan.audience_rate_per_s,
            wall_clock=self.plan.wall_clock,
            prompts_off=self.plan.prompts_off,
        )
        session.on_comments_removed = self._comments_removed
        session.listeners = self.feed_listeners
        self.session = session
        self.mode = mode
        self.pinned_key = None
        if runtime is not None and self.studio_mode:
            runtime.hold_picture(True)
        self.staged_sku = runtime.snapshot().state.on_screen_sku if runtime else None
        if not self.studio_mode:
            self.staged_sku = None
        self.sessions.append(session.path)
        if runtime is not None:
            self.media.set_overlays([*self._fixed_overlays(), runtime])
        self._attach_recording(mode)
        if not session.start_feeds():
            log.warning("feeds are off: no event loop is running")
        log.info("%s session: %s", mode, session.path)
        return session

    def _fixed_overlays(self) -> list[OverlaySource]:
        return [o for o in self.media.overlays if not isinstance(o, ShowRuntime)]

    def _new_runtime(self, continue_at: int | None) -> ShowRuntime | None:
        if self.show is None:
            return None
        from anchordesk.media.overlays.fonts import ensure_gui_application

        ensure_gui_application()  # overlays are drawn with QPainter, on any thread
        pipeline = self.media.pipeline
        now_s = pipeline.counters().media_time_s if pipeline is not None else 0.0
        runtime = ShowRuntime(self.show, now_s, autoplay=self.plan.autoplay, images=self.images)
        runtime.preload_images()
        if continue_at:
            runtime.jump_to_segment(continue_at, now_s)
            if self.plan.autoplay:
                runtime.set_autoplay(True, now_s)
        return runtime

    def _open_store(self, mode: SessionMode) -> StoreWriter:
        from anchordesk.core.paths import user_data_dir
        from anchordesk.store import StoreError, StoreWriter, default_session_path

        path = self.plan.first_session_path if not self.sessions else None
        if path is None:
            folder = self.plan.sessions_dir
            try:
                data = folder.parent if folder else user_data_dir()
                path = default_session_path(data, str(mode))
                if folder is not None and path.parent != folder:
                    folder.mkdir(parents=True, exist_ok=True)
                    path = folder / path.name
            except OSError as error:
                # The data folder cannot be made (a read-only home): the folder is the file's
                # place, said as the file's would be (it was Python's "[Errno 30] …").
                where = error.filename if isinstance(error.filename, str) else "the data folder"
                raise SessionNotOpened(
                    f"the session cannot be kept: {error_words(where, error)}",
                    error_words(where, error),
                ) from None
        try:
            return StoreWriter(path)
        except StoreError as error:
            raise SessionNotOpened(f"--session: {error}", _why_not_opened(path, error)) from None
        except OSError as error:
            raise SessionNotOpened(
                f"--session {path}: cannot open ({error.strerror or error})",
                error_words(path, error),
            ) from None

    def _attach_recording(self, mode: SessionMode) -> None:
        folder = self.plan.recordings_dir
        switch = self.recording_switch
        if switch is None or folder is None:
            return
        from anchordesk.media.recording import RecordingOutput

        # Named by the second: a session started in the same second as the previous one (or
        # a file left there) gets the next numbered name; a recording never overwrites a file.
        name = recording_file_name(str(mode))
        space_guard = self.plan.space_guard

        def make() -> RecordingOutput:
            unmade: OSError | None = None
            try:
                folder.mkdir(parents=True, exist_ok=True)  # a chosen folder removed since
            except OSError as error:
                unmade = error
            output = RecordingOutput(folder / name, space_guard=space_guard(folder))
            if unmade is not None and output.open_error is not None:
                # The folder could not be made (a read-only disk): that is why, not the
                # file's "No such file or directory" of the C library, in English (R19ui).
                output._open_error = unmade
            return output

        # On a thread of its own, with a deadline: a folder on a share whose server went away
        # holds every call for good, and a session begins on the window's thread (the window
        # froze at its start for as long as the share did not answer: R16ui). The file is
        # attached from that thread when it comes; the caller waits ``recording_wait_s`` at
        # most (the window: not at all — it waited 3 s at each start on such a share, R17ui).
        ticket = object()
        settled = threading.Event()
        with self._recording_lock:
            self._recording_ticket = ticket

        def give_up() -> None:
            with self._recording_lock:
                if self._recording_ticket is not ticket:
                    return
                self._recording_ticket = None
                self.recording_unanswered = folder
            settled.set()
            log.warning(
                "the recordings folder %s did not answer within %.0f s: this session is not "
                "recorded",
                folder,
                RECORDING_FOLDER_TIMEOUT_S,
            )

        def run() -> None:
            try:
                output = make()
            except Exception:
                log.exception("the recording in %s did not start", folder)
                with self._recording_lock:
                    if self._recording_ticket is ticket:
                        self._recording_ticket = None
                settled.set()
                return
            deadline.cancel()
            attached = False
            with self._recording_lock:
                if self._recording_ticket is ticket:
                    self._recording_ticket = None
                    if output.renamed:
                        log.info("%s exists: recording into %s", output.requested_path, output.path)
                    try:
                        switch.attach(output)
                        attached = True
                        self._recording_path = output.path
                    except Exception:
                        log.exception("the recording %s did not start", output.path)
            settled.set()
            if not attached:  # too late, or its session ended meanwhile: the file is not kept
                output.stop(0.1)

        deadline = threading.Timer(RECORDING_FOLDER_TIMEOUT_S, give_up)
        deadline.name = "recording-folder-deadline"
        deadline.daemon = True
        deadline.start()
        threading.Thread(target=run, name="recording-folder", daemon=True).start()
        wait_s = self.recording_wait_s
        if wait_s is None or wait_s >= RECORDING_FOLDER_TIMEOUT_S:
            if not settled.wait(RECORDING_FOLDER_TIMEOUT_S):
                give_up()  # the timer may not have fired yet: the same answer now
        elif wait_s > 0:
            settled.wait(wait_s)

    def _forget_pending_recording(self) -> None:
        """A recording still being made for the session that ends is not attached later."""
        with self._recording_lock:
            self._recording_ticket = None

    async def set_recording_dir(self, folder: Path | None) -> None:
        """Record each session from now on into ``folder`` (None: stop recording). The current
        session starts or stops its recording now."""
        self.plan.recordings_dir = folder
        switch = self.recording_switch
        if switch is None:
            return
        if folder is None:
            self._forget_pending_recording()
            if switch.attached is not None:
                await asyncio.to_thread(switch.detach, 5.0)
            self._recording_path = None
        elif self.session is not None and not self.session.ended:
            attached = switch.attached
            if attached is not None and attached.status().state in _FINISHED:
                # A recording that stopped early (its disk was low): a new file, not nothing.
                await asyncio.to_thread(switch.detach, 5.0)
                attached = None
            if attached is None:
                # Off the loop: the folder is made and the file named on its disk, which a
                # share whose server went away holds for good (the window froze: R16ui F4).
                await asyncio.to_thread(self._attach_recording, self.mode)

    @property
    def recording_path(self) -> Path | None:
        """The file being recorded: after a stop for a full disk, the one it went on in."""
        switch = self.recording_switch
        attached = switch.attached if switch is not None else None
        if attached is None:
            return None
        path = getattr(attached, "path", None)
        return path if isinstance(path, Path) else self._recording_path

    async def end_session(self, timeout_s: float = 5.0) -> Path | None:
        """Stop the run sheet, the deals, the feeds (and the audience) and the recording, and
        close the session's file, within ``timeout_s`` (a feed request still waiting for its
        server is cancelled: its page is fetched again by the next run). Returns the file (for
        its report)."""
        session = self.session
        if session is None or session.ended:
            return session.path if session else None
        self._forget_pending_recording()
        deadline_s = time.monotonic() + timeout_s
        self._record_streams()
        session.end_show()
        await session.stop_feeds(timeout_s * 0.5)
        if self.recording_switch is not None and self.recording_switch.attached is not None:
            await asyncio.to_thread(
                self.recording_switch.detach, max(0.1, deadline_s - time.monotonic())
            )
        await asyncio.to_thread(session.close_store, max(0.1, deadline_s - time.monotonic()))
        self.mode = SessionMode.ENDED
        if session.path not in self.sessions:  # written again under a numbered name
            self.sessions[-1] = session.path
        log.info("session ended: %s", session.path)
        return session.path

    def _record_streams(self) -> None:
        """How the session's stream destinations went, kept before they stop (the report's
        Stream line): those ``--to`` started, and the window's Go live destination."""
        session = self.session
        if session is None or session.ended:
            return
        statuses = self.media.network_statuses()
        attached = self.network_switch.attached if self.network_switch is not None else None
        if attached is not None:
            from anchordesk.media.network_output import NetworkOutput

            if isinstance(attached, NetworkOutput):
                statuses.append(attached.status())
        if session.record_streams(statuses):
            self.streams_kept = {status.name: status for status in statuses}

    async def go_live(self, url: str, *, continue_run_sheet: bool = False) -> ShowSession | None:
        """End the rehearsal, start a live session, then push to ``url``.

        The simulated audience is stopped (its server gone) before the network output exists,
        so no simulated item can reach the live session or its viewers.
        """
        if self.network_switch is None:
            raise CommandRejected(
                Words(
                    QT_TRANSLATE_NOOP("LiveShow", "this show has no network output to go live on")
                )
            )
        if self.mode is SessionMode.LIVE:
            raise CommandRejected(Words(QT_TRANSLATE_NOOP("LiveShow", "already live")))
        from anchordesk.live.options import check_destination

        check_destination(url)
        continue_at = None
        runtime = self.runtime
        if continue_run_sheet and runtime is not None:
            continue_at = runtime.snapshot().state.segment_index
        await self.end_session()
        session = self.begin_session(SessionMode.LIVE, continue_at=continue_at)

        def attach() -> None:
            from anchordesk.media.network_output import NetworkOutput

            assert self.network_switch is not None
            self.network_switch.attach(NetworkOutput(url))

        await asyncio.to_thread(attach)
        return session

    async def stop_live(self) -> Path | None:
        """Stop pushing and end the live session (its report is final)."""
        self._record_streams()
        if self.network_switch is not None:
            await asyncio.to_thread(self.network_switch.detach, 5.0)
        return await self.end_session()

    async def rehearse_again(self) -> ShowSession | None:
        if self.mode is SessionMode.LIVE:
            raise CommandRejected(
                Words(QT_TRANSLATE_NOOP("LiveShow", "the show is live: stop the stream first"))
            )
        await self.end_session()
        return self.begin_session(SessionMode.REHEARSAL)

    async def close(self) -> None:
        """End the session and stop the picture (the window closing, the command finishing)."""
        self._record_streams()
        if self.network_switch is not None and self.network_switch.attached is not None:
            await asyncio.to_thread(self.network_switch.detach, 5.0)
        await self.end_session()
        await asyncio.to_thread(self.media.stop)

    def shutdown(self, timeout_s: float = WINDOW_STOP_BUDGET_S) -> None:
        """Everything, now, without an event loop (the window closing): bounded, blocking.

        The picture with its outputs and the session's store stop side by side within
        ``timeout_s``, as ``anchordesk live`` stops: a network child still connecting to a
        server that never answers (or stalled by one) is killed at the end of its share while
        the recording's trailer is written (one after the other, a hung destination alone held
        the window open for 4 s before the recording even began to finish).
        """
        deadline_s = time.monotonic() + timeout_s

        def left_s() -> float:
            return max(0.05, deadline_s - time.monotonic())

        self._forget_pending_recording()
        session = self.session
        if session is not None and not session.ended:
            self._record_streams()
            session.end_show()
            session.stop_feeds_now()
        media = threading.Thread(
            target=self.media.stop, args=(left_s(),), name="stop the picture", daemon=True
        )
        media.start()
        if session is not None and not session.ended:
            if self.recording_switch is not None and self.recording_switch.attached is not None:
                # The recording's file is whole before the session that names it closes.
                self.recording_switch.detach(left_s())
            # At least a second: committing the queued events takes milliseconds, and the
            # store's last orders are worth the wait on a loaded machine.
            session.close_store(max(left_s(), STORE_CLOSE_AT_LEAST_S))
        self.mode = SessionMode.ENDED
        media.join(left_s() + 0.2)

    # -- commands ----------------------------------------------------------------------------

    def _live_runtime(self) -> ShowRuntime:
        runtime = self.runtime
        if runtime is None:
            raise CommandRejected(Words(QT_TRANSLATE_NOOP("LiveShow", "no show is open")))
        if runtime.ended:
            raise CommandRejected(SESSION_ENDED)
        return runtime

    def _run(self, command: Callable[[ShowRuntime], object]) -> None:
        runtime = self._live_runtime()
        try:
            command(runtime)
        except ShowCommandError as error:
            raise CommandRejected(error.words) from None

    # Each command below takes ``origin``: who gave it ("window", "remote"), kept with the
    # command in the session's events once it applied; None when another command calls it.

    def _applied(self, origin: str | None, name: str, **arguments: object) -> None:
        if origin:
            kept = {k: str(v) if isinstance(v, Decimal) else v for k, v in arguments.items()}
            self.record_command(name, kept, origin)

    def next_segment(self, *, origin: str | None = "window") -> None:
        state = self._live_runtime().snapshot().state
        if state.segment_index + 1 >= len(state.show.rundown):
            # Said, not done in silence: the remote answered 200 and the session kept a
            # command that changed nothing (R8ctl L6).
            raise CommandRejected(
                Words(
                    QT_TRANSLATE_NOOP(
                        "LiveShow", "{title} is the last segment: there is no next one"
                    ),
                    title=state.segment.title,
                )
            )
        self._run(lambda r: r.next_segment())
        self._stage_segment()
        self._applied(origin, "next_segment")

    def previous_segment(self, *, origin: str | None = "window") -> None:
        state = self._live_runtime().snapshot().state
        if state.segment_index <= 0:
            raise CommandRejected(
                Words(
                    QT_TRANSLATE_NOOP(
                        "LiveShow", "{title} is the first segment: there is no previous one"
                    ),
                    title=state.segment.title,
                )
            )
        self._run(lambda r: r.previous_segment())
        self._stage_segment()
        self._applied(origin, "previous_segment")

    def goto_segment(self, index: int, *, origin: str | None = "window") -> None:
        runtime = self._live_runtime()
        count = len(runtime.show.rundown)
        if not 0 <= index < count:
            raise CommandRejected(no_segment(index, count), 400)
        self._run(lambda r: r.jump_to_segment(index))
        self._stage_segment()
        self._applied(origin, "goto_segment", index=index)

    def _known_sku(self, sku: str | None) -> str:
        runtime = self._live_runtime()
        if not sku or runtime.show.product(sku) is None:
            raise CommandRejected(
                Words(
                    QT_TRANSLATE_NOOP("LiveShow", "no product with SKU {sku} in this show"),
                    sku=repr(sku),
                ),
                400,
            )
        return sku

    def show_product(self, sku: str | None, *, origin: str | None = "window") -> None:
        """Put a product's card on the picture (None takes it off). A deal running on another
        product keeps running and stays in the picture as its strip."""
        if sku is not None:
            self._known_sku(sku)
        self._run(lambda r: r.show_product(sku))
        self._applied(origin, "show_product", sku=sku)

    def hide_product(self, *, origin: str | None = "window") -> None:
        # Said, not done in silence: with no card on air the remote answered 200 and the
        # session kept a command that changed nothing (as next_segment at the last one).
        if self._live_runtime().snapshot().state.on_screen_sku is None:
            raise CommandRejected(NO_CARD_ON_AIR)
        self.show_product(None, origin=None)
        self._applied(origin, "hide_product")

    # -- studio mode -------------------------------------------------------------------------
    #
    # In studio mode the run sheet and the picture part ways: a segment change moves the
    # segment (title, timer, script, lower third) and *stages* the segment's card and planned
    # deal; nothing of it reaches the picture until Take. The rule lives here, once, so the
    # window's keys, the remote and ``anchordesk live`` stage alike.

    def set_studio_mode(self, on: bool, *, origin: str | None = None) -> None:
        """Studio mode on: what is on air stays, and is what is staged to begin with. Off:
        nothing is staged, and the next segment change puts its card on air again."""
        if on == self.studio_mode:
            return  # switched on twice (the window following the remote): the stage stays
        self.studio_mode = on
        runtime = self.runtime
        if runtime is not None and not runtime.ended:
            runtime.hold_picture(on)
        self.staged_sku = runtime.snapshot().state.on_screen_sku if on and runtime else None
        self._applied(origin, "studio_mode", on=on)

    def stage_product(self, sku: str | None, *, origin: str | None = "window") -> None:
        if not self.studio_mode:
            raise CommandRejected(
                Words(
                    QT_TRANSLATE_NOOP(
                        "LiveShow", "staging needs studio mode: switch studio mode on first"
                    )
                )
            )
        if sku is not None:
            self._known_sku(sku)
        self.staged_sku = sku
        self._applied(origin, "stage_product", sku=sku)

    def staged_deal(self) -> DealPlanView | None:
        """The deal Take starts with the staged card: the current segment's planned deal, while
        it has not started and its product is the one staged."""
        runtime = self.runtime
        if not self.studio_mode or runtime is None or self.staged_sku is None:
            return None
        state = runtime.snapshot().state
        planned = planned_deal(state)
        if not state.auto_start_deals or planned is None or planned.sku != self.staged_sku:
            return None
        return DealPlanView(planned.price, planned.seconds, planned.stock)

    def _stage_segment(self) -> None:
        """After a segment change in studio mode: its card (and planned deal) wait for Take."""
        runtime = self.runtime
        if self.studio_mode and runtime is not None:
            self.staged_sku = runtime.snapshot().state.segment.sku

    def take(self, *, origin: str | None = "window") -> None:
        """Put what is staged on air: the staged card, and the segment's planned deal when it
        is staged with it (studio mode)."""
        self._live_runtime()
        if not self.studio_mode:
            raise CommandRejected(
                Words(QT_TRANSLATE_NOOP("LiveShow", "Take works in studio mode: nothing is staged"))
            )
        deal = self.staged_deal()
        sku = self.staged_sku
        if deal is None and sku == self._live_runtime().snapshot().state.on_screen_sku:
            raise CommandRejected(NOTHING_TO_TAKE)  # (kept as a take, it changed nothing)
        self.show_product(sku, origin=None)
        if deal is not None and sku is not None:
            self._run(lambda r: r.start_deal(sku=sku))
        self._applied(origin, "take", sku=sku)

    def start_deal(
        self,
        sku: str | None = None,
        *,
        price: Decimal | None = None,
        seconds: int | None = None,
        stock: int | None = None,
        origin: str | None = "window",
    ) -> None:
        """Start a flash deal; values not given come from the show's plan for the product."""
        runtime = self._live_runtime()
        sku = sku or runtime.snapshot().state.on_screen_sku
        if sku is None:  # nothing named, nothing on screen: not "no product with SKU None"
            raise CommandRejected(NO_PRODUCT_ON_SCREEN)
        self._known_sku(sku)
        product = self.show.product(sku) if self.show is not None and sku else None
        if product is not None and self.show is not None:
            # A bad value is the caller's mistake (400), said by the show file's rule.
            problems = deal_value_problems(
                self.show, product, price=price, seconds=seconds, stock=stock
            )
            if problems:
                raise CommandRejected(problems[0], 400)
        if runtime.snapshot().state.stock_left(sku or "") == 0:
            raise CommandRejected(
                Words(
                    QT_TRANSLATE_NOOP("LiveShow", "{sku} is sold out: no deal can start on it"),
                    sku=sku,
                )
            )
        self._run(lambda r: r.start_deal(sku=sku, price=price, seconds=seconds, stock=stock))
        given = {"price": price, "seconds": seconds, "stock": stock}
        # (A price of 0 is given: a free deal was kept as one at the plan's price.)
        kept = {name: value for name, value in given.items() if value is not None}
        self._applied(origin, "start_deal", sku=sku, **kept)

    def stop_deal(self, sku: str | None = None, *, origin: str | None = "window") -> None:
        runtime = self._live_runtime()
        state = runtime.snapshot().state
        if sku is not None and state.live_deal(sku) is None:
            raise CommandRejected(no_live_deal(sku))
        if sku is None and not state.live_deals:
            raise CommandRejected(Words(QT_TRANSLATE_NOOP("LiveShow", "no live deal to stop")))
        self._run(lambda r: r.stop_deal(sku=sku))
        self._applied(origin, "stop_deal", sku=sku)

    # -- comments ----------------------------------------------------------------------------

    def _session(self) -> ShowSession:
        if self.session is None:
            raise CommandRejected(Words(QT_TRANSLATE_NOOP("LiveShow", "no session is running")))
        return self.session

    def _running_session(self) -> ShowSession:
        """The session, refused once it has ended: its file is closed, so what a command would
        keep (a hide) could never be kept."""
        session = self._session()
        if session.ended:
            raise CommandRejected(SESSION_ENDED)
        return session

    def comment(self, key: str) -> Comment | None:
        return self._session().comments.get(key)

    def pin_comment(self, key: str, *, origin: str | None = "window") -> None:
        session = self._session()
        comment = session.comments.get(key)
        if comment is None:
            raise CommandRejected(
                Words(
                    QT_TRANSLATE_NOOP("LiveShow", "no comment {key} (it may be too old to pin)"),
                    key=repr(key),
                ),
                400,
            )
        if key in session.hidden:
            raise CommandRejected(Words(QT_TRANSLATE_NOOP("LiveShow", "that comment is hidden")))
        runtime = self._live_runtime()
        if not clean_text(comment.text):
            # Only invisible or control characters: pinned, it showed nothing and took the
            # comment pinned before off the picture unsaid (the runtime's empty text unpins).
            raise CommandRejected(NO_TEXT_TO_PIN)
        runtime.pin(comment)
        self.pinned_key = key
        self._applied(origin, "pin_comment", id=key)
        session.board.answered(key)  # a question on air is being answered

    def pin_latest_question(self, *, origin: str | None = "window") -> str:
        """Pin the newest question that is neither hidden nor flagged; returns its key."""
        session = self._running_session()
        for key, comment in reversed(session.comments.items()):
            if comment.is_question and not comment.flagged and key not in session.hidden:
                self.pin_comment(key, origin=None)
                self._applied(origin, "pin_latest_question", id=key)
                return key
        raise CommandRejected(Words(QT_TRANSLATE_NOOP("LiveShow", "no question to pin yet")))

    def unpin(self, *, origin: str | None = "window") -> None:
        runtime = self._live_runtime()
        if runtime.snapshot().pinned is None:  # (kept as an unpin, it changed nothing)
            self.pinned_key = None
            raise CommandRejected(NOTHING_PINNED)
        runtime.unpin_comment()
        self.pinned_key = None
        self._applied(origin, "unpin")

    def hide_comment(self, key: str, *, origin: str | None = "window") -> None:
        """Take a comment off the list and the picture; the session keeps it and the hide."""
        # After the end its file is closed: a hide answered "done" was never kept (the report
        # did not count it), where every other command says the session has ended.
        session = self._running_session()
        if key not in session.comments and key not in session.hidden:
            # A mistyped or made-up id hid nothing, yet counted in the report's hidden
            # comments ("1 comments, 3 hidden"): refused as pin_comment refuses it.
            raise CommandRejected(
                Words(
                    QT_TRANSLATE_NOOP("LiveShow", "no comment {key} (it may be too old to hide)"),
                    key=repr(key),
                ),
                400,
            )
        if key in session.hidden:  # (kept again as a hide, it changed nothing)
            raise CommandRejected(
                Words(QT_TRANSLATE_NOOP("LiveShow", "that comment is hidden already"))
            )
        if key == self.pinned_key:  # (off the picture; pinned with no text, it never was on)
            self._live_runtime().unpin_comment()
            self.pinned_key = None
        session.hide_comment(key, session.comments.get(key))
        self._applied(origin, "hide_comment", id=key)

    def _comments_removed(self, keys: Sequence[str]) -> None:
        """The platform took comments down (deleted, author banned): the pinned one leaves the
        picture at once (the session has hidden them already)."""
        if self.pinned_key is not None and self.pinned_key in keys and self.runtime is not None:
            self.runtime.unpin_comment()
            self.pinned_key = None

    def add_comments(self, comments: Sequence[Comment]) -> None:
        """Comments already stored by a feed (the hub's path; tests hand them in directly)."""
        self._session().add_comments(comments)

    def reconnect_now(self, *, origin: str | None = "window") -> None:
        # As the window says it (its own check): the remote answered 200 in a rehearsal, and
        # the session kept a reconnection of nothing.
        if not any(_streaming(output.status()) for output in self.media.outputs):
            raise CommandRejected(NOTHING_STREAMED)
        self.media.reconnect_now()
        self._applied(origin, "reconnect_now")

    def record_command(self, name: str, arguments: dict[str, object], origin: str) -> None:
        """Keep a command that was applied, with who gave it ("remote", "window"), in the
        session's events (nothing when no session keeps a file)."""
        if self.session is not None and not self.session.ended:
            self.session.record_command(name, arguments, origin)

    def recent_comments(self, limit: int) -> list[tuple[str, Comment, bool]]:
        """The newest comments the session holds (key, comment, hidden), oldest first."""
        if self.session is None:
            return []
        return self.session.recent_comments(limit)

    # -- prompts -----------------------------------------------------------------------------

    def dismiss_prompt(self, key: str, *, origin: str | None = "window") -> None:
        """Take a prompt off the board (kept in the session's events with the time)."""
        session = self._session()
        if not session.board.dismiss(key, self.plan.wall_clock()):
            raise CommandRejected(
                Words(QT_TRANSLATE_NOOP("LiveShow", "no prompt {key} on the board"), key=repr(key)),
                400,
            )
        self._applied(origin, "dismiss_prompt", key=key)

    def set_prompt_rules_off(self, off: Sequence[str]) -> None:
        """Turn prompt rules off (or back on) from now on, in this and later sessions."""
        self.plan.prompts_off = tuple(off)
        if self.session is not None:
            self.session.board.set_rules_off(off)

    # -- reading -----------------------------------------------------------------------------

    def staged_scene(self) -> OverlayScene | None:
        """What Take would put on air, as the picture's own scene rules draw it: the staged
        card (at the staged deal's price, with its full countdown) and what stays on air
        whatever is taken (the segment's lower third, the ticker, the pinned comment, a deal
        still running on another product as its strip)."""
        runtime = self.runtime
        if runtime is None:
            return None
        from dataclasses import replace

        from anchordesk.live.runtime import scene_from_snapshot
        from anchordesk.media.overlays.countdown import CountdownView

        snapshot = runtime.snapshot()
        state = snapshot.state
        if self.staged_sku != state.on_screen_sku:
            state = replace(state, on_screen_sku=self.staged_sku, on_screen_by_operator=True)
        # Countdowns as whole seconds: the staged preview is drawn again once a second at most.
        scene = scene_from_snapshot(
            replace(snapshot, state=state, now_s=float(int(snapshot.now_s)))
        )
        deal = self.staged_deal()
        if deal is not None and scene.card is not None:
            stock = scene.card.stock_left
            if deal.stock is not None and stock is not None:
                stock = min(stock, deal.stock)
            scene = replace(
                scene,
                card=replace(scene.card, deal_price=deal.price, stock_left=stock),
                countdown=CountdownView(float(deal.seconds), float(deal.seconds)),
            )
        return scene

    def _staged_scene_at(self, _now_s: float) -> OverlayScene:
        from anchordesk.media.overlays.scene import OverlayScene

        return self._staged_scene_now or OverlayScene()

    def staged_picture(self, base: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8] | None:
        """``base`` (the camera's picture before any overlay, BGR) with ``staged_scene`` drawn
        on it: studio mode's second preview. Each overlay is drawn again only when what it
        shows changes, and only the regions overlays cover are blended, so the preview costs
        the program's encoder next to nothing."""
        scene = self.staged_scene()
        if scene is None:
            return None
        from anchordesk.media.compositor import Compositor
        from anchordesk.media.overlays.scene import SceneOverlaySource
        from anchordesk.media.sources.base import VideoFrameRef

        pipeline = self.media.pipeline
        size = pipeline.canvas_size if pipeline is not None else None
        height, width = base.shape[:2]
        canvas = size or (width - width % 2, height - height % 2)
        if self._staged_view is None or self._staged_view[1].size != canvas:
            self._staged_view = (
                SceneOverlaySource(self._staged_scene_at, self.images),
                Compositor(*canvas),
            )
        source, compositor = self._staged_view
        self._staged_scene_now = scene
        runtime = self.runtime
        layers = source.layers(float(int(runtime.now_s)) if runtime else 0.0, canvas)
        frame = VideoFrameRef(base, id(self), id(base))
        return compositor.compose(frame, layers).copy()

    def _segment_views(
        self, show: Show, segment_seconds: Mapping[int, float], current: int
    ) -> tuple[SegmentView, ...]:
        """The run sheet's views, the running segment's time of this visit aside. Only the rows
        that changed since the last call are made again (the segment left, the one entered):
        a show at the limits has 20,000 segments, and making them all took a third of a second
        of the event loop for each snapshot, at each command of the remote and each tick of its
        stream."""
        seconds = dict(segment_seconds)

        def view(i: int) -> SegmentView:
            segment = show.rundown[i]
            return SegmentView(
                index=i,
                title=segment.title,
                planned_s=float(segment.seconds),
                elapsed_s=seconds.get(i, 0.0),
                sku=segment.sku,
                script=segment.script,
                deal=None
                if segment.deal is None
                else DealPlanView(segment.deal.price, segment.deal.seconds, segment.deal.stock),
                is_current=i == current,
                is_done=i in seconds and i != current,
            )

        cached = self._segments_cache
        if cached is None or cached[0] is not show:
            views = [view(i) for i in range(len(show.rundown))]
        else:
            _, was_current, was_seconds, was_views = cached
            if was_current == current and was_seconds == seconds:
                return was_views
            views = list(was_views)
            changed = {was_current, current}
            changed.update(i for i, s in seconds.items() if was_seconds.get(i) != s)
            changed.update(i for i in was_seconds if i not in seconds)
            for i in changed:
                if 0 <= i < len(views):
                    views[i] = view(i)
        made = tuple(views)
        self._segments_cache = (show, current, seconds, made)
        return made

    def snapshot(self) -> LiveSnapshot:
        session = self.session
        runtime = session.runtime if session is not None else None
        outputs, stats = self._media_views()
        if session is None or runtime is None:
            return LiveSnapshot(
                session_id=session.id if session else "",
                session_path=session.path if session else None,
                mode=self.mode,
                studio_mode=self.studio_mode,
                outputs=outputs,
                stats=stats,
            )
        shot = runtime.snapshot()
        state = shot.state
        show = state.show
        now_s = shot.now_s
        wall_now = self.plan.wall_clock()
        parts = self._snapshot_parts
        # Under the session's lock: the ledger's figures (copied again only when it changed)
        # and its orders of the last minute.
        read = session.read_ledger(
            lambda ledger: (parts.ledger_figures(ledger), ledger.orders_per_minute(wall_now))
        )
        assert isinstance(read, tuple)
        ledger_view, orders_per_minute = read
        assert isinstance(ledger_view, LedgerFigures) and isinstance(orders_per_minute, float)
        # Each product's and each deal's view made again only where what it shows changed
        # (live/snapshot_parts.py): made whole at each snapshot, a deal's start cost as much
        # as the show is big, and starting 500 deals took 114 s.
        products = parts.products(state, ledger_view)
        deals = parts.deals(state, ledger_view, now_s)
        # Once ended, the last segment's time is in segment_seconds already.
        current_s = 0.0 if runtime.ended else state.segment_elapsed_s(now_s)
        segments = self._segment_views(show, session.segment_seconds, state.segment_index)
        if current_s and 0 <= state.segment_index < len(segments):
            running = segments[state.segment_index]
            segments = (
                *segments[: state.segment_index],
                replace(running, elapsed_s=running.elapsed_s + current_s),
                *segments[state.segment_index + 1 :],
            )
        pinned = None
        if shot.pinned is not None:
            pinned = PinnedView(self.pinned_key or "", shot.pinned.author, shot.pinned.text)
        board, prompts = board_now(
            session.board,
            session.read_ledger,
            wall_now,
            parts.table(),
            deals,
            segments[state.segment_index] if 0 <= state.segment_index < len(segments) else None,
            state.on_screen_sku,
            ended=runtime.ended,
        )
        return LiveSnapshot(
            session_id=session.id,
            session_path=session.path,
            mode=self.mode,
            simulated=session.simulated,
            title=show.title,
            language=show.language,
            currency=show.currency,
            segments=segments,
            current_index=state.segment_index,
            on_screen_sku=state.on_screen_sku,
            staged_sku=self.staged_sku,
            studio_mode=self.studio_mode,
            products=products,
            deals=deals,
            sales=SalesView(
                currency=show.currency,
                gmv=ledger_view.gmv_by_currency.get(show.currency, Decimal(0)),
                gmv_by_currency=tuple(sorted(ledger_view.gmv_by_currency.items())),
                orders=ledger_view.orders,
                units=ledger_view.total_units,
                orders_per_minute=orders_per_minute,
                rejected_items=session.rejected_items,
            ),
            pinned=pinned,
            comments=session.comment_count,
            now_s=now_s,
            ended=runtime.ended,
            viewers_online=session.viewers_online(),
            feeds=session.feed_views(),
            store_fault=session.writer.fault_words,
            store_locked=session.writer.locked_words,
            outputs=outputs,
            stats=stats,
            board=board,
            prompts=prompts,
        )

    def _media_views(self) -> tuple[tuple[OutputView, ...], StatsView]:
        """The network destinations and the picture's figures from the last stats sample."""
        reporter = self.media.stats
        sample = reporter.latest if reporter is not None else {}
        if not sample:
            return (), StatsView()
        from anchordesk.live.session import dropped_frames_total

        faults = self.media.output_faults()
        outputs = tuple(
            OutputView(
                url=str(output["name"]),  # an output's name is its masked URL
                state=str(output["state"]),
                attempt=int(output.get("reconnect_attempt") or 0),
                fault=faults.get(str(output["name"])) if output.get("last_error") else None,
            )
            for output in sample.get("outputs", [])
            # The window's idle network switch is not a destination until it goes live.
            if output.get("kind") == "network" and output.get("name") != "network"
        )
        stats = StatsView(
            # The picture's rate: with nothing recorded or pushed nothing is encoded.
            fps=float(sample.get("picture_fps") or sample.get("output_fps") or 0.0),
            dropped_frames=dropped_frames_total(sample),
            cpu_percent=float(sample.get("process_cpu_percent") or 0.0),
            recording_bytes=int(sample.get("recording_bytes") or 0),
        )
        return outputs, stats
