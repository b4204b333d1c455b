"""Is this file an AnchorDesk session we can read (and write)? One check, for ``report`` and
``live --session`` alike.

The rule:
- a new or empty file becomes a session: it gets :data:`APPLICATION_ID` in SQLite's header
  (``PRAGMA application_id``, what ``file(1)`` and other tools read) and the schema;
- a file with our application id is a session; a file without one (written before the mark
  existed) is a session only if every table in it is one of ours and its ``meta`` names a
  schema version;
- anything else (another program's database, another application id) is refused, and nothing
  in it is changed: the check runs before the first write, even before the journal mode is set;
- a session of a newer format than :data:`SCHEMA_VERSION` is refused by both commands (this
  version could misread it); an older one is read, and brought up to date only when written.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from anchordesk.core.disk import name_max_bytes, not_a_file, unreachable
from anchordesk.core.printable import masked_cut

#: 1: the first format; 2: comments keep their author's platform id (``author_id``), so a ban
#: after a restart finds them. An older file is read as it is and brought up to date when
#: opened for writing (``SessionStore._migrate``); 3: a ``feeds`` table names each feed by its
#: identity (store/session_feeds.py), so two feeds of one kind never share a cursor or ids.
SCHEMA_VERSION = 3
#: "ADsk" in SQLite's header: marks the file as an AnchorDesk session.
APPLICATION_ID = 0x4144736B

_CORE_TABLES = frozenset({"meta", "comments", "orders", "show_events", "cursors"})
KNOWN_TABLES = _CORE_TABLES | {
    "order_updates",
    "rejected_items",
    "viewer_samples",
    "comment_removals",
    "feeds",
}


class SessionFileError(Exception):
    """The file is not a session this version can use (the message says why, in one line)."""


def check_session_file(db: sqlite3.Connection, path: Path) -> bool:
    """Raise ``SessionFileError`` unless ``db`` is a usable session; True when it is still
    empty (a new session to set up)."""
    application_id = int(db.execute("PRAGMA application_id").fetchone()[0])
    tables = {
        str(row[0])
        for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not str(row[0]).startswith("sqlite_")
    }
    if application_id not in (0, APPLICATION_ID):
        raise SessionFileError(
            f"{path}: not an AnchorDesk session file (a database of another program, "
            f"application id {application_id:#x}); nothing was changed in it"
        )
    if not tables:  # new, or marked by a run that died before its first commit
        return True
    foreign = sorted(tables - KNOWN_TABLES)
    missing = sorted(_CORE_TABLES - tables)
    if application_id == 0 and (foreign or missing):
        what = f"tables {', '.join(foreign[:5])}" if foreign else f"no {', '.join(missing)} table"
        raise SessionFileError(
            f"{path}: not an AnchorDesk session file ({what}); nothing was changed in it"
        )
    if missing:
        raise SessionFileError(f"{path}: a damaged session file (no {', '.join(missing)} table)")
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    version_text = "" if row is None else str(row[0])
    # No format has a number of 19 digits: 5,000 (a hand edit) raised int()'s ValueError, a
    # traceback of `report`, `live --session` and the window; the text is said cut short.
    if not version_text.isdecimal() or len(version_text) > 18:
        shown = masked_cut(version_text, 41)  # masked whole, then cut
        raise SessionFileError(
            f"{path}: not a usable session file (schema version {shown!r} unreadable)"
        )
    version = int(version_text)
    if version > SCHEMA_VERSION:
        raise SessionFileError(
            f"{path}: session format {version} is newer than this AnchorDesk reads "
            f"(format {SCHEMA_VERSION}); open it with a newer AnchorDesk"
        )
    return False


_GIVE_THE_FILE = "give the .adsession file's path"


# SQLite writes files beside a session under its name plus a suffix; the longest is "-journal".
_SIDE_FILE_BYTES = len("-journal")


def _name_too_long_for_sqlite(path: Path) -> str | None:
    """A new session whose name leaves no room for SQLite's ``NAME-journal``: SQLite said only
    "unable to open database file"."""
    limit = name_max_bytes(path.parent) - _SIDE_FILE_BYTES
    size = len(os.fsencode(path.name))
    if size <= limit:
        return None
    return (
        f"the name is {size} bytes long; a session file's name may have at most {limit} "
        "(SQLite writes files beside it under its name and a suffix)"
    )


def path_problem(path: Path, *, must_exist: bool) -> str | None:
    """What makes ``path`` unusable as a session file, in a few words; None when it is a
    regular file (or, when ``must_exist`` is false, nothing yet).

    SQLite reads and writes a session in place, at offsets: a pipe (``report /dev/stdin <
    file`` piped, ``<(cat x)``), a socket or a device cannot be one, and opening a pipe would
    wait for a writer forever. Said before anything is opened, locked or created."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if must_exist:
            return "no such session file"
        return _name_too_long_for_sqlite(path)
    except OSError as error:
        # The same words as for every other path of a run (--record, --stats).
        return unreachable(path) or f"cannot be used ({error.strerror or error})"
    if stat.S_ISREG(mode):
        if must_exist and not os.access(path, os.R_OK):
            return "cannot be read (permission denied)"
        return None
    what = not_a_file(mode)
    what = what if what.startswith("not ") else f"is {what}"
    return f"{what}, not a session file: {_GIVE_THE_FILE}"
