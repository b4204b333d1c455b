"""The command handlers of ``anchordesk``: gui, live, devices, report and audience.

They only parse what the user gave, call ``anchordesk.live`` (which wires every part, for the
window and the command line alike) and print the outcome in one line.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import logging
import os
import shlex
import signal
import stat
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from anchordesk.core import logs
from anchordesk.core.errors import FatalError, UserError
from anchordesk.core.words import counted
from anchordesk.live.options import LiveOptions
from anchordesk.live.snapshot import SessionMode

if TYPE_CHECKING:
    from anchordesk.cli.control import ControlAddress
    from anchordesk.cli.stopping import StopRequests
    from anchordesk.live.show import LiveShow
    from anchordesk.media.layers import OverlaySource

log = logging.getLogger("anchordesk")

# --- commands --------------------------------------------------------------------------------


def _say(text: str, *, error: bool = False) -> None:
    """Print one line; a terminal that hung up (SIGHUP) or a full stdout must not turn a
    clean stop into a traceback. The line names files the user chose: a newline or an ESC in
    a --record name is printed escaped, as the log does (it forged a line and retitled the
    terminal)."""
    from anchordesk.core.printable import escape_controls

    # Never waits for a terminal paused with Ctrl+S, or a pipe nobody reads: the run's last
    # lines would hold the process past its stop for as long (core/logs.py).
    stream = sys.stderr if error or _standard_output_taken else sys.stdout
    logs.console_write(escape_controls(text) + "\n", stream)


#: Standard output carries the recording, --stats or the session (``--record /dev/stdout``,
#: ``--session /dev/stdout > s.adsession``: its lines made the file no database): the run's own
#: lines go to standard error, as FFmpeg's do ("Recording kept in …" was written into the
#: middle of the Matroska file, and among the JSON lines of --stats).
_standard_output_taken = False


class _StoppedDuringStartUp(Exception):
    """A stop request came before the picture started: nothing is left to finish."""


async def _run_until_stopped(
    show: LiveShow, stops: StopRequests, control: ControlAddress | None = None
) -> None:
    stop = asyncio.Event()
    stops.attach(stop)
    server = None
    try:
        # The session's feeds poll on this same loop; it ends with the run and its file is
        # closed.
        mode = SessionMode.LIVE if show.media.options.destinations else SessionMode.REHEARSAL
        session = show.begin_session(mode)
        if session is not None:
            count = session.ledger.orders + session.comment_count
            _say(
                f"Session: {session.path}"
                + (
                    f" (continuing: {counted(session.ledger.orders, 'order')} and"
                    f" {counted(session.comment_count, 'comment')} already kept)"
                    if count
                    else ""
                )
            )
        board = asyncio.create_task(_watch_board(show, stop))
        try:
            if control is not None:
                from anchordesk.cli.control import start_control

                server = await start_control(show, control)
            await show.media.run(stop)
        finally:
            if not stops.requested:
                # --seconds reached (or the picture failed): the same stop, the same budget.
                stops.request(
                    f"--seconds {show.media.options.seconds:g} reached"
                    if show.media.options.seconds
                    else "the picture ended"
                )
            stop.set()
            if server is not None:
                # The remote's connections close first: no command lands in a closing session.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(server.stop(), max(0.1, stops.time_left_s() / 4))
            await board
            await _finish(show, stops)
    finally:
        stops.detach()


async def _watch_board(show: LiveShow, stop: asyncio.Event, every_s: float = 1.0) -> None:
    """Read the snapshot as the window does, so the data board's prompts fire headless too
    (each is logged and kept in the session for the report)."""
    while not stop.is_set():
        try:
            show.snapshot()
        except Exception:  # the board must never end the show
            log.exception("the data board failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


async def _finish(show: LiveShow, stops: StopRequests) -> None:
    """The picture and its outputs, and the session (feeds, store), stop side by side within
    what is left of the stop budget."""
    media_stopped: concurrent.futures.Future[None] = concurrent.futures.Future()

    def stop_media() -> None:
        try:
            show.media.stop(stops.time_left_s())
        finally:
            media_stopped.set_result(None)

    threading.Thread(target=stop_media, name="stop the picture", daemon=True).start()
    path = await show.end_session(stops.time_left_s())
    if path is not None and show.session is not None and show.session.writer.lost is None:
        from anchordesk.store.session_open import pending_log

        wal = pending_log(path)
        beside = "" if wal is None else f" with {wal.name} beside it (copy or move them together)"
        named = _file_behind(path)
        if named is None:
            _say(f"Session kept in {path}")
        else:
            # Quoted for the shell, to be pasted as it is ("my show's night.adsession" was
            # two words and an open quote); a name starting with "-" after "--", or it is
            # read as an option ("anchordesk report -night.adsession": "the following
            # arguments are required: session").
            command = shlex.quote(str(named))
            if command.startswith("-"):
                command = f"-- {command}"
            _say(f"Session kept in {named}{beside}; report: anchordesk report {command}")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.wrap_future(media_stopped), stops.time_left_s() + 0.2)


def _file_behind(path: Path) -> Path | None:
    """The file a session written to ``path`` is in, as a later command can name it: the
    real file behind /dev/fd/N, /dev/stdout or /proc/self/fd/N (``--session /dev/fd/1 > s``
    suggested "anchordesk report /dev/fd/1", the new shell's own output), None when there is
    no such file to name."""
    if not str(path).startswith(("/dev/", "/proc/")):
        return path
    real = Path(os.path.realpath(path))
    if str(real).startswith(("/dev/", "/proc/")) or not real.is_file():
        return None
    return real


def _recording_line(path: Path, size_bytes: int) -> str:
    """Where the recording is, in words that do not promise a file where none is: "Recording
    kept in /dev/stdout" was said of a recording sent into a pipe (``| ffplay -``), a FIFO or
    /dev/null, kept nowhere; of ``--record /dev/stdout > show.mkv`` the file is named, as the
    session's line names it."""
    from anchordesk.media.disk_space import format_bytes

    size = format_bytes(size_bytes)  # as the window and the phone write it ("1.2 GB")
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None  # gone since: the recording's own lines said so
    if mode is None or stat.S_ISREG(mode):
        return f"Recording kept in {_file_behind(path) or path} ({size})"
    kind = "a pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    return f"Recording sent to {path} ({kind}, {size}): no file of it is kept here"


class _EventLoop(asyncio.SelectorEventLoop):
    """The run's loop. One that could not be made (no file descriptor left for its selector
    or its self-pipe) is no loop to close: CPython's close() raised AttributeError
    ('_ssock') from its __del__, a second traceback after the first."""

    def close(self) -> None:
        if hasattr(self, "_ssock"):
            super().close()


def _event_loop() -> asyncio.Runner:
    """The run's event loop, made before anything is written. Out of file descriptors (``ulimit
    -n`` low, or used up), making it failed after the recording and the stream had started:
    an OSError traceback, exit 1, a recording of a few frames."""
    runner = asyncio.Runner(loop_factory=_EventLoop)
    try:
        runner.get_loop()
    except OSError as error:
        runner.close()
        why = error.strerror or str(error)
        if error.errno == errno.EMFILE:
            import resource

            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
            why = f"too many open files (this process may open {soft}: raise it, ulimit -n)"
        raise FatalError(f"anchordesk live: the run cannot start: {why}") from None
    return runner


def run_live(
    options: LiveOptions,
    extra_overlays: Sequence[OverlaySource] = (),
    control: ControlAddress | None = None,
    studio: bool = False,
) -> int:
    """``anchordesk live``. Exit codes: 0 when every file is whole, 2 for a user's mistake
    (before anything starts), 3 when the show ran but something was lost: a file stopped being
    written (a full or read-only disk: the recording, --stats, the session store or the log),
    or a destination never went live; 1 when the run could not go on."""
    from anchordesk.cli import stopping
    from anchordesk.core.disk import FAULT_EXIT_CODE

    stops = stopping.current()

    from anchordesk.core.disk import own_descriptor
    from anchordesk.media import devices

    global _standard_output_taken
    _standard_output_taken = any(
        path is not None and own_descriptor(path) == 1
        for path in (
            options.record_path if options.record else None,
            options.stats_path,
            options.session_path,
        )
    )

    # A hung sound server is waited for no longer than a stop request allows.
    devices.stop_waiting_when(lambda: stops.requested)

    def not_stopped() -> None:
        # Between the steps of the start-up (each well under the stop budget): a request that
        # came meanwhile ends the run here, before anything else is built or started.
        if stops.requested:
            raise _StoppedDuringStartUp

    show: LiveShow | None = None
    try:
        # As main armed it (one that came meanwhile ends the process now): cli/stopping.py.
        stopping.end_at_once_from_now_on()
        if control is not None:
            # A port another program holds is refused before anything starts: found only once
            # the loop ran, the run stopped with a recording and a session begun (exit 2).
            from anchordesk.control.server import check_listen

            check_listen(control.host, control.port)
        not_stopped()
        from anchordesk.live.factory import build_live_show, plan_from_options
        from anchordesk.media.network_output import destination_names

        stops.at_once = None  # the plan tries the files it will write (small test files)
        not_stopped()
        for name in destination_names(options.destinations):
            log.info("destination: %s", name)
        plan = plan_from_options(options)
        stopping.end_at_once_from_now_on()
        not_stopped()
        show = build_live_show(options, plan, extra_overlays=extra_overlays)
        if studio:
            show.set_studio_mode(True)  # before the first session: it begins holding the picture
        not_stopped()
        show.preload_images()  # before the loop and the picture start
        for feed in options.feeds:
            from anchordesk.feeds.hub import describe_feed

            log.info("feed: %s", describe_feed(feed))
        if plan.keep_store or plan.show is not None:
            # The session's store, feeds and HTTP stack (~0.5 s of imports) load here, where a
            # stop request is seen at once, not inside the first session's start.
            import importlib

            importlib.import_module("anchordesk.live.show_session")
        not_stopped()
        with _event_loop() as runner:  # made before the files begin: it needs descriptors
            stops.at_once = None  # the files begin here
            not_stopped()
            show.media.start()
            runner.run(_run_until_stopped(show, stops, control))
    except _StoppedDuringStartUp:
        stops.at_once = None
        if stopping.current_is_the_programs():
            # Nothing of the run was written: the process ends now (the interpreter's own exit
            # took 2-3 s on a loaded machine), as at a request in the middle of a step.
            stopping.end_at_once(stops.reason or "a stop request")
        log.info("%s during start-up: stopped before the picture started", stops.reason)
    finally:
        stops.at_once = None
        devices.stop_waiting_when(lambda: False)  # this run's stop must not cut a later probe
        if show is not None:
            show.media.stop(stops.time_left_s())
            session = show.session
            if session is not None and not session.ended:
                # At least a second, whatever the media's stop left of the budget: committing
                # the queued events takes milliseconds, but on a loaded machine the recording's
                # trailer can use up the 2 s, and the store's last events are worth the wait.
                from anchordesk.live.show import STORE_CLOSE_AT_LEAST_S

                session.close_store(max(stops.time_left_s(), STORE_CLOSE_AT_LEAST_S))
    if stops.requested:
        log.info(
            "stopped %.2f s after the request (%s)", stops.seconds_since() or 0.0, stops.reason
        )
    faults = show.media.write_faults() if show is not None else []
    if show is not None and show.session is not None:
        writer = show.session.writer
        # A file lost (deleted, not written again) is the one thing to say: it is the end
        # of the fault that stopped its writes, if one did.
        if fault := writer.lost or writer.fault:
            faults.append(fault)
    # A destination that never went live is a show nobody saw there: as much a loss as a
    # recording cut short, and a script that checks the exit code must learn of it.
    unseen = show.media.streams_never_live(show.streams_kept) if show is not None else []
    # Where the show is kept, and how long each stream was out, whatever else was lost (a
    # stream that never went live, the log): a whole recording is what is left of the show
    # then. A recording with a gap is named by its own error lines instead.
    from anchordesk.media.packets import OutputState

    for output in show.media.outputs if show is not None else []:
        status = output.status()
        whole = not status.gaps and status.state is not OutputState.FAILED
        if status.kind == "recording" and status.bytes_written and whole:
            path = getattr(output, "path", output.name)
            _say(_recording_line(Path(path), status.bytes_written))
    for line in show.media.streams_summary(show.streams_kept) if show is not None else []:
        _say(line)
    # The lines above written (or not: standard output into a file on a full disk), so that
    # the log's fault, or standard output's, is known.
    logs.drain_console(0.25)
    if (log_fault := logs.write_fault()) is not None:
        faults.append(log_fault)
    for line in unseen:
        # The terminal may be gone (SIGHUP): the log file is then where this is read.
        log.error("%s", line, extra={logs.FILE_ONLY: True})
    if faults or unseen:
        for fault in [*faults, *unseen]:
            _say(f"error: {fault}", error=True)
        lost = []
        if faults:
            # "not whole", not "stopped early": a recording that went on in a new file after a
            # full disk has a gap, and is not whole either.
            lost.append(
                f"{'a file' if len(faults) == 1 else 'files'} of this run "
                f"{'is' if len(faults) == 1 else 'are'} not whole"
            )
        if unseen:
            lost.append(f"{'a stream' if len(unseen) == 1 else 'streams'} never went live")
        _say(
            f"error: the show went on, but {' and '.join(lost)} (exit code {FAULT_EXIT_CODE})",
            error=True,
        )
        return FAULT_EXIT_CODE
    return 0


def run_devices() -> int:
    from anchordesk.media.devices import format_device_list, list_cameras, list_microphones

    print(format_device_list(list_cameras(), list_microphones()))
    return 0


def _has_display() -> bool:
    """Whether Qt can open a window here. Without one Qt aborts the process with a page of
    plugin messages; a user deserves one line that says what to do instead."""
    import os

    if os.environ.get("QT_QPA_PLATFORM"):
        return True  # the user chose a platform (offscreen, vnc, wayland...) on purpose
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_gui(show_path: Path | None = None, held: list[int] | None = None) -> int:
    if not _has_display():
        raise FatalError(
            "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset): run it "
            "in a desktop session, or use `anchordesk live` for a headless run"
        )
    # Held from here: loading the window's modules (PySide6) takes a second or more, and a
    # Ctrl+C, SIGTERM or SIGHUP then was a KeyboardInterrupt traceback (or "Fatal Python error"
    # inside the import, exit -6), or the default kill. The window closes at once instead.
    # ``held``: the list ``main`` already notes them in, from before this module loaded.
    if held is None:
        held = []
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            number = getattr(signal, name, None)
            # One the program was started to ignore (``nohup``) stays ignored.
            if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
                signal.signal(number, lambda number, _frame: held.append(number))
    if held:
        return 0  # asked to end before anything started: nothing to open, nothing to close
    from anchordesk.ui.main_window import run_window

    result: int = run_window(show_path, held_signals=held)
    return result


def _page_would_replace(page: Path, session: Path) -> str | None:
    """Why writing the page at ``page`` would destroy something, or None. ``report --html
    S.adsession S.adsession`` (or a link to it) wrote the page over the session itself, and
    ``--html show.json`` over the show: a page is written over an earlier page only."""
    try:
        target = page.resolve()
        kept = session.resolve()
        if target in (kept, *(kept.with_name(kept.name + end) for end in _SQLITE_SIDE_FILES)):
            return "that is the session file (the page would replace it): choose another name"
        if not target.is_file():
            return None
        with target.open("rb") as file:
            start = file.read(64).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    except (OSError, RuntimeError):
        return None  # writing says what is wrong with the path
    if start and not start.startswith((b"<!doctype html", b"<html")):
        return "the file exists and is not a page: choose another name (nothing written)"
    return None


_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _no_folder_for(page: Path) -> str | None:
    """Why the page cannot be written where it is asked: its folder does not exist. The page
    made every missing folder of its path (``--html reprots/2026/r.html``, a typo, made
    ``reprots/2026``) and said nothing of it. The folder the page lands in: a link's target's
    (a dangling ``r.html -> /gone/x.html`` made ``/gone`` and wrote the page there)."""
    try:
        folder = page.resolve().parent
    except (OSError, RuntimeError):  # a loop of links (RuntimeError on 3.11): the write says it
        folder = page.absolute().parent
    not_a_folder = f"{folder} is not a folder: give a page in a folder"
    try:
        mode = os.stat(folder).st_mode
    except FileNotFoundError:
        return f"the folder {folder} does not exist: make it, or give a page in a folder that does"
    except NotADirectoryError:  # a file on the way: it was "cannot write (File exists)"
        return not_a_folder
    except OSError:
        return None  # writing says what is wrong with the path
    return None if stat.S_ISDIR(mode) else not_a_folder


def _write_page(path: Path, page: str) -> None:
    """Write the page; into a named pipe only while a program reads it (``--html >(…)``).
    Opened as a file, a pipe nobody reads waited for a reader for ever: ``report --html
    FIFO`` hung (ENXIO now, said in words). A file is replaced whole or not at all: written
    in place, a disk that filled left last week's page replaced by a page cut mid-tag."""
    from anchordesk.core.files import write_text_atomically

    try:
        kind = os.stat(path).st_mode
    except OSError:
        kind = None  # nothing there yet (or unreachable: the write says why)
    if kind is None or stat.S_ISREG(kind):
        try:
            target = path.resolve()
        except RuntimeError:  # a loop of links (3.11): it came out as a traceback
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path)) from None
        write_text_atomically(target, page)
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(path, flags, 0o666)
    with contextlib.suppress(AttributeError):  # Windows: no O_NONBLOCK to take back
        os.set_blocking(descriptor, True)
    with open(descriptor, "w", encoding="utf-8") as file:
        file.write(page)


def run_report(
    session_path: Path,
    as_json: bool = False,
    html_path: Path | None = None,
    language: str | None = None,
) -> int:
    """Print the report (text or JSON) and write the page. The words, numbers, dates and money
    are in ``language``; without one, in the user's (the locale the environment names), and
    when it names none ("C", unset: a server), in the show's own language."""
    from anchordesk.core.printable import escape_controls
    from anchordesk.store import StoreError
    from anchordesk.store.report import build_report, report_text
    from anchordesk.store.report_html import report_html
    from anchordesk.store.report_i18n import (
        REPORT_LANGUAGES,
        environment_language,
        option_language,
        text,
    )

    if language is not None:
        asked, language = language, option_language(language)
        if language is None:
            choices = ", ".join(REPORT_LANGUAGES)
            raise UserError(
                f"anchordesk report --lang {asked}: choose one of {choices} "
                "(or a locale name such as ja_JP.UTF-8)"
            )
    if html_path is not None and (
        problem := _page_would_replace(html_path, session_path) or _no_folder_for(html_path)
    ):
        raise UserError(f"anchordesk report --html {html_path}: {problem}")
    try:
        report = build_report(session_path)
    except StoreError as error:
        raise UserError(f"anchordesk report: {error}") from None
    chosen = language or environment_language() or report.language
    if html_path is not None:
        try:
            _write_page(html_path, report_html(report, chosen))
        except OSError as error:
            reason = (
                "a named pipe that no program reads"
                if error.errno == errno.ENXIO
                else error.strerror
            )
            from anchordesk.core.disk import is_disk_fault

            raise (FatalError if is_disk_fault(error) else UserError)(
                f"anchordesk report --html {html_path}: cannot write ({reason})"
            ) from None
    if as_json:
        # Machine-readable: amounts stay decimal strings with their currency, codes stay codes;
        # what a terminal would act on (C1 controls, bidi overrides) written as JSON escapes.
        from anchordesk.core.printable import terminal_json

        print(terminal_json(report.to_json()))
    else:
        print(report_text(report, chosen))
        if html_path is not None:
            # Escaped, as every line naming a file the user chose (_say): an ESC in the page's
            # name was printed raw here (the line cleared the screen), the only such line.
            shown = escape_controls(str(html_path))
            print("\n" + text(chosen, "page_written", path=shown))
    return 0


def run_audience(show_path: Path, port: int = 0, seed: int = 1, rate: float = 2.0) -> int:
    from anchordesk.feeds.audience import AudienceServer, AudienceSimulator
    from anchordesk.showfile.files import load_show

    show = load_show(show_path)
    if not show.rundown:
        raise UserError(f"{show_path}: the show has no rundown for the audience to follow")
    simulator = AudienceSimulator(show, seed=seed, rate_per_s=rate)
    # The handler before the server's socket listens (its constructor binds and listens): a
    # client that connects and sends SIGTERM at once killed the process by the default action
    # (exit -15, nothing said) when the signal came before the handler was set (seen twice
    # under load, the second time in CI with the handler set just after the constructor).
    stop = threading.Event()
    with contextlib.suppress(ValueError):  # not the main thread (tests)
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        server = AudienceServer(simulator, port=port)
    except OSError as error:
        raise UserError(f"anchordesk audience --port {port}: {error.strerror or error}") from None
    server.start()
    # Through the console writer: print() into a pipe nobody reads (a log collector that
    # hangs, a terminal paused with Ctrl+S) blocked the main thread for ever, deaf to SIGTERM
    # (its handler only sets ``stop``), the server serving on.
    _say(f"Rehearsal audience for {show.title!r} at {server.url}")
    _say(f"  use it with: anchordesk live --show {show_path} --feed json={server.url}")
    _say("  Ctrl+C stops it.")
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    from anchordesk.core.money import format_money, listed_amounts

    # Each currency apart, by the rule of the window and the report ("$70.00 + €139.97").
    gmv = " + ".join(
        format_money(amount, code, show.language)
        for code, amount in listed_amounts(simulator.gmv_by_currency.items(), show.currency)
    )
    _say(
        f"Served {counted(simulator.comments_made, 'comment')} and "
        f"{counted(simulator.orders_made, 'order')} (GMV {gmv})."
    )
    return 0
