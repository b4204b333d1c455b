"""Figures of a live run, once a second: for the log, the UI and ``--stats PATH`` (JSON Lines).

Keys are full names with units. The pipeline and the outputs keep running totals; a sample is
the difference between two snapshots, so nothing on the hot path resets or locks for the stats.

``--stats PATH`` is one writer among others: when its disk is full or read-only the file stops
there (what was written stays valid JSON Lines), the reporter says so once in words and keeps
sampling for the log and the window (``fault``); the show goes on.

``process_cpu_percent`` is the CPU of the whole program: this process plus its child processes
(the network outputs' muxers), the running ones read from ``/proc/PID/stat`` and the ones that
ended from the kernel's totals for reaped children. 100 % is one core.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from anchordesk.core.disk import describe_error, make_folder_again, no_name_left, own_descriptor
from anchordesk.core.printable import terminal_json
from anchordesk.media.packets import OutputState, OutputStatus, PacketOutput
from anchordesk.media.pipeline import Pipeline, PipelineCounters
from anchordesk.media.sources.base import AudioSource, VideoSource

log = logging.getLogger(__name__)


def _is_pipe_or_device(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    # A socket is none: it cannot be opened to write into (ENXIO, which read "a pipe that no
    # program reads"); its name is kept, as a file's, and the figures go to a numbered name.
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def _open_pipe(path: Path) -> int:
    """Open a pipe or a device for writing without waiting for a reader (ENXIO when a FIFO has
    none: opening it blocking would wait for ever, deaf to SIGTERM)."""
    return os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)


try:
    _CLOCK_TICKS_PER_S = float(os.sysconf("SC_CLK_TCK"))
except (AttributeError, ValueError, OSError):  # not a POSIX system
    _CLOCK_TICKS_PER_S = 100.0


def running_process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a running process, from ``/proc/PID/stat`` (Linux);
    None when it is gone or there is no ``/proc``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces or parentheses: count from its last ")".
    fields = text[text.rfind(b")") + 2 :].split()
    try:
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS_PER_S
    except (IndexError, ValueError):
        return None


def ended_children_cpu_s() -> float:
    """CPU seconds of every child process of this program that has ended and been reaped."""
    times = os.times()
    return times.children_user + times.children_system


def program_cpu_s(child_pids: Iterable[int]) -> float:
    """CPU seconds used so far by this process and its child processes (running or ended).

    Ended children are read first: a child reaped between the two reads is then missed in this
    reading only (never counted twice); the reporter keeps the highest reading, so a figure never
    goes below zero and the next one brings the missed time back.
    """
    ended_s = ended_children_cpu_s()
    running_s = sum(cpu_s for pid in child_pids if (cpu_s := running_process_cpu_s(pid)))
    return time.process_time() + ended_s + running_s


class _Lost(OSError):
    """The --stats file was deleted and could not be written again: nothing of it is kept."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.errno, error.strerror, error.filename)


class StatsReporter:
    def __init__(
        self,
        pipeline: Pipeline,
        outputs: Sequence[PacketOutput],
        video_source: Callable[[], VideoSource],
        audio_source: Callable[[], AudioSource | None],
        path: Path | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pipeline = pipeline
        self._outputs = list(outputs)
        self._video_source = video_source
        self._audio_source = audio_source
        self._monotonic = monotonic
        self._file: IO[str] | None = None
        self._path = path
        self._whole_bytes = 0  # the file's size after the last sample written whole
        #: Why ``--stats`` stopped being written (None while it is whole).
        self.fault: str | None = None
        # A pipe or a device (`--stats FIFO`, /dev/stdout into a pipe) is written without ever
        # waiting: a sample the reader has no room for is skipped (counted), never a stalled
        # event loop (the samples are written from it).
        self._pipe_fd: int | None = None
        self.skipped_samples = 0
        # The file this run made (its identity), so that one left with no sample in it (a run
        # refused at its start, a disk full from the first write) is not left behind, empty.
        self._created: os.stat_result | None = None
        if path is not None:
            try:
                descriptor = own_descriptor(path)
                if descriptor is not None and not _is_pipe_or_device(path):
                    # This program's own output into a file (`--stats /dev/stdout > s.jsonl`):
                    # written there, not into a new file /dev/stdout-2 beside the link.
                    self._file = open(os.dup(descriptor), "w", encoding="utf-8")  # noqa: SIM115
                elif _is_pipe_or_device(path):
                    self._pipe_fd = _open_pipe(path)
                else:
                    self._file = self._open_new(path)
                    self._created = os.fstat(self._file.fileno())
            except OSError as error:
                from anchordesk.core.errors import UserError

                if error.errno == errno.ENXIO:
                    raise UserError(
                        f"--stats {path}: cannot write: {path} is a pipe that no program reads"
                    ) from None
                raise UserError(
                    f"--stats {path}: cannot write: {describe_error(path, error)}"
                ) from None
        self._previous: PipelineCounters = pipeline.counters()
        self._previous_at_s = monotonic()
        self._previous_cpu_s = program_cpu_s(self._child_pids())
        self._previous_output_bytes: dict[str, int] = {}
        self.latest: dict[str, Any] = {}

    def _open_new(self, path: Path) -> IO[str]:
        """The figures go into a new file, as the recording does: never over an earlier
        run's (a show that crashed and was started again with the same command lost the
        figures that showed why). A name that exists is kept, and this run's go to the first
        free numbered name next to it (``stats-2.jsonl``), said once."""
        from anchordesk.media.recording import open_new_file

        created, raw = open_new_file(path, pipe_is_ours=False)
        assert raw is not None  # pipes and devices at ``path`` are opened as such, not here
        with raw:
            file = open(os.dup(raw.fileno()), "w", encoding="utf-8")  # noqa: SIM115
        if created != path:
            log.warning(
                "--stats %s exists and is kept (the figures never overwrite a file): writing "
                "into %s",
                path,
                created,
            )
            self._path = created
        return file

    def _child_pids(self) -> list[int]:
        """The running child processes of the outputs (network muxers)."""
        pids = []
        for output in self._outputs:
            pid = getattr(output, "child_pid", None)
            if isinstance(pid, int):
                pids.append(pid)
        return pids

    def sample(self) -> dict[str, Any]:
        """Take one sample now (call about once a second) and write it if a path was given."""
        now_s = self._monotonic()
        cpu_s = program_cpu_s(self._child_pids())
        counters = self._pipeline.counters()
        previous = self._previous
        elapsed_s = max(now_s - self._previous_at_s, 1e-6)
        frames = counters.frames_encoded - previous.frames_encoded
        video = self._video_source()
        audio = self._audio_source()
        video_status = video.status()
        audio_status = audio.status() if audio is not None else None
        outputs: list[dict[str, Any]] = []
        recording_bytes = 0
        recording_free_bytes: int | None = None
        network_dropped = counters.dropped_network
        for output in self._outputs:
            status: OutputStatus = output.status()
            last_bytes = self._previous_output_bytes.get(status.name, 0)
            # The rate of what an output sends while it is live (its own figure, else its
            # bytes since the last sample). A recording that stopped (disk full, stopped,
            # failed) or an output between attempts sends nothing: its last bytes (a file's
            # end written as it closed) read as a bitrate for the stopped output before.
            bitrate_kbps = 0.0
            if status.state is OutputState.LIVE:
                bitrate_kbps = status.bitrate_kbps or (
                    max(0, status.bytes_written - last_bytes) * 8 / 1000 / elapsed_s
                )
            self._previous_output_bytes[status.name] = status.bytes_written
            if status.kind == "recording":
                recording_bytes += status.bytes_written
                if status.free_bytes is not None:
                    recording_free_bytes = status.free_bytes
            else:
                network_dropped += status.dropped_video_frames
            outputs.append(
                {
                    "name": status.name,
                    "kind": status.kind,
                    "state": str(status.state),
                    "reconnect_attempt": status.attempt,
                    "next_retry_in_s": status.next_retry_in_s,
                    # As the report's (`report --json`): connections that went live again
                    # after a drop; the attempts, made or failed, are counted apart.
                    "reconnects": status.live_again,
                    "reconnect_attempts": status.reconnects,
                    "bitrate_kbps": round(bitrate_kbps, 1),
                    "bytes_written": status.bytes_written,
                    "dropped_packets": status.dropped_packets,
                    "dropped_video_frames": status.dropped_video_frames,
                    # A network output's time live (all its connections, to the stop): what the
                    # server's copy of the stream can hold, less what it dropped.
                    **({"live_s": status.live_s} if status.kind == "network" else {}),
                    "last_error": status.last_error,
                    "notice": None if status.notice is None else str(status.notice),
                    "free_bytes": status.free_bytes,
                    "stopped_for_space": status.stopped_for_space,
                    "files": list(status.files),
                    "gaps": list(status.gaps),
                }
            )
        encode_s = counters.encode_s_total - previous.encode_s_total
        render_s = counters.render_s_total - previous.render_s_total
        sample: dict[str, Any] = {
            "wall_time_unix_s": round(time.time(), 3),
            "media_time_s": round(counters.media_time_s, 3),
            "output_fps": round(frames / elapsed_s, 2),
            # The picture's rate (the preview's): the same as output_fps while encoding.
            "picture_fps": round(
                (counters.frames_composited - previous.frames_composited) / elapsed_s, 2
            ),
            "frames_encoded_total": counters.frames_encoded,
            "encoding": counters.encoding,
            "dropped_frames_capture_total": video_status.dropped_frames,
            "dropped_frames_render_total": counters.dropped_render,
            "dropped_frames_encode_total": counters.dropped_encode,
            "dropped_frames_network_total": network_dropped,
            "render_ms_per_frame": round(render_s * 1000 / frames, 2) if frames else None,
            "encode_ms_per_frame": round(encode_s * 1000 / frames, 2) if frames else None,
            "video_bitrate_kbps": round(
                (counters.video_bytes - previous.video_bytes) * 8 / 1000 / elapsed_s, 1
            ),
            "audio_bitrate_kbps": round(
                (counters.audio_bytes - previous.audio_bytes) * 8 / 1000 / elapsed_s, 1
            ),
            "av_offset_ms": round(
                (counters.last_audio_pts_s - counters.last_video_pts_s) * 1000, 1
            ),
            "process_cpu_percent": round(
                max(0.0, cpu_s - self._previous_cpu_s) * 100 / elapsed_s, 1
            ),
            "camera": {
                "name": video_status.name,
                "state": str(video_status.state),
                "detail": video_status.detail,
                "lost_count": video_status.lost_count,
            },
            "microphone": None
            if audio_status is None
            else {
                "name": audio_status.name,
                "state": str(audio_status.state),
                "detail": audio_status.detail,
                "lost_count": audio_status.lost_count,
                "underruns": audio_status.underruns,
            },
            "recording_bytes": recording_bytes,
            "recording_free_bytes": recording_free_bytes,
            "outputs": outputs,
        }
        self._previous = counters
        self._previous_at_s = now_s
        self._previous_cpu_s = max(cpu_s, self._previous_cpu_s)
        self.latest = sample
        # The sample names files and devices from outside: a lone surrogate (a --record name
        # that is not UTF-8) stopped the run with a UnicodeEncodeError traceback, and C1
        # controls and bidi overrides went out raw (`--stats /dev/stdout`, `tail -f`): written
        # as JSON escapes, as `report --json` does.
        line = terminal_json(sample, indent=None) + "\n"
        if self._pipe_fd is not None:
            self._write_pipe(self._pipe_fd, line)
        elif self._file is not None:
            try:
                self._file.write(line)
                self._file.flush()
                written = os.fstat(self._file.fileno())
                if stat.S_ISREG(written.st_mode):
                    if no_name_left(self._file.fileno()):
                        self._write_again(self._file)
                    # A pipe (`--stats >(jq .)`, /dev/stdout into one) has no position: lseek
                    # failed with ESPIPE and --stats stopped after its first sample.
                    self._whole_bytes = os.lseek(self._file.fileno(), 0, os.SEEK_CUR)
            except OSError as error:
                self._stop_writing(error)
        return sample

    def _write_again(self, file: IO[str]) -> None:
        """The file was deleted while the run wrote it (its folder cleaned up): the samples
        went into a file with no name, gone at the end, and the run said nothing. As the
        recording does: what was written is copied to its name again (a numbered name when
        that is taken, the folder made again), said once, and the samples go on there.
        Raises OSError (--stats then stops and says why) when that is impossible."""
        if self._path is None or not os.path.isdir("/proc/self/fd"):
            return
        if own_descriptor(self._path) is not None:
            return  # the shell's file behind /dev/stdout: not ours to make again in /dev
        from anchordesk.media.recording import open_new_file

        try:
            make_folder_again(self._path.parent)
            # A pipe someone put at the deleted file's name is not the user's --stats: the
            # samples go to the next numbered name (the recording's rule), not into that pipe.
            path, raw = open_new_file(self._path, pipe_is_ours=False)
            if raw is None:
                raise OSError(errno.EEXIST, "the file was deleted and its name is taken", str(path))
            with raw, open(f"/proc/self/fd/{file.fileno()}", "rb") as old:
                shutil.copyfileobj(old, raw, 1 << 20)
                self._file = open(os.dup(raw.fileno()), "w", encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise _Lost(error) from error
        with contextlib.suppress(OSError):
            file.close()
        moved = "" if path == self._path else f" (under a new name, {path.name})"
        log.warning(
            "--stats %s was deleted, or its disk went away, while being written: written again "
            "into %s%s; the samples go on",
            self._path,
            path,
            moved,
        )
        self._path = path

    def _write_pipe(self, fd: int, line: str) -> None:
        data = line.encode("utf-8")
        try:
            written = os.write(fd, data)
        except BlockingIOError:
            # The reader is behind and the pipe is full: this sample is skipped whole (a line
            # up to PIPE_BUF bytes goes into a pipe whole or not at all).
            self.skipped_samples += 1
            if self.skipped_samples == 1:
                log.warning(
                    "--stats %s: its reader is not keeping up; samples are skipped", self._path
                )
            return
        except OSError as error:
            self._stop_writing(error)
            return
        rest = data[written:]
        deadline_s = time.monotonic() + 0.2
        while rest and time.monotonic() < deadline_s:
            # A line longer than the pipe takes at once: the rest, briefly, so it stays whole.
            select.select([], [fd], [], 0.05)
            try:
                rest = rest[os.write(fd, rest) :]
            except BlockingIOError:
                continue
            except OSError as error:
                self._stop_writing(error)
                return
        if rest:
            self._stop_writing(OSError(errno.EAGAIN, "its reader stopped reading"))

    def _stop_writing(self, error: OSError) -> None:
        """The file stops at its last whole line; said once, the samples go on."""
        pipe_fd, self._pipe_fd = self._pipe_fd, None
        if pipe_fd is not None:
            with contextlib.suppress(OSError):
                os.close(pipe_fd)
        file, self._file = self._file, None
        where = self._path or "--stats"
        self.fault = f"--stats {where}: stopped writing: {describe_error(where, error)}"
        if isinstance(error, _Lost):
            # "stopped writing" read as if the samples so far were kept (the recording's F3).
            self.fault = (
                f"--stats {where} was deleted, or its disk went away, and could not be written "
                f"again: {describe_error(where, error)}; its samples are lost"
            )
        log.error("%s; the show goes on", self.fault)
        if file is not None:
            # The file written, not whatever its name leads to now: a name replaced by a link
            # to another file while the run wrote was truncated to this file's size.
            written = None
            with contextlib.suppress(OSError, ValueError):
                written = os.dup(file.fileno())
            with contextlib.suppress(OSError):
                file.close()  # closes the descriptor even when flushing the rest fails again
            if written is not None:
                try:
                    if stat.S_ISREG(os.fstat(written).st_mode):
                        # A line cut in the middle by the full disk goes: the file ends on a
                        # whole sample.
                        with contextlib.suppress(OSError):
                            os.ftruncate(written, self._whole_bytes)
                finally:
                    os.close(written)

    def close(self) -> None:
        pipe_fd, self._pipe_fd = self._pipe_fd, None
        if pipe_fd is not None:
            with contextlib.suppress(OSError):
                os.close(pipe_fd)
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError as error:
                self._file = file
                self._stop_writing(error)
        self._remove_if_empty()

    def _remove_if_empty(self) -> None:
        """As the recording does ("nothing was recorded; no file kept"): a --stats file this
        run created and never wrote a whole sample into is removed, not left empty beside the
        user's files, where a later run or script would take it for a run's figures."""
        created, path = self._created, self._path
        if created is None or path is None or self._whole_bytes > 0:
            return
        try:
            now = path.stat()
            # Only that very file, still empty: a name taken by another file meanwhile stays.
            if (now.st_dev, now.st_ino) != (created.st_dev, created.st_ino) or now.st_size:
                return
            path.unlink()
        except OSError:
            return
        log.info("--stats %s: no sample was written; no file kept", path)
