"""Write faults in words, and trying a path before a run without harming what is there: a pipe
is never opened to be tried (its reader would see the end of its input)."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from anchordesk.core.disk import cannot_write, describe_error

# A reader as a user starts one (`cat FIFO`, `jq . < FIFO`): it opens the pipe and waits there
# for a writer, then prints what it read once the writer is done.
READER = "import sys; data = open(sys.argv[1], 'rb').read(); sys.stdout.write(repr(data))"


def open_for_writing_once_read(fifo: Path, timeout_s: float = 30.0) -> int:
    """The write end, once the reader has opened the pipe (opening without waiting fails with
    ENXIO until then). A deadline, not a wait: a reader that already ended never comes."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as error:
            if error.errno != errno.ENXIO or time.monotonic() > deadline:
                raise
        time.sleep(0.01)


def test_trying_a_pipe_leaves_its_reader_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "stats.fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(fifo)], stdout=subprocess.PIPE, text=True
    )
    try:
        # Before the fix the check opened and closed the pipe: the reader read b'' and ended,
        # and what the run wrote later went nowhere.
        assert cannot_write(fifo) is None
        assert reader.poll() is None  # still waiting for the run's writer
        descriptor = open_for_writing_once_read(fifo)
        os.write(descriptor, b'{"fps": 30.0}\n')
        os.close(descriptor)
        out, _ = reader.communicate(timeout=30)
    finally:
        reader.kill()
        reader.wait()
    assert out == repr(b'{"fps": 30.0}\n')


def test_a_pipe_nobody_reads_is_not_waited_for(tmp_path: Path) -> None:
    # Opening it for writing would wait for ever; it is not opened at all (its writer says
    # "a pipe that no program reads" when it opens it, without waiting).
    fifo = tmp_path / "stats.fifo"
    os.mkfifo(fifo)
    assert cannot_write(fifo) is None


def test_a_socket_is_not_a_file(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        assert cannot_write(path) == f"{path} is a socket, not a file"


def test_a_new_file_is_tried_and_removed_and_a_folder_is_said(tmp_path: Path) -> None:
    target = tmp_path / "stats.jsonl"
    assert cannot_write(target) is None and not target.exists()
    assert cannot_write(tmp_path / "missing" / "x") is not None
    problem = cannot_write(tmp_path)
    assert problem is not None and str(tmp_path) in problem


def test_a_reader_that_stopped_is_said_in_words(tmp_path: Path) -> None:
    # A real pipe whose reading program ended (`--stats >(head -1)`): EPIPE, "Broken pipe".
    reader = subprocess.Popen([sys.executable, "-c", "pass"], stdin=subprocess.PIPE)
    reader.wait()
    assert reader.stdin is not None
    with pytest.raises(BrokenPipeError) as raised:
        reader.stdin.write(b"x" * 1_000_000)
        reader.stdin.flush()
    with contextlib.suppress(BrokenPipeError):
        reader.stdin.close()
    where = Path("/dev/fd/63")
    assert describe_error(where, raised.value) == (
        "the program reading /dev/fd/63 stopped reading it"
    )
