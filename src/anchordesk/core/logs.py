"""The log: a rotating file in the user's log folder, secret masking on every record, and a
file for native crashes.

Started from the desktop menu, AnchorDesk has no terminal: without a file, a traceback or a
crash vanishes. ``setup_logging`` (called once by ``anchordesk.cli.main``) writes

- ``anchordesk.log`` in :func:`anchordesk.core.paths.user_log_dir` (Linux:
  ``~/.local/state/AnchorDesk/log``), rotated at 2 MB with 4 old files kept, at info level
  (debug with ``--verbose``); stderr gets the same lines, as before;
- ``crash-<time>-<pid>.txt`` next to it, where :mod:`faulthandler` dumps every thread's Python
  stack when the process dies of a native fault (a segfault in Qt, FFmpeg or PortAudio). An
  empty one is removed at a clean exit, so the ones that stay are real crashes.

Secrets: a stream key must never reach a log line, whatever module logs it and whatever handler
prints it. A filter on the root *logger* alone would not do it: Python applies a logger's
filters only to records made by that very logger, not to the ones its children propagate.
:class:`SecretMaskingFilter` is therefore also installed as the record factory, so every record
is masked once when it is made (before any handler, ours or a library's, can format it) and on
the root logger and its handlers as well. It masks every URL the way
:func:`anchordesk.core.redact.mask_url` does (the key of an rtmp URL, credentials, token query
parameters), ``Bearer`` tokens, ``key=value`` pairs named like secrets, and any value passed to
:func:`register_secret` (a key read from the keyring, stdin or the environment).
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import faulthandler
import logging
import logging.handlers
import os
import platform
import re
import shutil
import stat
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NoReturn

from anchordesk.core import paths
from anchordesk.core.disk import (
    DiskProblem,
    describe_error,
    disk_problem,
    error_words,
    make_folder_again,
    no_name_left,
    not_a_file,
    own_descriptor,
)
from anchordesk.core.printable import escape_controls
from anchordesk.core.redact import mask_urls
from anchordesk.core.words import Words

LOG_FILE_NAME = "anchordesk.log"
LOG_MAX_BYTES = 2_000_000
LOG_BACKUP_COUNT = 4
CRASH_FILE_PREFIX = "crash-"
#: Native crash reports kept (the newest); empty ones left by a killed process go after a day.
CRASH_FILES_KEPT = 10
EMPTY_CRASH_FILE_MAX_AGE_S = 24 * 3600
CRASH_ANNOUNCED_MARKER = ".crash-announced"  # mtime: the newest report already said

_MASK = "****"
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}", re.I)
_SECRET_PAIR = re.compile(
    r"(?i)\b((?:stream[_-]?)?key|token|secret|password|passwd|api[_-]?key|access[_-]?token)"
    r"(\s*[:=]\s*['\"]?)([^\s'\",;&]{4,})"
)
_SENTENCE_PUNCTUATION = ".:!?)]}"
_HANDLER_MARK = "_anchordesk_handler"
#: ``extra={FILE_ONLY: True}``: a line for the log file only (the CLI prints its one-line errors
#: to stderr itself; the console must not print them a second time).
FILE_ONLY = "anchordesk_file_only"
_MASKED_MARK = "_anchordesk_masked"
#: Set on the exception hook installed here (the window's crash reporter chains past it).
HOOK_MARK = "_anchordesk_hook"

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Mask ``value`` wherever it appears in a log line from now on (a stream key or token the
    program holds). Values under 4 characters are ignored: masking them would shred text."""
    value = value.strip()
    if len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)


def _masked_pair(match: re.Match[str]) -> str:
    """``token=VALUE`` with the value masked. A value masked already (a URL's query, masked by
    the rule above) keeps the punctuation that follows it in the sentence: the status line
    "rtmp://host/live/****?token=****: live" was "...?token=**** live"."""
    value = match.group(3)
    after = value[len(_MASK) :] if value.startswith(_MASK) else ""
    if after.strip(_SENTENCE_PUNCTUATION):
        after = ""
    return f"{match.group(1)}{match.group(2)}{_MASK}{after}"


def mask_text(text: str) -> str:
    """``text`` with URLs masked, secret-looking pairs and tokens hidden, known secrets replaced."""
    if not text:
        return text
    text = mask_urls(text)
    text = _BEARER.sub(lambda match: f"{match.group(1)} {_MASK}", text)
    text = _SECRET_PAIR.sub(_masked_pair, text)
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)  # longest first: a key inside a key
    for secret in known:
        text = text.replace(secret, _MASK)
    return text


class SecretMaskingFilter(logging.Filter):
    """Rewrites a record so that its message, traceback and stack carry no secret, and its
    message no control character (escaped, so one record stays one line).

    It formats the message once (``msg % args``) and keeps the masked text as the message, so a
    handler formatting it later cannot bring an argument back; the traceback text is cached
    masked in ``exc_text``, which ``logging.Formatter`` uses instead of formatting it again.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _MASKED_MARK, False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: show it raw rather than lose the record
            message = f"{record.msg!s} {record.args!r}"
        # Control characters escaped too: an order id with a newline must not forge a line, an
        # ESC sequence must not drive the terminal that shows the log (core/printable.py).
        record.msg = escape_controls(mask_text(message))
        record.args = None
        if isinstance(record.threadName, str):
            # A thread is named after what it serves: a recording after its file, whose name
            # may hold a C1 control or a byte that is not UTF-8 (in the log file's lines).
            record.threadName = escape_controls(record.threadName)
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        setattr(record, _MASKED_MARK, True)
        return True


_filter = SecretMaskingFilter()
_base_factory: Callable[..., logging.LogRecord] | None = None


def _masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _base_factory is not None
    record = _base_factory(*args, **kwargs)
    _filter.filter(record)
    return record


def install_masking() -> None:
    """Mask every record from now on (idempotent)."""
    global _base_factory
    if logging.getLogRecordFactory() is not _masking_factory:
        _base_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_masking_factory)
    root = logging.getLogger()
    if _filter not in root.filters:
        root.addFilter(_filter)


def _is_pipe(path: str) -> bool:
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return False


class _LogFileHandler(logging.handlers.RotatingFileHandler):
    """The rotating log file; on a full or read-only disk it stops alone and says so once.

    ``logging`` would print a "--- Logging error ---" traceback to stderr for every record
    after that (many a second during a show) while the show itself is fine.
    """

    fault: str | None = None
    fault_words: Words | str | None = None  # the same reason alone, for a window to say

    def _open(self) -> Any:
        """The log file, opened without waiting, and never a pipe or a socket: a pipe at its
        name (made to follow the log elsewhere) was opened by ``logging`` with a blocking
        open that waited for a reader for ever, before the run's first line and deaf to
        SIGTERM."""
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0)
        try:
            if (own := own_descriptor(self.baseFilename)) is not None:
                # A link to /dev/stdout (as containers' images make): the same open file as
                # the one the program prints to, its offset shared. Opened anew, the log
                # appended at the end while the program's lines went at their own offset,
                # over the log's first lines (`anchordesk live > run.txt`).
                descriptor = os.dup(own)
            else:
                descriptor = os.open(self.baseFilename, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as error:
            if error.errno == errno.ENXIO and _is_pipe(self.baseFilename):
                # A pipe no program reads (O_NONBLOCK's answer); a device gives ENXIO too
                # (a link to /dev/tty where there is no terminal: it was said "a pipe").
                raise _FolderProblem(
                    f"the log file {self.baseFilename} is a pipe, not a file"
                ) from None
            raise
        try:
            mode = os.fstat(descriptor).st_mode
            # A device is taken (a link to /dev/null silences the file; /dev/full is said
            # full as a disk is); a pipe or a socket would block the show's threads.
            if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode)):
                raise _FolderProblem(
                    f"the log file {self.baseFilename} is {not_a_file(mode)}, not a file"
                )
            with contextlib.suppress(AttributeError):  # Windows: nothing to take back
                os.set_blocking(descriptor, True)
            return open(descriptor, "a", encoding=self.encoding, errors=self.errors)
        except BaseException:
            os.close(descriptor)
            raise

    _looked_at_s = float("-inf")

    def emit(self, record: logging.LogRecord) -> None:
        if self.fault is None:
            self._written_again_if_deleted()
        if self.fault is None:
            super().emit(record)

    def _written_again_if_deleted(self) -> None:
        """The log file deleted while the run wrote it (its folder cleaned up): the lines went
        into a file with no name, gone at the end, and nothing was said, while the recording,
        --stats and the session are written again. The same here: what was written is copied
        to its name again (the folder made again), said once, and the lines go on there;
        when that is impossible the log stops and says why. Looked at once a second."""
        stream = self.stream
        now_s = time.monotonic()
        if stream is None or now_s - self._looked_at_s < 1.0:
            return
        self._looked_at_s = now_s
        try:
            if not no_name_left(stream.fileno()) or not os.path.isdir("/proc/self/fd"):
                return
        except (OSError, ValueError):
            return
        try:
            stream.flush()
            make_folder_again(Path(self.baseFilename).parent)
            # Another program that logs here (a second run, `anchordesk report`) may have
            # written it again first, with the same lines: they are not copied twice.
            taken = os.path.lexists(self.baseFilename)
            written_again = self._open()
            try:
                if not taken:
                    with open(f"/proc/self/fd/{stream.fileno()}", "rb") as old:
                        shutil.copyfileobj(old, written_again.buffer, 1 << 20)
                written_again.flush()
            except BaseException:
                written_again.close()
                raise
        except (OSError, _FolderProblem) as error:
            self._stop(error, "was deleted, or its disk went away, and cannot be written again: ")
            return
        self.stream = written_again
        with contextlib.suppress(OSError, ValueError):
            stream.close()
        _crash_file_again()
        logging.getLogger("anchordesk").warning(
            "the log file %s was deleted, or its disk went away, while the run wrote it: written "
            "again; the lines go on",
            self.baseFilename,
        )

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, OSError | _FolderProblem) or self.fault is not None:
            super().handleError(record)
            return
        self._stop(error)

    def _stop(self, error: OSError | _FolderProblem, how: str = "") -> None:
        # _FolderProblem: the file was swapped for a pipe or a socket before a rotation.
        self.fault_words = (
            str(error)
            if isinstance(error, _FolderProblem)
            else error_words(self.baseFilename, error)
        )
        self.fault = f"log file {self.baseFilename}: stopped writing: {how}{self.fault_words}"
        _crash_file_again()
        stream, self.stream = self.stream, None
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.close()
        # The console (and any other handler) says it; this one is silent from now on.
        logging.getLogger("anchordesk").error("%s; the show goes on", self.fault)


#: What a terminal or a pipe that is not being read may hold back, in characters; lines past it
#: are dropped (the log file keeps them) and their number said when it is read again.
CONSOLE_BACKLOG_CHARS = 64 * 1024
#: How long the end of a process waits for a terminal or a pipe to take its last lines.
CONSOLE_DRAIN_S = 0.5


class _ConsoleWriter:
    """Lines for a terminal, a pipe or a socket, written by a thread of their own, so that no
    thread of the program ever waits for them.

    A write to a terminal paused with Ctrl+S (or Ctrl+S by accident), or to a pipe whose
    reader stopped reading (`anchordesk live 2>&1 | some-tool` whose tool hangs, a stuck log
    collector), blocks once the system's small buffer is full. The log's console handler and
    the run's last lines wrote there from the show's own threads: the show's main loop (its
    --stats samples, the feeds, the stop) stood still, and a SIGTERM, Ctrl+C or --seconds was
    not obeyed until the terminal was read again (6 s after SIGTERM in the try, for ever for
    a reader that never comes back). Lines wait here instead, up to
    :data:`CONSOLE_BACKLOG_CHARS`; past that they are dropped, counted and said."""

    def __init__(self, stream: IO[str], descriptor: int, name: str) -> None:
        # Written with os.write, never through the stream object: a thread that flushes the
        # stream (Python at exit, a print) would wait on its lock while this one is blocked.
        self._descriptor = descriptor
        self._encoding = getattr(stream, "encoding", None) or "utf-8"
        self._name = name
        self._lines: list[str] = []
        self._size = 0
        self._dropped = 0
        self._writing = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._write_all, name="console", daemon=True)
        self._thread.start()

    def put(self, text: str) -> None:
        with self._changed:
            if self._size + len(text) > CONSOLE_BACKLOG_CHARS:
                self._dropped += 1
                return
            if self._dropped:
                text = self._dropped_note() + text
            self._lines.append(text)
            self._size += len(text)
            self._changed.notify_all()

    def _dropped_note(self) -> str:
        note = (
            f"... {self._dropped} line{'s' if self._dropped != 1 else ''} not shown here: "
            f"{self._name} was not being read (a terminal paused with Ctrl+S, or a pipe whose "
            "reader stopped); the log file has them\n"
        )
        self._dropped = 0
        return note

    def drain(self, timeout_s: float) -> bool:
        """Wait until every line is written, at most ``timeout_s``; False when the terminal or
        pipe still does not take them (the process may end all the same)."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while self._lines or self._writing or self._dropped:
                if self._dropped and not (self._lines or self._writing):
                    note = self._dropped_note()  # the last lines were dropped: say so
                    self._lines.append(note)
                    self._size += len(note)
                    self._changed.notify_all()
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def _write_all(self) -> None:
        while True:
            with self._changed:
                while not self._lines:
                    self._changed.wait()
                text = "".join(self._lines)
                self._lines.clear()
                self._writing = True
            try:
                # A console that is gone (a closed terminal, a full disk) is no fault of the
                # show: its lines are in the log file.
                with contextlib.suppress(OSError, LookupError):
                    data = memoryview(text.encode(self._encoding, "backslashreplace"))
                    try:
                        while data:
                            data = data[os.write(self._descriptor, data) :]
                    except OSError as error:
                        _console_stopped(self._name, self._descriptor, error)
                        raise
            finally:
                with self._changed:
                    self._size = max(0, self._size - len(text))
                    self._writing = False
                    self._changed.notify_all()


_console_writers: dict[int, _ConsoleWriter] = {}
_console_lock = threading.Lock()


def _console_writer(stream: IO[str]) -> _ConsoleWriter | None:
    """The writer of ``stream``'s terminal, pipe or socket; None for what cannot block (a
    file, or a stream without a descriptor, as tests give), written at once as before."""
    try:
        descriptor = stream.fileno()
        mode = os.fstat(descriptor).st_mode
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return None
    if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)):
        return None
    with _console_lock:
        writer = _console_writers.get(descriptor)
        if writer is None:
            name = {1: "standard output", 2: "standard error"}.get(descriptor, "the console")
            writer = _console_writers[descriptor] = _ConsoleWriter(stream, descriptor, name)
            if len(_console_writers) == 1:
                atexit.register(drain_console)
        return writer


def console_write(text: str, stream: IO[str]) -> None:
    """Write ``text`` to ``stream`` (standard output or error) without ever waiting for a
    terminal or a pipe that is not being read (:class:`_ConsoleWriter`)."""
    writer = _console_writer(stream)
    if writer is not None:
        writer.put(text)
        return
    with contextlib.suppress(OSError, ValueError):
        try:
            stream.write(text)
            stream.flush()
        except OSError as error:
            with contextlib.suppress(AttributeError, OSError, ValueError):
                descriptor = stream.fileno()
                _console_stopped(
                    {1: "standard output", 2: "standard error"}.get(descriptor, "the console"),
                    descriptor,
                    error,
                )
            raise


#: Why standard output or error stopped being written to a file or a device on a disk (full,
#: read-only): None while whole, and for a terminal or a pipe that went away (no fault of the
#: show: its lines are in the log file).
_console_fault: str | None = None


def _console_stopped(name: str, descriptor: int, error: OSError) -> None:
    """``anchordesk live > run.txt`` on a full disk: the run's last lines (where the recording
    and the session are kept, how each stream went) were lost without a word, exit 0. Said
    once, and it is the run's write fault (exit 3), as for every other writer."""
    global _console_fault
    if _console_fault is not None or disk_problem(error) not in (
        DiskProblem.FULL,
        DiskProblem.READ_ONLY,
    ):
        return
    where = name
    with contextlib.suppress(OSError):
        where = os.readlink(f"/proc/self/fd/{descriptor}")
    _console_fault = f"{name} {where}: stopped writing: {describe_error(where, error)}"
    logging.getLogger("anchordesk").error("%s; the show goes on", _console_fault)


def drain_console(timeout_s: float = CONSOLE_DRAIN_S) -> None:
    """Give the terminal and pipes the lines they hold, at most ``timeout_s`` in all (at the
    end of a command, and at exit)."""
    deadline = time.monotonic() + timeout_s
    # Without the lock: exit_now may come from a signal handler (a copy of a dict is one step).
    writers = list(_console_writers.values())
    for writer in writers:
        writer.drain(max(0.0, deadline - time.monotonic()))


_CONSOLE_FORMATTER = logging.Formatter(
    "%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"
)


class _ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The log's lines on stderr, through :func:`console_write`: never waits for a terminal
    that is not being read."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        console_write(text, self.stream)

    def flush(self) -> None:
        # A terminal's lines are given at exit by drain_console (registered with atexit):
        # logging.shutdown's flush must not wait for them a second time.
        if _console_writer(self.stream) is None:
            super().flush()


def write_fault() -> str | None:
    """Why the log file stopped being written in this run, or was never written (None while
    it is whole)."""
    if _setup_fault is not None:
        return _setup_fault
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _LogFileHandler) and handler.fault is not None:
            return handler.fault
    return _console_fault


def write_fault_words() -> Words | str | None:
    """Why the log file is not written (:func:`write_fault` without its English frame): Words
    a window says in its language, or the folder's English line."""
    if _setup_fault_words is not None:
        return _setup_fault_words
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _LogFileHandler) and handler.fault_words is not None:
            return handler.fault_words
    return None


@dataclass(frozen=True)
class LogSetup:
    """Where this run logs. ``log_file`` is None when the log folder could not be written."""

    log_file: Path | None
    crash_file: Path | None
    level: int


_current: LogSetup | None = None
# Why this run's log file could not be opened at all: as much a lost file as one that stopped
# (round eight: the run said "logging to stderr only" at its start, then exit 0).
_setup_fault: str | None = None
_setup_fault_words: Words | str | None = None
_crash_stream: IO[str] | None = None


def current_setup() -> LogSetup | None:
    """What ``setup_logging`` did in this process (the crash dialog shows the log's path)."""
    return _current


class _FolderProblem(Exception):
    """The log folder is no folder (said as such, not as the OS's "File exists"), or the log
    file no file (a pipe, a socket)."""


def _not_a_folder(folder: Path) -> str | None:
    """Why ``folder`` cannot hold the log, when it or a folder above it is a file (or cannot
    be reached): making it failed "File exists" or "Not a directory", which told nothing."""
    from anchordesk.core.disk import unreachable

    if (why := unreachable(folder)) is not None:
        return f"the log folder {folder} {why}"
    if folder.exists() and not folder.is_dir():
        return f"the log folder {folder} is a file, not a folder"
    return None


def setup_logging(
    *,
    verbose: bool = False,
    stderr: IO[str] | None = None,
    log_dir: Path | None = None,
    native_crashes: bool = True,
) -> LogSetup:
    """Log to the rotating file and to ``stderr`` (default ``sys.stderr``; None for none).

    Safe to call again (tests call ``main`` many times): the handlers of an earlier call are
    replaced, handlers others added (pytest's) are left alone.
    """
    global _current, _setup_fault, _setup_fault_words, _console_fault
    _setup_fault = _setup_fault_words = _console_fault = None
    install_masking()
    level = logging.DEBUG if verbose else logging.INFO
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    # httpx logs every request at INFO with its full URL: too chatty for a show (the feeds ask
    # every second), noise in `anchordesk control`'s one-line answers, and a URL may carry a
    # token a user pasted into it. Set here, for every command, not where a client is built.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)

    stream = sys.stderr if stderr is None else stderr
    if stream is not None:  # pythonw (the Windows gui-script) has no stderr at all
        console = _ConsoleHandler(stream)
        console.setFormatter(_CONSOLE_FORMATTER)
        console.addFilter(lambda record: not getattr(record, FILE_ONLY, False))
        _add_handler(root, console)

    log_file: Path | None = None
    crash_file: Path | None = None
    problem: str | None = None
    try:
        folder = log_dir or paths.user_log_dir(make=False)
        if (why := _not_a_folder(folder)) is not None:
            raise _FolderProblem(why)
        folder.mkdir(parents=True, exist_ok=True)
        log_file = folder / LOG_FILE_NAME
        file_handler = _LogFileHandler(
            log_file,
            maxBytes=LOG_MAX_BYTES,
            backupCount=LOG_BACKUP_COUNT,
            encoding="utf-8",
            # A field the message's escaping does not reach may hold a lone surrogate: the
            # thread named after a --record file whose name is not UTF-8 made every line of
            # that thread a "--- Logging error ---" traceback on stderr.
            errors="backslashreplace",
            delay=False,
        )
        file_handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s [%(process)d %(threadName)s] %(name)s: %(message)s"
            )
        )
        _add_handler(root, file_handler)
        if native_crashes:
            crash_file = _enable_faulthandler(folder)
    except _FolderProblem as error:
        said = str(error)
        problem = f"log file: {said}"
        _setup_fault = f"log file: never written: {said}"
        _setup_fault_words = said
        log_file = None
    except OSError as error:
        _setup_fault_words = error_words(error.filename or log_dir or "the log folder", error)
        said = str(_setup_fault_words)
        problem = f"log file: {said}"
        _setup_fault = f"log file: never written: {said}"
        log_file = None
    crash_too = bool(problem) and native_crashes and _crash_to_stderr()
    _current = LogSetup(log_file=log_file, crash_file=crash_file, level=level)

    log = logging.getLogger("anchordesk")
    if problem:
        log.warning(
            "%s; logging to stderr only%s", problem, " (a crash's report too)" if crash_too else ""
        )
    from anchordesk import __version__

    # Never the command line: a key given with --to would be in it.
    log.info(
        "AnchorDesk %s, Python %s on %s; log %s",
        __version__,
        platform.python_version(),
        platform.platform(terse=True),
        log_file,
        extra={FILE_ONLY: True},  # the file's record of each run; stderr stays as it was
    )
    return _current


def _add_handler(root: logging.Logger, handler: logging.Handler) -> None:
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(_filter)
    root.addHandler(handler)


def _enable_faulthandler(folder: Path) -> Path:
    """A fresh crash file for this process, handed to faulthandler; old ones are pruned."""
    global _crash_stream
    _prune_crash_files(folder)
    if _crash_stream is not None:  # set up again in the same process: keep the one we have
        return Path(_crash_stream.name)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"{CRASH_FILE_PREFIX}{stamp}-{_pid()}.txt"
    _crash_stream = path.open("w", encoding="utf-8")
    faulthandler.enable(_crash_stream, all_threads=True)
    atexit.register(_close_crash_file, path)
    return path


def _crash_to_stderr() -> bool:
    """No log folder to write in: a native crash's report goes to standard error (it went
    nowhere: the process ended with no word of why)."""
    try:
        sys.stderr.fileno()
        faulthandler.enable(sys.stderr, all_threads=True)
    except (AttributeError, OSError, ValueError, RuntimeError):
        return False  # no standard error (a window started without a console)
    return True


def _crash_file_again() -> None:
    """The log folder was deleted, or its disk went away, under the run: the crash file went
    with it, and a crash's report would be written into a file with no name. It is made again
    at its name (the log file was just written again beside it); when it cannot be, the report
    goes to standard error."""
    global _crash_stream
    stream = _crash_stream
    if stream is None:
        return
    try:
        if not no_name_left(stream.fileno()):
            return
    except (OSError, ValueError):
        pass
    path = Path(stream.name)
    again: IO[str] | None = None
    try:
        make_folder_again(path.parent)
        again = path.open("w", encoding="utf-8")
        faulthandler.enable(again, all_threads=True)
    except OSError:
        _crash_to_stderr()
    _crash_stream = again
    with contextlib.suppress(OSError, ValueError):
        stream.close()


def _pid() -> int:
    import os

    return os.getpid()


def exit_now(code: int, lines: Sequence[str] = ()) -> NoReturn:
    """End the process at once with ``code``: for a stop before anything was written, where
    the interpreter's own exit (its modules, threads and libraries taken down one by one) took
    seconds on a loaded machine. May be called from a signal handler, wherever the main thread
    was: ``lines`` (info lines of the program's logger, plain text) are formatted by the
    console's and the log file's own formatters but written without ``logging``'s handlers
    (whose locks the interrupted thread may hold) and without the masking record factory (it
    takes the secrets' lock); the console's lines are written first (at most
    ``CONSOLE_DRAIN_S``), the empty crash file removed."""
    records = [
        logging.LogRecord(
            "anchordesk", logging.INFO, __file__, 0, escape_controls(line), None, None
        )
        for line in lines
    ]
    writer = _console_writers.get(2)
    handlers = list(logging.getLogger().handlers)
    console = next((h for h in handlers if isinstance(h, _ConsoleHandler)), None)
    for record in records:
        said = _console_formatter(console).format(record) + "\n"
        if writer is not None:
            writer.put(said)
        elif not _console_fault:
            with contextlib.suppress(OSError):
                os.write(2, said.encode("utf-8", "backslashreplace"))
    for handler in handlers:
        if isinstance(handler, _LogFileHandler) and handler.fault is None and records:
            kept = "".join(handler.format(record) + "\n" for record in records)
            # By name, never waiting: a pipe put at the log's name (to follow it) was opened
            # here with a blocking open, from the signal handler, and the stop hung for good
            # after saying it had stopped. As _LogFileHandler._open: a file or a device only.
            flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NONBLOCK", 0)
            with contextlib.suppress(OSError):
                descriptor = os.open(handler.baseFilename, flags)
                try:
                    mode = os.fstat(descriptor).st_mode
                    if stat.S_ISREG(mode) or stat.S_ISCHR(mode):
                        os.write(descriptor, kept.encode("utf-8", "backslashreplace"))
                finally:
                    os.close(descriptor)
    drain_console()
    if _crash_stream is not None:
        _close_crash_file(Path(_crash_stream.name))
    os._exit(code)


def _console_formatter(console: logging.Handler | None) -> logging.Formatter:
    return (console.formatter if console is not None else None) or _CONSOLE_FORMATTER


def _close_crash_file(path: Path) -> None:
    """At a clean exit: nothing crashed, so the empty report goes."""
    global _crash_stream
    if _crash_stream is None:
        return
    faulthandler.disable()
    _crash_stream.close()
    _crash_stream = None
    try:
        if path.stat().st_size == 0:
            path.unlink()
    except OSError:
        pass


def _prune_crash_files(folder: Path) -> None:
    now = time.time()
    reports = []
    for path in folder.glob(f"{CRASH_FILE_PREFIX}*.txt"):
        try:
            info = path.stat()
        except OSError:
            continue
        if info.st_size == 0:
            # Left by a process that was killed (no atexit); a running one's is fresh.
            if now - info.st_mtime > EMPTY_CRASH_FILE_MAX_AGE_S:
                path.unlink(missing_ok=True)
        else:
            reports.append((info.st_mtime, path))
    reports.sort(reverse=True)
    for _, path in reports[CRASH_FILES_KEPT:]:
        path.unlink(missing_ok=True)
    _announce_new_crash(folder, reports[:CRASH_FILES_KEPT])


def _announce_new_crash(folder: Path, reports: list[tuple[float, Path]]) -> None:
    """Say once, in words, that an earlier run crashed and where its report is. Said on every
    start, the same old crash would be a line of noise before every command's own output
    (``show check``, ``report``) for as long as the file is kept; so a marker beside the
    reports remembers the newest one already said."""
    if not reports:
        return
    marker = folder / CRASH_ANNOUNCED_MARKER
    try:
        said_up_to = marker.stat().st_mtime
    except OSError:
        said_up_to = 0.0
    newest_at, newest = reports[0]
    unsaid = sum(1 for at, _ in reports if at > said_up_to)
    if not unsaid:
        return
    logging.getLogger("anchordesk").warning(
        "AnchorDesk crashed in %s (%s); the report is %s: please attach it to a bug report",
        "an earlier run" if unsaid == 1 else f"{unsaid} earlier runs",
        time.strftime("%Y-%m-%d %H:%M", time.localtime(newest_at)),
        newest,
    )
    try:
        marker.touch()
        os.utime(marker, (newest_at, newest_at))
    except OSError:
        pass  # a folder we cannot write: the log itself has said so


def crash_reports(folder: Path | None = None) -> list[Path]:
    """Native crash reports that hold a stack (newest first)."""
    folder = folder or paths.user_log_dir()
    found = [p for p in folder.glob(f"{CRASH_FILE_PREFIX}*.txt") if p.stat().st_size > 0]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def log_uncaught(
    kind: type[BaseException],
    value: BaseException,
    traceback: TracebackType | None,
    where: str = "uncaught exception",
) -> None:
    """Put an uncaught exception in the log (masked like any record)."""
    logging.getLogger("anchordesk").critical(where, exc_info=(kind, value, traceback))


def install_exception_hooks() -> None:
    """Uncaught exceptions of the main thread and of other threads go to the log too (the
    window's crash dialog, :mod:`anchordesk.ui.crash`, chains onto these)."""
    previous = sys.excepthook

    def hook(
        kind: type[BaseException], value: BaseException, traceback: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt) or not logging.getLogger().handlers:
            previous(kind, value, traceback)
            return
        # The log's handlers print it, masked, to stderr and the file; Python's own hook would
        # print it again, unmasked. Another hook (a test framework's) still gets it.
        log_uncaught(kind, value, traceback)
        if previous is not sys.__excepthook__:
            previous(kind, value, traceback)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "?"
        log_uncaught(
            args.exc_type, args.exc_value, args.exc_traceback, f"uncaught exception in {name}"
        )

    if not getattr(sys.excepthook, HOOK_MARK, False):
        setattr(hook, HOOK_MARK, True)
        sys.excepthook = hook
    # The default thread hook prints an unmasked traceback to stderr: the log's one replaces it.
    threading.excepthook = thread_hook
