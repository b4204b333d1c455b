"""The one factory of a ``LiveShow``, for the command line and the window."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from anchordesk.core.errors import UserError
from anchordesk.core.printable import escape_controls
from anchordesk.live.options import FeedSpec, LiveOptions
from anchordesk.live.session import DeviceMissing, LiveSession
from anchordesk.live.show import LiveShow, LiveShowPlan
from anchordesk.media.controls import OutputSwitch

log = logging.getLogger(__name__)


def build_live_show(
    options: LiveOptions,
    plan: LiveShowPlan,
    *,
    extra_overlays: Sequence[object] = (),
    switched: bool = False,
) -> LiveShow:
    """The one factory, for the command line and the window: every argument is checked and the
    devices are opened here (blocking: the window calls it on a worker thread).

    ``switched`` (the window): the recording and the network destination hang on switches that
    the session lifecycle attaches and detaches; otherwise (``anchordesk live``) the recording
    file and every ``--to`` destination are fixed outputs for the whole run.
    """
    from anchordesk.live.session import build_audio_source, build_outputs, build_video_source
    from anchordesk.media.controls import AudioControl

    video = build_video_source(options)
    audio_source = build_audio_source(options)
    audio = AudioControl(audio_source) if audio_source is not None else None
    recording_switch = network_switch = None
    if switched:
        recording_switch = OutputSwitch("recording", "recording")
        network_switch = OutputSwitch("network", "network")
        outputs: list[object] = [recording_switch, network_switch]
        # Loaded now, before the picture runs: importing the network output's modules at the
        # press of "go live" held the GIL for ~150 ms and the pipeline dropped 4-5 frames.
        import importlib

        importlib.import_module("anchordesk.media.network_output")
    else:
        if options.destinations and any(spec.kind == "rehearsal" for spec in options.feeds):
            raise UserError(
                "--feed rehearsal with --to: a live show never takes simulated comments or "
                "orders; rehearse without --to"
            )
        if not options.record and not options.destinations:
            raise UserError("anchordesk live: nothing to do: give --to URL or drop --no-record")
        from anchordesk.feeds.hub import feed_setup_problem

        # Before anything starts: said when the first session began, the stream was out and
        # the run ended in a traceback (a shop's feed without its token).
        if problem := feed_setup_problem(options.feeds, show=plan.show):
            raise UserError(problem)
        # Last: the recording's file is created here (after every check that can refuse).
        outputs = list(build_outputs(options))
    from anchordesk.live.session import build_overlays

    media = LiveSession(
        options,
        overlays=[*build_overlays(options), *extra_overlays],  # type: ignore[list-item]
        outputs=outputs,  # type: ignore[arg-type]
        video_source=video,
        audio_source=audio,
    )
    show = LiveShow(media, plan, recording_switch=recording_switch, network_switch=network_switch)
    show.audio = audio
    return show


def build_live_show_with_stand_ins(
    options: LiveOptions,
    plan: LiveShowPlan,
    stand_in_used: Callable[[DeviceMissing], None],
) -> LiveShow:
    """:func:`build_live_show` for the window (``switched``), whose devices come from its
    settings: a camera or microphone that cannot be opened (unplugged, a file moved) is
    replaced by the test pattern or the test tone, as when none is found, and
    ``stand_in_used`` is told which (the window says it in its words), so the show, the
    picture and its overlays run and another device can be chosen. The window opened with no
    show and no picture, said once as the command line's "--camera /dev/video9: no such file"
    (R21hunt21ui). A stand-in that does not open either is raised (a fault).

    The rule lives here, beside the one factory, rather than in the window: which devices get
    a stand-in is the live show's rule, whatever front end opens it."""
    replaced: set[str] = set()
    while True:
        try:
            return build_live_show(options, plan, switched=True)
        except DeviceMissing as error:
            if error.device in replaced:
                raise  # the stand-in itself did not open: said as a fault
            replaced.add(error.device)
            log.warning("%s", escape_controls(str(error)))
            if error.device == "camera":
                options = replace(options, camera="test")
            else:
                options = replace(options, microphone="test")
            stand_in_used(error)


def _refuse_unreachable_files(options: LiveOptions) -> None:
    """A --record, --stats or --show path whose name the disk cannot take (over 255 bytes) or
    whose folder is a file is said in one line before anything starts (it was a traceback:
    for --show, "[Errno 36] File name too long" from the check of shared files, exit 1)."""
    from anchordesk.core.disk import unreachable

    for option, path in (
        ("--show", options.show_path),
        ("--record", options.record_path if options.record else None),
        ("--stats", options.stats_path),
    ):
        if path is not None and (problem := unreachable(path.expanduser())) is not None:
            raise UserError(f"{option} {path}: {problem}")


def _refuse_shared_files(options: LiveOptions) -> None:
    """Each file of the run is its own: ``--record X --stats X`` wrote the figures over the
    recording's header (exit 0, "Recording kept in X", and X played nothing). A device
    (/dev/null) may be shared; a pipe may not: ``--record /dev/stdout --stats /dev/stdout |
    ffplay -`` put the figures' lines among the recording's bytes (exit 0, "Recording kept",
    and a stream no player reads to its end)."""
    seen: dict[object, str] = {}
    named = (
        ("--show", options.show_path),  # --stats SHOW.json wrote the figures over the show
        ("--record", options.record_path if options.record else None),
        ("--stats", options.stats_path),
        ("--session", options.session_path),
    )
    for option, path in named:
        if path is None:
            continue
        path = path.expanduser()
        try:
            info: os.stat_result | None = path.stat()
        except OSError:
            info = None
        key: object
        if info is not None and (stat.S_ISFIFO(info.st_mode) or stat.S_ISSOCK(info.st_mode)):
            key = ("pipe", info.st_dev, info.st_ino)  # one pipe however named (/dev/fd/1)
        elif info is not None and not stat.S_ISREG(info.st_mode):
            continue
        else:
            key = path.resolve()
        if key in seen:
            raise UserError(
                f"{option} {path}: the same file as {seen[key]}; each needs a file of its own"
            )
        seen[key] = option


def _refuse_repeated_destinations(urls: Sequence[str]) -> None:
    """The same stream twice is refused: the second push fought the first for the whole show
    ("Already publishing", retried every few seconds) under the same masked name, and would
    take over the stream whenever the first one dropped."""
    from urllib.parse import urlsplit

    from anchordesk.core.redact import mask_url

    seen: set[tuple[str, str, int | None, str]] = set()
    for url in urls:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "rtmps" else 1935)
        key = (scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/"))
        if key in seen:
            raise UserError(f"--to {mask_url(url)}: given twice (the same stream)")
        seen.add(key)


def _refuse_repeated_feeds(feeds: Sequence[FeedSpec]) -> None:
    """The same feed twice would be read under two names: each of its orders kept and counted
    twice. Said with the URL masked (it may hold a token)."""
    from anchordesk.core.redact import mask_url
    from anchordesk.feeds.spec import repeated_feed

    repeat = repeated_feed(feeds)
    if repeat is not None:
        place, first = repeat
        feed = feeds[place]
        raise UserError(
            f"--feed {feed.kind}={mask_url(feed.url)}: given twice (the same feed as --feed "
            f"number {first + 1}); each feed is read once"
        )


def plan_from_options(options: LiveOptions) -> LiveShowPlan:
    """``anchordesk live``: a live session when there is a destination, else a rehearsal (nothing
    is pushed), with the feeds given on the command line.

    The files the run will write are tried first: a folder that cannot be written is refused
    with one line before anything starts (the recording's is, when its file is created)."""
    from anchordesk.core.disk import cannot_write
    from anchordesk.store.session_check import path_problem

    if options.session_path is not None:
        # A folder, a pipe, a socket, a device, a link loop: said as what it is, before a
        # write is tried on it or a lock file made beside it.
        problem = path_problem(options.session_path, must_exist=False)
        if problem is not None:
            raise UserError(f"--session {options.session_path}: {problem}")
    _refuse_unreachable_files(options)
    _refuse_shared_files(options)
    _refuse_repeated_destinations(options.destinations)
    _refuse_repeated_feeds(options.feeds)
    for option, path in (("--session", options.session_path), ("--stats", options.stats_path)):
        tried = path is not None and not path.is_dir() and path.parent.is_dir()
        if tried and option == "--stats" and path is not None and os.path.lexists(path):
            # --stats into a pipe or a device is not tried: opening and closing a pipe ends its
            # reader's input (`cat FIFO` exits), and the run then waited for ever for a reader.
            # The stats writer opens it once, without waiting, and says what is wrong with it.
            # A link to nowhere is a name that exists: kept, the figures go to a numbered name.
            tried = path.is_file()
        if tried and path is not None:
            problem = cannot_write(path)
            if problem is not None:
                raise UserError(f"{option} {path}: cannot write: {problem}")
    if options.session_path is not None:
        _check_session_file(options.session_path)
    show = None
    if options.show_path is not None:
        from anchordesk.showfile.files import load_show

        show = load_show(options.show_path)
        log.info(
            "show: %s, %d segments, %d s planned%s",
            show.title,
            len(show.rundown),
            show.planned_seconds,
            ", autoplay" if options.autoplay else "",
        )
    if any(spec.kind == "rehearsal" and not spec.url for spec in options.feeds) and show is None:
        raise UserError("--feed rehearsal: the simulated audience needs --show FILE")
    live = bool(options.destinations)
    keep_store = show is not None or bool(options.feeds) or options.session_path is not None
    if keep_store and options.session_path is None:
        _refuse_unwritable_data_folder()
    return LiveShowPlan(
        show=show,
        show_path=options.show_path,
        first_session_path=options.session_path,
        platform_feeds=list(options.feeds) if live else [],
        rehearsal_feeds=[] if live else list(options.feeds),
        autoplay=options.autoplay,
        keep_store=keep_store,
    )


def _refuse_unwritable_data_folder() -> None:
    """The session goes into the user's data folder when no --session is given: a folder that
    cannot be made or written (a read-only disk, a full one, a file in its place) is said in
    one line before anything starts. It ended the run with a traceback as the first session
    began, the stream already out (exit 1)."""
    from anchordesk.core.disk import cannot_write, describe_error
    from anchordesk.core.paths import user_data_dir

    advice = "give --session PATH on a disk that can be written"
    try:
        folder = user_data_dir()
    except OSError as error:
        where = error.filename if isinstance(error.filename, str) else "the user's data folder"
        raise UserError(
            f"the session cannot be kept: {describe_error(where, error)}; {advice}"
        ) from None
    if problem := cannot_write(folder / f".anchordesk-write-test-{os.getpid()}"):
        raise UserError(f"the session cannot be kept in {folder}: {problem}; {advice}")
    # A disk that takes that small file but not SQLite's (a full one: it had no room for the
    # session's pages) refused the session only once the recording had begun: "--session: the
    # disk … is full", an option the user never gave, exit 2 and a stray recording.
    from anchordesk.store.session import StoreError

    sessions = folder / "sessions"
    try:
        sessions.mkdir(exist_ok=True)
        # A name of this process's own: two runs started at once must not try the same file.
        _try_a_new_session(sessions / f".anchordesk-write-test-{os.getpid()}.adsession")
    except StoreError as error:
        raise UserError(f"the session cannot be kept in {sessions}: {error}; {advice}") from None
    except OSError as error:
        raise UserError(
            f"the session cannot be kept: {describe_error(sessions, error)}; {advice}"
        ) from None


def _try_a_new_session(path: Path) -> None:
    """A new session made once at ``path``, as a try, and removed (StoreError when SQLite
    cannot make one there)."""
    from anchordesk.store.session import SessionStore
    from anchordesk.store.session_restore import remove_with_logs

    try:
        SessionStore(path).close()
    finally:
        remove_with_logs(path)


def _check_session_file(path: Path) -> None:
    """``--session PATH`` tried before the picture starts (else a refusal comes after the
    recording has begun and leaves a stray file): a folder, a file that is no session, or a
    session another running AnchorDesk writes is a user's mistake, said in one line."""
    from anchordesk.store import session_lock
    from anchordesk.store.session import SessionStore, StoreError, refuse_if_locked

    try:
        session_lock.acquire(path)
    except session_lock.SessionInUse as error:
        raise UserError(f"--session: {error}") from None
    try:
        if path.is_file() and path.stat().st_size > 0:
            SessionStore(path, read_only=True).close()
            refuse_if_locked(path)  # another program's lock, said before the recording starts
        elif not os.path.lexists(path) and path.parent.is_dir():
            # A new session is made once, as a try, and removed: a disk that takes the small
            # file `cannot_write` tries but not SQLite's (the session, its write-ahead log
            # and its index: a disk out of free inodes, a few kB left) refused it only after
            # the recording had begun (exit 2, "nothing was started", and a stray recording).
            _try_a_new_session(path)
    except StoreError as error:
        raise UserError(f"--session: {error}") from None
    finally:
        # Taken again, and held, when the session opens: this was only a look.
        session_lock.release(path)
