"""The local recording: every encoded packet, into a file that survives a crash.

The show's recording is the one copy that must never be lost, so:

- Matroska by default: its header carries the codec parameters up front and every cluster is
  self-contained, so a file cut short by a crash, ``kill -9`` or a power cut plays up to its
  last complete cluster. Clusters are closed at least every second and the data is handed to
  the kernel after every packet (``flush_packets``) and forced to the disk every
  ``fsync_interval_s`` (a power cut loses at most that much).
- Muxing runs on its own thread fed by a bounded queue: a slow disk makes the queue drop (and
  count) packets instead of holding up the encoder. After a dropped video packet the video is
  skipped until the next keyframe, so the file never holds undecodable frames.
- A disk error (full disk, removed drive, bad path) puts the output in ``FAILED`` with a one-line
  reason in words (:mod:`anchordesk.core.disk`); it never raises into the pipeline, and what was
  written before it stays playable.
- A recording never overwrites a file: when ``path`` exists (the recording of a show that
  crashed, run again with the same command), the next free ``NAME-2.mkv``, ``NAME-3.mkv``... is
  created instead (atomically, ``O_EXCL``) and ``path`` tells which. A device or a pipe
  (``/dev/full``, a FIFO) is written as it is. A run that muxed nothing leaves no empty file.
- The recording stops the same way, closed and playable, while its disk still has room
  (:class:`FreeSpaceGuard`, ``media/disk_space.py``): every recording of a regular file has
  one unless the caller passes its own, so the window and ``anchordesk live --record`` follow
  the one rule. The line then reads "the disk holding PATH has less than N MB free: the
  recording stopped at HH:MM:SS (...)".
- A recording stopped by a full disk (the guard's floor, or a write that failed with "no space
  left") waits for room: once the guard measures ``resume_free_bytes`` free again (a file
  deleted mid-show), it goes on in a new file with the next numbered name beside the first
  (``show-2.mkv``), from a keyframe, at timestamp zero, and says so once ("recording again
  into ..."). The gap stays a fault (``OutputStatus.gaps``): the run still ends with the
  fault exit code. While it waits it wants no packets, so a recording alone costs no encoding.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import shutil
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

import av

from anchordesk.core.disk import (
    DiskProblem,
    describe_error,
    disk_problem,
    error_words,
    make_folder_again,
    moved_to,
    name_max_bytes,
    no_name_left,
    own_descriptor,
)
from anchordesk.core.errors import UserError
from anchordesk.core.words import QT_TRANSLATE_NOOP, Template, Words
from anchordesk.media.disk_reserve import DEFAULT_RESERVE_BYTES, DiskReserve
from anchordesk.media.disk_space import FreeSpaceGuard, LowDiskSpace, format_bytes
from anchordesk.media.packets import (
    EncodedPacket,
    OutputState,
    OutputStatus,
    StreamTemplates,
    TimestampRebaser,
)

if TYPE_CHECKING:
    from av.container import OutputContainer
    from av.stream import Stream

log = logging.getLogger(__name__)

# Extension -> (FFmpeg muxer, muxer options). Every format here accepts H.264 + AAC.
_FORMATS: Final[dict[str, str]] = {
    ".mkv": "matroska",
    ".flv": "flv",
    ".ts": "mpegts",
    ".mp4": "mp4",
}
SUPPORTED_EXTENSIONS: Final = tuple(_FORMATS)

_MUXER_OPTIONS: Final[dict[str, dict[str, str]]] = {
    # A cluster is written (and so survives a crash) when it closes: close one every second.
    "matroska": {"cluster_time_limit": "1000", "cluster_size_limit": "4194304"},
    "flv": {},
    "mpegts": {},
    # Fragmented MP4: a crash loses only the fragment being written instead of the whole file
    # (a plain MP4 needs its index written at the very end).
    "mp4": {"movflags": "frag_keyframe+empty_moov+default_base_moof"},
}


def format_for_path(path: Path, container_format: str | None = None) -> str:
    """The FFmpeg muxer for ``path``: from ``container_format`` or else from the extension."""
    if container_format is not None:
        if container_format not in _MUXER_OPTIONS:
            raise UserError(
                f"recording {path}: unsupported container format {container_format!r} "
                f"(use one of {', '.join(sorted(_MUXER_OPTIONS))})"
            )
        return container_format
    suffix = path.suffix.lower()
    if suffix == "":
        return "matroska"
    if suffix not in _FORMATS:
        raise UserError(
            f"recording {path}: unsupported file extension {suffix!r} "
            f"(use {', '.join(SUPPORTED_EXTENSIONS)})"
        )
    return _FORMATS[suffix]


def av_packet(packet: EncodedPacket, stream: Stream) -> av.Packet[Stream]:
    """An ``av.Packet`` for ``stream`` carrying ``packet``'s bytes and timing."""
    result: av.Packet[Stream] = av.Packet(packet.data)
    result.pts = packet.pts
    result.dts = packet.dts
    result.time_base = packet.time_base
    result.is_keyframe = packet.is_keyframe
    if packet.duration:
        result.duration = packet.duration
    result.stream = stream
    return result


def one_line(error: BaseException) -> str:
    """An exception as one short line for a status or a log."""
    if isinstance(error, OSError) and error.strerror:
        # str(OSError) repeats the file name, which the caller already names.
        text = error.strerror
    else:
        text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


_MAX_NUMBERED = 9999


def numbered_path(path: Path, number: int) -> Path:
    """``show.mkv`` -> ``show-2.mkv`` (the name a recording takes when ``show.mkv`` exists).

    A name that fills what the disk takes (255 bytes) loses the end of its stem for the
    number: ``-2`` made it too long, and the run ended "cannot be written (File name too
    long)" instead of keeping the earlier file and recording beside it. Cut on whole
    characters, never in the middle of one."""
    stem, tail = path.stem, f"-{number}{path.suffix}"
    limit = name_max_bytes(path.parent)
    while len(stem) > 1 and len(os.fsencode(stem + tail)) > limit:
        stem = stem[:-1]
    return path.with_name(stem + tail)


#: The files :func:`open_new_file` made in this process (so never a file of the user's).
_MADE: list[Path] = []


# Defined before open_new_file: a module half loaded that lacks it has made no file yet
# (cli/stopping._remove_made_and_empty counts on it).
def remove_made_and_empty() -> None:
    """Remove the files this process made that are still empty: a stop during start-up ends
    the process at once (cli/stopping.end_at_once), and a recording made by then (the
    show's outputs are built before the picture starts) was left as an empty file that no
    player opens, and the next run recorded into ``NAME-2.mkv`` beside it."""
    for path in _MADE:
        with contextlib.suppress(OSError):
            if path.stat().st_size == 0:
                path.unlink()


def open_new_file(path: Path, *, pipe_is_ours: bool = True) -> tuple[Path, IO[bytes] | None]:
    """Create ``path``, or the first free numbered name next to it when it exists; never
    truncates a file. Returns the path created and the open file, or ``(path, None)`` for a
    device or a pipe that already exists at ``path`` itself (the user asked to record into
    it; opened by the writer thread: opening a FIFO waits for its reader). A pipe or a device
    at a numbered name, or at ``path`` when not ``pipe_is_ours`` (a file of ours deleted,
    its name taken since), is taken like any other file: the next name is tried. Raises
    ``OSError`` when the folder cannot be written."""
    if pipe_is_ours and (descriptor := own_descriptor(path)) is not None:
        # This program's own output (/dev/stdout into a file or a pipe): it was made a file
        # /dev/stdout-2 beside the link, in /dev, and the output got nothing. One not open
        # (/dev/fd/7 without 7>…) is refused before anything starts.
        os.fstat(descriptor)
        return path, None
    candidate = path
    for number in range(2, _MAX_NUMBERED + 2):
        try:
            made = open(candidate, "xb", buffering=0)  # noqa: SIM115 (the writer closes it)
            _MADE.append(candidate)
            return candidate, made
        except FileExistsError:
            if candidate == path and pipe_is_ours:
                with contextlib.suppress(OSError):
                    mode = candidate.lstat().st_mode
                    # Not a socket: it is no stream to write into (opening it fails, ENXIO,
                    # and the recording was lost); its name is kept like a file's.
                    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
                        return candidate, None
        candidate = numbered_path(path, number)
    raise FileExistsError(f"{path} and {_MAX_NUMBERED} numbered names after it exist")


class _CountingFile:
    """A raw file that remembers how far it has been written (muxers seek back to patch)."""

    def __init__(self, raw: IO[bytes], reserve_bytes: int = 0) -> None:
        self._raw = raw
        self.size_bytes = 0
        self._reserve_bytes = reserve_bytes
        # Room kept past the end of the file for its end (media/disk_reserve.py).
        self.reserve = DiskReserve(raw.fileno(), reserve_bytes)
        # A FIFO (or a character device) cannot seek: the muxer is told so (PyAV asks
        # seekable()) and writes straight through instead of failing with "Illegal seek".
        # A character device (/dev/null, /dev/random) lets a seek "succeed" and tells 0 for
        # ever: its size was read there, and a recording sent into it "finished: 0 bytes".
        mode = os.fstat(raw.fileno()).st_mode
        self._seekable = raw.seekable() and not stat.S_ISCHR(mode)
        self.is_a_file = stat.S_ISREG(mode)  # else what is written there is kept nowhere here

    def seekable(self) -> bool:
        return self._seekable

    def write(self, data: bytes) -> int:
        written = self._raw.write(data) or 0
        if self._seekable:
            self.size_bytes = max(self.size_bytes, self._raw.tell())
        else:
            self.size_bytes += written
        self.reserve.after_write(self.size_bytes)
        return written

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def flush(self) -> None:
        self._raw.flush()

    def fileno(self) -> int:
        return self._raw.fileno()

    def swap(self, raw: IO[bytes]) -> IO[bytes]:
        """Write into ``raw`` (a copy of the file so far) from the same position; returns the
        old file."""
        raw.seek(self._raw.tell())
        self.reserve.release()
        old, self._raw = self._raw, raw
        self.reserve = DiskReserve(raw.fileno(), self._reserve_bytes)
        self.reserve.after_write(self.size_bytes)
        return old


def _sync(sink: _CountingFile) -> None:
    """Force what was written onto the disk. A device or a pipe (``--record /dev/null``, a FIFO)
    has no disk to force it to: Linux answers EINVAL there, which is no write fault."""
    try:
        os.fsync(sink.fileno())
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EROFS) or _is_regular(sink):
            raise


def _is_regular(sink: _CountingFile) -> bool:
    try:
        return stat.S_ISREG(os.fstat(sink.fileno()).st_mode)
    except OSError:
        return True


def _deleted(raw: IO[bytes]) -> bool:
    """The open file has no name any more (it, or its folder, was deleted, or its disk
    detached while recording: core/disk.no_name_left)."""
    try:
        return no_name_left(raw.fileno())
    except (OSError, ValueError):
        return False


_STOP: Final = object()
_DEFAULT_GUARD: Final = object()  # the recording's own free-space guard (see __init__)


class _DeletedFile(OSError):
    """The file was deleted while recording and could not be written again (:meth:`_restore`):
    nothing of it is kept. Carries the error that stopped its copy (a full disk, a folder that
    cannot be made again)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.errno, error.strerror, error.filename)


class RecordingOutput:
    """Records the encoded packets into ``path`` (a :class:`PacketOutput`)."""

    def __init__(
        self,
        path: Path | str,
        container_format: str | None = None,
        queue_packets: int = 2048,
        fsync_interval_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        space_guard: FreeSpaceGuard | object | None = _DEFAULT_GUARD,
        reserve_bytes: int | None = None,
    ) -> None:
        """``space_guard``: by default one on the file's folder with the default floor;
        ``None`` for none (a caller that watches the disk itself). ``reserve_bytes``: kept
        allocated past the end of the file for its end (0: none; ``media/disk_reserve.py``);
        by default 8 MB, and at most a quarter of the guard's floor (the reserve is disk space
        the guard sees as used: on a small disk it must not stop the recording by itself)."""
        self.requested_path = Path(path)
        self.path = self.requested_path
        self.space_guard: FreeSpaceGuard | None = None
        self.container_format = format_for_path(self.path, container_format)
        if self.container_format == "mp4":
            log.warning(
                "recording %s: MP4 is less crash-safe than Matroska (.mkv); writing fragmented "
                "MP4 so a crash loses only the last fragment",
                self.path,
            )
        self._queue: queue.Queue[EncodedPacket | object] = queue.Queue(maxsize=queue_packets)
        self._fsync_interval_s = fsync_interval_s
        self._reserve_bytes = reserve_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self._state = OutputState.CONNECTING
        # Why it stopped (str(): the log's line; the words: what a window says in its language).
        self._last_fault: Words | None = None
        self._dropped_packets = 0
        self._bytes_written = 0
        self._bitrate_kbps = 0.0
        # When the writer last finished a packet or found none waiting; status() tells a
        # writer stuck in a write from one that writes (the rate it last measured stayed).
        self._progress_at_s = clock()
        self._stall_said = False
        self._video_gap = False  # set by send() when a video packet was dropped
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._packets_muxed = 0
        self._media_s = 0.0  # the last video timestamp handed to the muxer
        # How far the file plays: the last video timestamp of what reached the file. The
        # muxer holds a cluster (a second of media) in memory until it closes: a full disk
        # lost it, and "stopped at 00:00:03, it plays up to there" was said of a file that
        # played to 2.2 s.
        self._on_disk_s = 0.0
        # Across the files of a recording that went on after a full disk (see the module).
        self._files: list[Path] = []
        self._gaps: list[str] = []
        self._bytes_before = 0  # written into the earlier files
        self._stream_s = 0.0  # the last video timestamp given to the recording, unshifted
        self._keyframe_wanted = False
        # The file is created now (the caller learns its name at once, and two recordings
        # started in the same second never share one); the writer thread muxes into it.
        self._raw: IO[bytes] | None = None
        self._open_error: OSError | None = None
        self._created = False
        self._into_a_file = True  # False: a pipe, a device or a socket (said "sent", not "kept")
        try:
            self.path, self._raw = open_new_file(self.requested_path)
            self._created = self._raw is not None
        except OSError as error:
            self._open_error = error
        if isinstance(space_guard, FreeSpaceGuard):
            self.space_guard = space_guard
        elif space_guard is _DEFAULT_GUARD and self._created:
            # A file on a disk; a device or a pipe (/dev/null, a FIFO) fills no disk.
            self.space_guard = FreeSpaceGuard(self.path.parent)

    @property
    def open_error(self) -> str | None:
        """Why the file could not be created (None when it was): one line in words."""
        error = self._open_error
        return None if error is None else describe_error(self.requested_path, error)

    @property
    def renamed(self) -> bool:
        """True when ``requested_path`` existed and the recording went to a numbered name."""
        return self.path != self.requested_path

    @property
    def fault(self) -> str | None:
        """Why the recording stopped before the end, or has a gap (None while it is whole)."""
        with self._lock:
            if self._state is OutputState.FAILED:
                return None if self._last_fault is None else str(self._last_fault)
            return self._gaps[-1] if self._gaps else None

    @property
    def files(self) -> tuple[Path, ...]:
        """The files written, in order (more than one after a stop for a full disk)."""
        with self._lock:
            return tuple(self._files)

    @property
    def name(self) -> str:
        return f"recording {self.path.name}"

    # --- PacketOutput -------------------------------------------------------------------------

    def start(self, streams: StreamTemplates) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} already started")
        self._thread = threading.Thread(
            target=self._run, args=(streams,), name=f"recording-{self.path.name}", daemon=True
        )
        self._thread.start()

    def send(self, packet: EncodedPacket) -> None:
        with self._lock:
            if self._stopping or self._state in (OutputState.FAILED, OutputState.STOPPED):
                return
        try:
            self._queue.put_nowait(packet)
        except queue.Full:
            with self._lock:
                self._dropped_packets += 1
                if packet.kind == "video":
                    self._video_gap = True

    def wants_packets(self) -> bool:
        """The pipeline's optional hook: no packets while waiting for room on the disk."""
        with self._lock:
            return self._state not in (
                OutputState.STOPPED,
                OutputState.FAILED,
                OutputState.WAITING,
            )

    def wants_keyframe(self) -> bool:
        """The pipeline's optional hook: True once when the recording goes on in a new file
        (it starts at a keyframe: made now rather than up to a keyframe interval later)."""
        with self._lock:
            wanted, self._keyframe_wanted = self._keyframe_wanted, False
        return wanted

    def _stall(self) -> Words | None:
        """Why the recording writes nothing although packets wait (None while it writes).
        A write into a FIFO whose reader stopped reading, or onto a disk that hangs, blocks
        the writer: the status said "live 851 kbps" (the last rate measured) for as long, and
        only the stop said the file was not whole. Said once in the log, as a disk fault is."""
        stalled_s = self._clock() - self._progress_at_s
        if self._state is not OutputState.LIVE or self._queue.empty() or stalled_s < STALL_S:
            if self._stall_said and self._state is OutputState.LIVE:
                self._stall_said = False
                log.info("%s: writing again", self.name)
            return None
        words = Words(_STALLED, path=str(self.path), seconds=f"{stalled_s:.0f}")
        if not self._stall_said:
            self._stall_said = True
            log.warning("%s: %s; the show goes on", self.name, words)
        return words

    def status(self) -> OutputStatus:
        with self._lock:
            stall = self._stall()
            fault = self._last_fault if stall is None else stall
            return OutputStatus(
                name=self.name,
                kind="recording",
                # "live" beside "nothing could be written … for 7 s" (--stats, the window's
                # figures): the state of a writer blocked in a write is that it is stuck.
                state=self._state if stall is None else OutputState.STUCK,
                bytes_written=self._bytes_before + self._bytes_written,
                bitrate_kbps=0.0 if stall is not None else self._bitrate_kbps,
                dropped_packets=self._dropped_packets,
                last_error=None if fault is None else str(fault),
                fault=fault,
                free_bytes=self.space_guard.free_bytes if self.space_guard else None,
                stopped_for_space=bool(self.space_guard and self.space_guard.low),
                files=tuple(str(path) for path in self._files),
                gaps=tuple(self._gaps),
            )

    def reconnect_now(self) -> None:
        """Nothing to reconnect: the recording is local."""

    def stop(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
        thread = self._thread
        if thread is None:
            # Never started (the run stopped during start-up): no empty file stays behind.
            self._close_raw(remove_if_empty=True)
            self._set_state(OutputState.STOPPED)
            return
        with self._lock:
            stall = self._stall()
        if stall is not None:
            # Stuck for seconds already: a writer that has not moved for STALL_S will not
            # finish in the next one (waiting held the stop to 1.9 s, past 2 s on a busy
            # machine); the file is said not whole at once.
            timeout_s = min(timeout_s, _STOP_CHECK_S)
        deadline = time.monotonic() + timeout_s
        # The stop marker must get in even when the queue is full of packets.
        while True:
            try:
                self._queue.put(_STOP, timeout=0.05)
                break
            except queue.Full:
                if time.monotonic() > deadline:
                    break
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            log.error(
                "%s: the writer did not finish within %.1f s (disk stuck?)", self.name, timeout_s
            )
            # A pipe nobody reads (a FIFO given to --record) or a hung disk: the file is not
            # whole, and the run must not end as if it were (exit code 0, "Recording kept").
            self._set_state(
                OutputState.FAILED,
                Words(_STALLED_AT_STOP, **stall.params)
                if stall is not None
                else Words(
                    QT_TRANSLATE_NOOP(
                        "Recording",
                        "cannot finish the recording: writing {path} did not end within "
                        "{seconds} s (a pipe nobody reads, or a stuck disk)",
                    ),
                    path=str(self.path),
                    seconds=f"{timeout_s:.1f}",
                ),
            )

    # --- writer thread ------------------------------------------------------------------------

    def _set_state(self, state: OutputState, error: Words | None = None) -> None:
        with self._lock:
            self._state = state
            if error is not None:
                self._last_fault = error

    def _fail(self, what: Template, error: BaseException) -> None:
        words = self._stop_words(what, error)
        reason = str(words)
        if self._may_go_on(error):
            assert self.space_guard is not None
            log.error(
                "%s; the show goes on, and the recording goes on in a new file once %s are free",
                reason,
                format_bytes(self.space_guard.resume_free_bytes),
            )
            with self._lock:
                self._gaps.append(reason)
                self._state = OutputState.WAITING
                self._last_fault = words
            return
        log.error("%s; the show goes on", reason)
        self._set_state(OutputState.FAILED, words)

    def _may_go_on(self, error: BaseException) -> bool:
        """A file of ours on a disk that filled up: it may have room again later. A device
        (``/dev/full``) or a pipe never will, and another fault is no matter of space."""
        with self._lock:
            stopping = self._stopping
        full = isinstance(error, LowDiskSpace) or disk_problem(error) is DiskProblem.FULL
        return full and self._created and self.space_guard is not None and not stopping

    def _stop_words(self, what: Template, error: BaseException) -> Words:
        """Why the recording stopped, as words: ``str()`` is the line of the log and of
        ``anchordesk live``; the window says the same in its language."""
        with self._lock:
            media_s, on_disk_s, written = self._media_s, self._on_disk_s, self._bytes_written
        stopped_at = Words(
            QT_TRANSLATE_NOOP(
                "Recording", "the recording stopped at {time} ({size} kept, it plays up to there)"
            ),
            time=_clock_text(on_disk_s),
            size=f"{written / 1e6:.1f} MB",
        )
        if not self._into_a_file:
            # A player behind a FIFO that closed: "1.0 MB kept, it plays up to there" was said
            # of bytes sent into a pipe, kept nowhere by this program.
            stopped_at = Words(
                QT_TRANSLATE_NOOP(
                    "Recording",
                    "the recording stopped at {time} ({size} sent, none of it kept here)",
                ),
                time=_clock_text(on_disk_s),
                size=f"{written / 1e6:.1f} MB",
            )
        if isinstance(error, _DeletedFile):
            # "0.3 MB kept, it plays up to there" was said of a file that no longer existed.
            stopped_at = Words(
                QT_TRANSLATE_NOOP(
                    "Recording",
                    "the recording was deleted at {time} and could not be written again "
                    "({size} lost)",
                ),
                time=_clock_text(media_s),
                size=f"{written / 1e6:.1f} MB",
            )
        if isinstance(error, LowDiskSpace):
            # The floor, said first: it is why the recording stopped, not a write that failed.
            cause = error.words_for(self.path)
            if self._packets_muxed:
                return Words(_CAUSE_THEN_STOP, cause=cause, stopped=stopped_at)
            return Words(
                QT_TRANSLATE_NOOP("Recording", "{cause}: the recording stopped before it began"),
                cause=cause,
            )
        if isinstance(error, OSError):
            problem = error_words(self.path, error)
        else:
            problem = Words(
                QT_TRANSLATE_NOOP("Recording", "{path}: {error}"),
                path=str(self.path),
                error=one_line(error),
            )
        if self._packets_muxed:
            return Words(_STOP_THEN_CAUSE, stopped=stopped_at, cause=problem)
        return Words(_STOP_THEN_CAUSE, stopped=Words(what), cause=problem)

    def _close_raw(self, remove_if_empty: bool) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            with contextlib.suppress(OSError):
                raw.close()
        if remove_if_empty and self._created and not self._packets_muxed:
            # Created by this output and nothing in it: a stop before the first packet.
            with contextlib.suppress(OSError):
                self.path.unlink()
                log.info("%s: nothing was recorded; no file kept", self.name)

    def _run(self, streams: StreamTemplates) -> None:
        if self._open_error is not None:
            self._fail(_CANNOT_CREATE, self._open_error)
            self._drain()
            return
        if self._raw is None:
            try:
                self._raw = self._open_pipe_or_device()
            except OSError as error:
                self._fail(_CANNOT_CREATE, error)
                self._drain()
                return
            if self._raw is None:  # stopped before any program read the pipe
                self._set_state(OutputState.FAILED, Words(_NO_READER, path=str(self.path)))
                log.error("%s: %s", self.name, Words(_NO_READER, path=str(self.path)))
                self._drain()
                return
        try:
            rebaser: TimestampRebaser | None = None
            pending: EncodedPacket | None = None
            while self._write_all(self._raw, streams, rebaser, pending):
                # Stopped for a full disk, the file closed: wait for room, then a new file.
                self._close_raw(remove_if_empty=True)
                going_on, pending = self._wait_for_room()
                if not going_on:
                    break
                rebaser = TimestampRebaser()  # the new file starts at a keyframe, at zero
        finally:
            if self._state is OutputState.WAITING:  # stopped while waiting: it did not go on
                self._set_state(OutputState.FAILED)
            self._close_raw(remove_if_empty=True)
            self._drain()

    def _wait_for_room(self) -> tuple[bool, EncodedPacket | None]:
        """Let packets go by until the disk has room again, then create the next file (True,
        with the packet that found the room: it may be the keyframe the file starts with),
        or the recording is stopped first (False). The guard measures on its own clock."""
        guard = self.space_guard
        assert guard is not None
        while True:
            try:
                item = self._queue.get(timeout=_STOP_CHECK_S)
            except queue.Empty:
                item = None
            with self._lock:
                if item is _STOP or self._stopping:
                    return False, None
            if not guard.has_room():
                continue
            try:
                # Its folder may have gone with a clean-up while it waited: made again, as
                # for a file deleted while recording (_restore).
                make_folder_again(self.requested_path.parent)
                path, raw = open_new_file(self.requested_path, pipe_is_ours=False)
            except OSError as error:
                if disk_problem(error) is DiskProblem.FULL:
                    continue  # the room went again before the file was made
                self._fail(_CANNOT_CREATE_NEXT, error)
                return False, None
            assert raw is not None  # a pipe at a name is taken, not opened (pipe_is_ours)
            self.path, self._raw = path, raw
            with self._lock:
                self._bytes_before += self._bytes_written
                self._bytes_written = 0
                self._state = OutputState.CONNECTING
                self._keyframe_wanted = True
            return True, item if isinstance(item, EncodedPacket) else None

    def _open_pipe_or_device(self) -> IO[bytes] | None:
        """The device or pipe the user gave, opened for writing; None when the run stopped
        before a program opened the pipe to read it. A blocking open of a FIFO waits for its
        reader, deaf to the stop: a stop then waited the whole 1.5 s for a writer that had
        nothing to finish, and the run took 2.0 s to end. It is asked again every 0.1 s,
        and a wait of more than 3 s is said once (nothing is recorded meanwhile)."""
        descriptor = own_descriptor(self.path)
        if descriptor is not None:
            # The very descriptor (its place in a file the shell opened, appending or not),
            # not the file opened again from its start.
            fd = os.dup(descriptor)
            os.set_blocking(fd, True)
            return open(fd, "wb", buffering=0)
        started_s = time.monotonic()
        said = False
        while True:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError as error:
                if error.errno != errno.ENXIO:  # ENXIO: a FIFO that no program reads yet
                    raise
            else:
                os.set_blocking(fd, True)  # the muxer's writes wait for the reader, as before
                return open(fd, "wb", buffering=0)
            with self._lock:
                if self._stopping:
                    return None
            if not said and time.monotonic() - started_s > 3.0:
                said = True
                log.warning(
                    "%s: no program reads the pipe %s yet; the recording begins when one does",
                    self.name,
                    self.path,
                )
            time.sleep(0.1)

    def _drain(self) -> None:
        """Empty the queue after a failure so stop() and send() never wait on it."""
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()

    def _written_again(
        self, sink: _CountingFile, raw: IO[bytes], going_on: bool = True
    ) -> IO[bytes]:
        """:meth:`_restore`, or :class:`_DeletedFile` when the file is lost."""
        try:
            return self._restore(sink, raw, going_on)
        except OSError as error:
            raise _DeletedFile(error) from error

    def _restore(self, sink: _CountingFile, raw: IO[bytes], going_on: bool = True) -> IO[bytes]:
        """The file was deleted while recording (its folder removed, a clean-up): everything
        written so far still sits in the open file, and would vanish with it at the end while
        the run said "Recording kept in ...". Copy it to its name again (the folder made
        again; a numbered name if the name is taken) and go on writing there. Raises OSError
        (the recording then stops and says why) when that is impossible."""
        folder = self.path.parent
        make_folder_again(folder)
        path, new_raw = open_new_file(self.path, pipe_is_ours=False)
        if new_raw is None:
            raise OSError(errno.EEXIST, "the file was deleted and its name is taken", str(path))
        try:
            with open(f"/proc/self/fd/{raw.fileno()}", "rb") as old_copy:
                shutil.copyfileobj(old_copy, new_raw, 1 << 20)
        except OSError:
            new_raw.close()
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        sink.swap(new_raw)
        with contextlib.suppress(OSError):
            raw.close()
        moved = "" if path == self.path else f" (under a new name, {path.name})"
        log.warning(
            "%s was deleted, or its disk went away, while recording: written again into %s%s%s",
            self.path,
            path,
            moved,
            "; the recording goes on" if going_on else "",
        )
        with self._lock:  # the recording's list of files names the file as it is now
            self._files = [path if kept == self.path else kept for kept in self._files]
        self.path = path
        self._raw = new_raw
        return new_raw

    def _write_all(
        self,
        raw: IO[bytes],
        streams: StreamTemplates,
        rebaser: TimestampRebaser | None = None,
        pending: EncodedPacket | None = None,
    ) -> bool:
        """Mux into ``raw`` until stopped. True when it stopped for a full disk and the
        recording may go on in a new file (``rebaser``: the packets of a file that starts
        later than the recording, moved to start at zero)."""
        self._packets_muxed = 0
        with self._lock:
            self._media_s = self._on_disk_s = 0.0
        # A file of ours keeps room for its end; a device or a pipe has no disk to fill.
        sink = _CountingFile(raw, self._reserve_size() if self._created else 0)
        self._into_a_file = sink.is_a_file
        try:
            container: OutputContainer = av.open(
                sink,
                "w",
                format=self.container_format,
                container_options={"flush_packets": "1"},
                options=_MUXER_OPTIONS[self.container_format],
            )
            video = container.add_stream_from_template(streams.video)
            audio = (
                container.add_stream_from_template(streams.audio)
                if streams.audio is not None
                else None
            )
        except (OSError, av.FFmpegError, ValueError) as error:
            self._fail(_CANNOT_OPEN, error)
            return False
        with self._lock:
            stopping = self._stopping
        if not stopping:  # stop() may have given up on this writer already (and said so)
            with self._lock:
                self._progress_at_s = self._clock()
            self._set_state(OutputState.LIVE)
        log.info("recording to %s (%s)", self.path, self.container_format)
        last_sync_s = self._clock()
        # The rate is the packets' bytes muxed, not the file's growth: the muxer writes a whole
        # cluster (a second of media) at once, so a window of a second held two clusters now
        # and then, and the console and --stats said "recording a.mkv: live 1815 kbps" for a
        # 930 kbps stream once in every run of 25 s. Over a second of the media muxed, not of
        # the clock: a writer that caught up after a write that blocked (a pipe's reader that
        # paused, a disk that hung for 2 s) said "live 3240 kbps" for the same stream.
        muxed_bytes = rate_since_bytes = 0
        rate_since_media_s: float | None = None
        file_from_s: float | None = None  # the show's time this file starts at
        waiting_for_keyframe = True  # a file must start with a decodable picture
        try:
            while True:
                try:
                    item = (
                        pending if pending is not None else self._queue.get(timeout=_STOP_CHECK_S)
                    )
                    pending = None
                except queue.Empty:
                    # stop() could not put its marker into a full queue (the writer was stuck
                    # in open() or a write): once unstuck and drained, the writer ends anyway,
                    # instead of waiting for ever on a queue nobody fills.
                    with self._lock:
                        self._progress_at_s = self._clock()  # nothing to write is no stall
                        if self._stopping:
                            break
                    continue
                if item is _STOP:
                    break
                assert isinstance(item, EncodedPacket)
                if self.space_guard is not None:
                    self.space_guard.check()
                batch = [item] if rebaser is None else rebaser.rebase(item)
                shift_s = 0.0 if rebaser is None else rebaser.origin_s or 0.0
                for packet in batch:
                    size_before = sink.size_bytes
                    with self._lock:
                        muxed_before_s = self._media_s
                    if packet.kind == "video":
                        with self._lock:
                            if self._video_gap:
                                waiting_for_keyframe = True
                                self._video_gap = False
                        if waiting_for_keyframe and not packet.is_keyframe:
                            with self._lock:
                                self._dropped_packets += 1
                            continue
                        waiting_for_keyframe = False
                        if not self._packets_muxed:
                            self._first_packet(rebaser)
                        container.mux(av_packet(packet, video))
                        self._packets_muxed += 1
                        muxed_bytes += len(packet.data)
                        if packet.pts is not None:
                            media_s = float(packet.pts * packet.time_base)
                            with self._lock:
                                self._media_s = max(self._media_s, media_s)
                                self._stream_s = media_s + shift_s
                                if file_from_s is None:
                                    file_from_s = self._stream_s
                    elif audio is not None:
                        if not self._packets_muxed:
                            self._first_packet(rebaser)
                        container.mux(av_packet(packet, audio))
                        self._packets_muxed += 1
                        muxed_bytes += len(packet.data)
                    if sink.size_bytes > size_before:
                        # A cluster written whole: the packets before this one are in it.
                        with self._lock:
                            self._on_disk_s = max(self._on_disk_s, muxed_before_s)
                if sink.reserve.full is not None:
                    raise sink.reserve.full  # stopped while the end of the file still fits
                now_s = self._clock()
                if now_s - last_sync_s >= self._fsync_interval_s:
                    _sync(sink)
                    last_sync_s = now_s
                    if self._created and _deleted(raw):
                        raw = self._written_again(sink, raw)
                    elif self._created:
                        self._follow_move(raw)
                with self._lock:
                    self._progress_at_s = now_s
                    self._bytes_written = sink.size_bytes
                    media_s = self._media_s
                    if file_from_s is None or rate_since_media_s is None:
                        # From the first picture muxed (its time: where this file starts).
                        rate_since_media_s, rate_since_bytes = media_s, muxed_bytes
                    elif media_s - rate_since_media_s >= (1.0 if self._bitrate_kbps else 0.5):
                        self._bitrate_kbps = ((muxed_bytes - rate_since_bytes) * 8 / 1000) / (
                            media_s - rate_since_media_s
                        )
                        rate_since_media_s, rate_since_bytes = media_s, muxed_bytes
            container.close()
            with self._lock:
                self._on_disk_s = self._media_s
            sink.reserve.release()
            _sync(sink)
            if self._created and _deleted(raw):  # since the last look: "kept" where none was
                raw = self._written_again(sink, raw, going_on=False)
            if self._created:
                self._follow_move(raw)
        except (OSError, av.FFmpegError, ValueError, LowDiskSpace) as error:
            # Closed first: the file that stopped is finished (its duration written) before
            # the recording says it stopped, and before it may go on in a new one.
            try:
                container.close()
            except Exception:  # the end could not be written: said below
                pass
            else:  # the cluster held in memory written too: the file plays to its last packet
                with self._lock:
                    self._on_disk_s = self._media_s
            sink.reserve.release()
            with contextlib.suppress(OSError):
                _sync(sink)
            if self._created and not isinstance(error, _DeletedFile):
                # A write that failed in a file deleted since the last look (its folder
                # removed, and the disk full with the deleted file itself).
                with contextlib.suppress(OSError):
                    if _deleted(raw):
                        try:
                            raw = self._written_again(sink, raw, going_on=False)
                        except _DeletedFile as lost:
                            error = lost
            if isinstance(error, _DeletedFile):
                # Gone with its name: not one of the recording's files, and the show's time
                # it held is missing (a later file's gap counts from its start).
                with self._lock:
                    self._files = [kept for kept in self._files if kept != self.path]
                    if file_from_s is not None:
                        self._stream_s = file_from_s
            with self._lock:
                # The size of the file as finished above (its last cluster or fragment, held in
                # memory, written by the close): read before, the words said "2.0 MB kept" of
                # an mp4 of 3.1 MB. A deleted file's size is what was lost.
                self._bytes_written = sink.size_bytes
            self._fail(_CANNOT_WRITE, error)
            with self._lock:
                if isinstance(error, _DeletedFile):
                    self._bytes_written = 0
                self._bitrate_kbps = 0.0
            return self._state is OutputState.WAITING
        with self._lock:
            self._bytes_written = sink.size_bytes
            self._bitrate_kbps = 0.0
        self._set_state(OutputState.STOPPED)
        if self._packets_muxed:
            log.info("recording %s finished: %d bytes", self.path, sink.size_bytes)
        return False

    def _follow_move(self, raw: IO[bytes]) -> None:
        """The file was moved mid-show (renamed, or into another folder of the disk): it is
        whole there, and the recording goes on in it; every later line names it where it is
        (the run said "Recording kept in" its old name, where no file was)."""
        moved = moved_to(raw.fileno(), self.path)
        if moved is None:
            return
        log.warning(
            "%s was moved to %s while recording; the recording goes on there", self.path, moved
        )
        with self._lock:
            self._files = [moved if kept == self.path else kept for kept in self._files]
            self.path = moved

    def _first_packet(self, rebaser: TimestampRebaser | None) -> None:
        """The file has content from now on: one of the recording's files."""
        if rebaser is None:
            with self._lock:
                self._files.append(self.path)
        else:
            self._say_going_on(rebaser.origin_s or 0.0)

    def _reserve_size(self) -> int:
        if self._reserve_bytes is not None:
            return self._reserve_bytes
        if self.space_guard is None:
            return DEFAULT_RESERVE_BYTES
        return min(DEFAULT_RESERVE_BYTES, self.space_guard.min_free_bytes // 4)

    def _say_going_on(self, from_s: float) -> None:
        """The first picture of a file after a stop for a full disk: said once, and the gap
        line of the stop tells where the recording went on."""
        with self._lock:
            gap_s = max(0.0, from_s - self._stream_s)
            self._files.append(self.path)
            self._state = OutputState.LIVE
            self._last_fault = None
            if self._gaps:
                self._gaps[-1] += (
                    f"; recording again into {self.path} after a gap of {_clock_text(gap_s)}"
                )
        free = self.space_guard.free_bytes if self.space_guard is not None else None
        log.warning(
            "recording again into %s: the disk has room again (%s free); %s of the show are "
            "missing from the recording",
            self.path,
            format_bytes(free) if free is not None else "?",
            _clock_text(gap_s),
        )


_CANNOT_CREATE = QT_TRANSLATE_NOOP("Recording", "cannot create the recording")
_NO_READER = QT_TRANSLATE_NOOP(
    "Recording", "no program read the pipe {path} during the run: nothing was recorded"
)
_CANNOT_CREATE_NEXT = QT_TRANSLATE_NOOP("Recording", "cannot create the next file of the recording")
_CANNOT_OPEN = QT_TRANSLATE_NOOP("Recording", "cannot open the recording")
_CANNOT_WRITE = QT_TRANSLATE_NOOP("Recording", "cannot write the recording")
_CAUSE_THEN_STOP = QT_TRANSLATE_NOOP("Recording", "{cause}: {stopped}")
_STOP_THEN_CAUSE = QT_TRANSLATE_NOOP("Recording", "{stopped}: {cause}")
_STOP_CHECK_S = 0.2  # how often an idle writer looks whether it was asked to stop
_STALLED = QT_TRANSLATE_NOOP(
    "Recording",
    "nothing could be written to {path} for {seconds} s (a pipe nobody reads, or a stuck disk)",
)
_STALLED_AT_STOP = QT_TRANSLATE_NOOP(
    "Recording",
    "cannot finish the recording: nothing could be written to {path} for {seconds} s (a pipe "
    "nobody reads, or a stuck disk)",
)
#: A writer that has packets to write and has not finished one for this long is stuck: a pipe
#: whose reader stopped reading, a disk that hangs (a USB stick, a network share).
STALL_S = 4.0


def _clock_text(seconds: float) -> str:
    """``HH:MM:SS``, to the nearest second as the report says times (a file that plays 4.97 s
    was said "stopped at 00:00:04")."""
    whole = round(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"
