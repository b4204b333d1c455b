"""Real disks that fail, for the fault tests: a small tmpfs that fills up, a read-only one.

``mount`` needs root (the test machines and CI run as root); elsewhere the tests that need it
are skipped with the reason. ``/dev/full`` (Linux) is a file that is always full.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
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


@contextmanager
def unread_pipe(path: Path) -> Iterator[Path]:
    """A FIFO at ``path`` whose reader is there and never reads, already full: the first
    write into it blocks (a player paused, a tool that hung), as a disk that hangs does."""
    os.mkfifo(path)
    read_end = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    filler = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    try:
        while True:
            os.write(filler, b"#" * 4096)
    except BlockingIOError:
        pass
    finally:
        os.close(filler)
    try:
        yield path
    finally:
        os.close(read_end)


def dev_full() -> Path:
    path = Path("/dev/full")
    if not path.exists():
        pytest.skip("/dev/full (a device that is always full) is Linux-only")
    return path


@contextmanager
def ext4_turning_read_only(folder: Path) -> Iterator[Callable[[], None]]:
    """A small ext4 disk (a loop device) mounted on ``folder`` with ``errors=remount-ro``, as
    distributions mount their disks; the function given makes the kernel find an error on it
    (``trigger_fs_error``), and the kernel remounts it read-only under the open files, as it
    does when a USB disk fails mid-show. Skipped where there are no loop devices."""
    tools = [shutil.which(name) for name in ("losetup", "mkfs.ext4", "mount", "umount")]
    if None in tools or not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("an ext4 loop disk needs root, losetup and mkfs.ext4")
    folder.mkdir(parents=True, exist_ok=True)
    image = folder.with_name(folder.name + ".img")
    with image.open("wb") as file:
        file.truncate(16 << 20)
    made = subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], capture_output=True, check=False)
    attached = subprocess.run(
        ["losetup", "-f", "--show", str(image)], capture_output=True, text=True, check=False
    )
    if made.returncode != 0 or attached.returncode != 0:
        pytest.skip(f"no loop device here: {attached.stderr.strip() or made.returncode}")
    device = attached.stdout.strip()
    try:
        mounted = subprocess.run(
            ["mount", "-o", "errors=remount-ro", device, str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        trigger = Path("/sys/fs/ext4") / Path(device).name / "trigger_fs_error"
        if mounted.returncode != 0 or not trigger.exists():
            pytest.skip(f"cannot mount an ext4 loop disk here: {mounted.stderr.strip()}")
        try:
            yield lambda: trigger.write_text("1")
        finally:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)
    finally:
        subprocess.run(["losetup", "-d", device], capture_output=True, check=False)
