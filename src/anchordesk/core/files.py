"""Files written whole or not at all (show files, settings, reports)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def _umask() -> int:
    # Linux tells it without changing it; elsewhere it can only be read by setting it (and
    # setting it straight back), which another thread creating a file might notice.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomically(path: Path, text: str, *, new_file_mode: int | None = None) -> None:
    """Write ``text`` so that a crash leaves the old file or the new one, never half of one.

    The file keeps its permissions (a 0644 show file stays 0644: the temporary file that
    replaces it would otherwise bring mkstemp's 0600). A new file gets ``new_file_mode``, or
    what ``open()`` would give it (0666 less the umask).
    """
    folder = path.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = new_file_mode if new_file_mode is not None else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
