"""The session store: one SQLite file per show session (see session.py for the guarantees)."""

from __future__ import annotations

import time
from pathlib import Path

from anchordesk.store.session import (
    SessionStore,
    ShowEventRecord,
    StoredComment,
    StoredCommentRemoval,
    StoredOrder,
    StoredOrderUpdate,
    StoredRejected,
    StoredViewerSample,
    StoreError,
    UnreadableRow,
)
from anchordesk.store.writer import StoreWriter

SESSION_SUFFIX = ".adsession"


def default_session_path(data_dir: Path, kind: str = "show") -> Path:
    """A new, unused session file under ``data_dir/sessions`` named by its kind ("show",
    "rehearsal", "live") and the local start time. The window and ``anchordesk live`` both
    keep their sessions here."""
    folder = data_dir / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    path = folder / f"{kind}_{stamp}{SESSION_SUFFIX}"
    counter = 2
    while path.exists():
        path = folder / f"{kind}_{stamp}_{counter}{SESSION_SUFFIX}"
        counter += 1
    return path


__all__ = [
    "SESSION_SUFFIX",
    "SessionStore",
    "ShowEventRecord",
    "StoreError",
    "StoreWriter",
    "StoredComment",
    "StoredCommentRemoval",
    "StoredOrder",
    "StoredOrderUpdate",
    "StoredRejected",
    "StoredViewerSample",
    "UnreadableRow",
    "default_session_path",
]
