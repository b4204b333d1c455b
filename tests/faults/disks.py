"""Real disks that fail, for the fault tests: a small tmpfs that fills up, a read-only one.

``mount`` needs root (the test machines and CI run as root); elsewhere the tests that need it
are skipped with the reason. ``/dev/full`` (Linux) is a file that is always full.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tmpfs(
    folder: Path, size_kb: int, *, read_only: bool = False, inodes: int | None = None
) -> Iterator[Path]:
    """A tmpfs of ``size_kb`` mounted on ``folder`` for the block (unmounted after); with
    ``inodes``, a disk that holds at most that many files (the root folder is one)."""
    mount = shutil.which("mount")
    if mount is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root and mount(8) (CI runs as root)")
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size_kb}k,mode=0777" + (",ro" if read_only else "")
    if inodes is not None:
        options += f",nr_inodes={inodes}"
    result = subprocess.run(
        [mount, "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip() or result.returncode}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def fill(folder: Path, leave_bytes: int = 0, name: str = "filler.bin") -> Path:
    """Fill the disk holding ``folder`` until ``leave_bytes`` (or nothing) stay free."""
    path = folder / name
    free = shutil.disk_usage(folder).free
    chunk = b"\0" * 4096
    with path.open("ab", buffering=0) as file:
        to_write = max(0, free - leave_bytes)
        try:
            while to_write > 0:
                to_write -= file.write(chunk[: min(len(chunk), to_write)]) or 0
            if leave_bytes == 0:
                while True:  # the last partial page too
                    file.write(b"\0")
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
    return path


def dev_full() -> Path:
    path = Path("/dev/full")
    if not path.exists():
        pytest.skip("/dev/full (a device that is always full) is Linux-only")
    return path
