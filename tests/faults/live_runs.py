"""``anchordesk live`` in a subprocess, watched line by line, for the fault tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

# A small picture keeps these runs light on a 2-core machine.
SMALL = ("--camera", "test", "--mic", "test", "--canvas", "640x360", "--video-kbps", "800")


def child_env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[name] = str(home / name.lower())  # the log file and sessions stay in the test
    env.update(extra)
    return env


_STARTED_IGNORING = """
import runpy, signal
for number in ({numbers},):
    signal.signal(number, signal.SIG_IGN)
runpy.run_module("anchordesk", run_name="__main__", alter_sys=True)
"""


class LiveRun:
    """A running ``anchordesk live``: its output lines as they come, and when it ended."""

    def __init__(
        self, *args: str, env: dict[str, str], ignoring: tuple[signal.Signals, ...] = ()
    ) -> None:
        """``ignoring``: signals the program is started to ignore, as ``nohup`` (SIGHUP) or a
        script's background job (SIGINT) start it."""
        self.lines: list[tuple[float, str, str]] = []  # (monotonic time, "out"|"err", text)
        self._changed = threading.Condition()
        start = ["-m", "anchordesk"]
        if ignoring:
            numbers = ", ".join(str(int(number)) for number in ignoring)
            start = ["-c", _STARTED_IGNORING.format(numbers=numbers)]
        self.process = subprocess.Popen(
            [sys.executable, *start, "live", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.ended_at_s: float | None = None
        self._readers = [
            threading.Thread(target=self._read, args=(stream, name), daemon=True)
            for stream, name in ((self.process.stdout, "out"), (self.process.stderr, "err"))
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: IO[str] | None, name: str) -> None:
        assert stream is not None
        for line in stream:
            with self._changed:
                self.lines.append((time.monotonic(), name, line.rstrip("\n")))
                self._changed.notify_all()

    @property
    def stdout(self) -> str:
        return "\n".join(text for _, name, text in self.lines if name == "out")

    @property
    def stderr(self) -> str:
        return "\n".join(text for _, name, text in self.lines if name == "err")

    def wait_for_line(self, needle: str, timeout_s: float = 60.0) -> float:
        """When a line holding ``needle`` came (waits for it)."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                for at, _, text in self.lines:
                    if needle in text:
                        return at
                if self.process.poll() is not None and not any(r.is_alive() for r in self._readers):
                    raise AssertionError(f"exited without {needle!r}:\n{self.stderr}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {needle!r} within {timeout_s} s:\n{self.stderr}")
                self._changed.wait(min(left, 0.2))

    def send(self, number: signal.Signals) -> float:
        at = time.monotonic()
        self.process.send_signal(number)
        return at

    def wait(self, timeout_s: float = 60.0) -> int:
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self.ended_at_s = time.monotonic()
        for reader in self._readers:
            reader.join(5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for reader in self._readers:
            reader.join(5)


def run_live(*args: str, env: dict[str, str], timeout_s: float = 120.0) -> LiveRun:
    run = LiveRun(*args, env=env)
    run.wait(timeout_s)
    return run


def format_duration_s(path: Path) -> float | None:
    """The container's own duration (written with the trailer): None when it has none."""
    from servers import ffprobe_json

    data = ffprobe_json(path, "-show_entries", "format=duration")
    value = data.get("format", {}).get("duration")
    return None if value in (None, "N/A") else float(value)
