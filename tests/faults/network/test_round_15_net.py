"""Round fifteen of issue 10, the network outputs and ``anchordesk live`` (R15net.md).

Real parts: loopback TCP connections read through the kernel's sock_diag (as the output reads
its child's socket), on an injected clock: each sample is taken once the kernel has acknowledged
what the reading end took, never after a sleep.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
from pathlib import Path

import pytest
from servers import wait_until

from anchordesk.core import logs
from anchordesk.media.network_output import destination_names
from anchordesk.media.network_watch import AcknowledgementWatch, SocketReader

SAMPLE_S = 0.25  # how often the output reads its child's socket


def acknowledged(reader: SocketReader) -> int | None:
    state = reader.read()
    return None if state is None else state.acknowledged_bytes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and sock_diag")
def test_a_server_that_reads_slower_than_the_stream_comes_is_not_said_to_read_nothing() -> None:
    # A server with a small receive buffer that reads 32 kB of every 40 kB the stream brings:
    # its buffer stays full, its window is closed whenever it is looked at (a zero-window
    # probe pending), yet it takes 32 kB every sample. It was called "the server stopped
    # taking the stream (nothing read for 4 s)" and its stream cut and started again.
    made = b"\0" * 40_000
    with socket.create_server(("127.0.0.1", 0)) as server:
        sender = socket.create_connection(server.getsockname())
        receiver, _ = server.accept()
        with contextlib.closing(sender), contextlib.closing(receiver):
            receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16_384)
            sender.setblocking(False)
            reader = SocketReader(os.getpid())
            watch = AcknowledgementWatch()
            read_total = 0
            stalled_s = []
            for sample in range(28):  # 7 s of samples
                with contextlib.suppress(BlockingIOError):
                    sender.send(made)
                state = reader.read()
                assert state is not None and state.acknowledged_bytes is not None
                before = state.acknowledged_bytes
                taken = 0
                while taken < 32_768:
                    taken += len(receiver.recv(32_768 - taken))
                read_total += taken
                wait_until(
                    lambda before=before: acknowledged(reader) != before,
                    5,
                    what="the server's acknowledgement",
                )
                now_s = sample * SAMPLE_S
                watch.update(reader.read(), now_s)
                stalled_s.append(watch.stalled_for_s(now_s))
            assert read_total > 800_000
            assert max(stalled_s) < 1.0, stalled_s
            # Stopped: it reads nothing more; what still comes fills its buffer, then waits.
            for sample in range(28, 48):
                with contextlib.suppress(BlockingIOError):
                    sender.send(made)
                now_s = sample * SAMPLE_S
                watch.update(reader.read(), now_s)
            assert watch.stalled_for_s(now_s) >= 4.0


def test_a_destination_with_a_token_in_its_query_keeps_the_colon_of_its_lines(
    tmp_path: Path,
) -> None:
    # Every line of a destination whose URL carries ?token=... lost its colon in the log and
    # on the console: "rtmp://host/live/****?token=**** live", "...?token=**** stopped".
    setup = logs.setup_logging(stderr=None, log_dir=tmp_path, native_crashes=False)
    try:
        (name,) = destination_names(["rtmp://127.0.0.1:1935/live/KEY-77a?token=TOKEN-88b"])
        logging.getLogger("anchordesk.media.network_output").warning("%s: live", name)
        logging.getLogger("anchordesk.test").warning("token=SECRET-99c: refused")
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert setup.log_file is not None
        text = setup.log_file.read_text(encoding="utf-8")
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_anchordesk_handler", False)]:
            root.removeHandler(handler)
            handler.close()
    assert "rtmp://127.0.0.1:1935/live/****?token=****: live" in text
    for secret in ("KEY-77a", "TOKEN-88b", "SECRET-99c"):
        assert secret not in text
