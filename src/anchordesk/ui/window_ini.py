"""Writing ``window.ini`` (the window's layout, the keyboard shortcuts) only when nothing else
holds it.

QSettings writes under a lock file (``window.ini.lock``) and waits for it with no end: another
program holding it (a second AnchorDesk hung in its own write, anything keeping the lock
fresh) held the window's close in ``QSettings.sync()``, past SIGTERM, the recording and the
session left unclosed (R13ui F6). A lock left by a program that has gone, or older than Qt's
30 s, is stale and taken as QSettings would take it.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QLockFile, QSettings

log = logging.getLogger(__name__)


def free_to_write(settings: QSettings) -> bool:
    """Whether ``settings`` can be written now without waiting for another program's lock;
    said in the log when it cannot."""
    lock = QLockFile(settings.fileName() + ".lock")
    if lock.tryLock(0):
        lock.unlock()
        return True
    if lock.error() != QLockFile.LockError.LockFailedError:
        return True  # no lock can be made there (a read-only folder): QSettings does not wait
    pid, host, program = lock.getLockInfo()
    log.warning(
        "%s is being written by another program (%s, process %s on %s); not written now",
        settings.fileName(),
        program or "unknown",
        pid,
        host or "this machine",
    )
    return False
