"""The YouTube quota a project spent today, across restarts.

Google counts a project's YouTube Data API units per day and resets them at midnight Pacific
time (America/Los_Angeles, so 23 or 25 hours on the days the clocks change). A feed that
counted only its own run would show 0 after a restart while the project had spent 4,000 units
an hour earlier; so the day's units are kept here, in the user data folder, and a restart
continues them.

- Keyed by the API key (or OAuth token) it was spent with, as a SHA-256 digest: quota belongs
  to the key's Cloud project, and the key itself must never be written to a file.
- One small JSON file (``youtube-quota.json``): ``{"version": 1, "keys": {DIGEST: {"day":
  "YYYY-MM-DD", "units": N}}}``. A key whose day is not today's Pacific day has spent 0.
- Written atomically after each call (one read of the chat every few seconds: a few hundred
  bytes); a file that cannot be read or written is a warning, never the end of the feed —
  the count of this run goes on in memory.
- The clock is injected (epoch seconds), so a test can cross midnight in Los Angeles.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from anchordesk.core.files import read_regular_file, write_text_atomically
from anchordesk.core.paths import user_data_dir

log = logging.getLogger(__name__)

QUOTA_FILE_NAME = "youtube-quota.json"
# Where Google's daily quota resets (its documentation: "midnight Pacific Time").
PACIFIC = ZoneInfo("America/Los_Angeles")
_FORMAT = 1
# Keys of days gone by are dropped after this many (the file stays a few lines).
_KEEP_KEYS = 50
# Fifty keys' days are about 5 kB: anything far larger is not this file.
_MAX_FILE_BYTES = 1_000_000
# (file, reason) already said in this process.
_SAID: set[tuple[str, str]] = set()


def key_digest(secret: str) -> str:
    """What names a key in the file: never the key, only a digest of it."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:32]


def default_quota_path() -> Path:
    return user_data_dir() / QUOTA_FILE_NAME


def pacific_day(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, PACIFIC).date().isoformat()


class DailyQuota:
    """Units spent today (Pacific day) with one key, kept in ``path`` across restarts."""

    def __init__(
        self,
        secret: str,
        path: Path | None = None,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._digest = key_digest(secret)
        self._path = path
        self._wall_clock = wall_clock
        self._day = pacific_day(wall_clock())
        kept = self._read().get(self._digest)
        self._units = kept[1] if kept is not None and kept[0] == self._day else 0
        self._warned = False

    @property
    def day(self) -> str:
        """Today's Pacific date (as Google's quota counts it)."""
        self._roll()
        return self._day

    @property
    def units(self) -> int:
        """Units spent with this key today, this run and the runs before it."""
        self._roll()
        return self._units

    def spend(self, units: int) -> int:
        """Count ``units`` against today and keep the total; return it."""
        self._roll()
        self._units += units
        self._write()
        return self._units

    def _roll(self) -> None:
        day = pacific_day(self._wall_clock())
        if day != self._day:
            log.info("YouTube quota: a new Pacific day (%s): the units start at 0", day)
            self._day, self._units = day, 0

    # -- the file --------------------------------------------------------------------------

    def _read(self) -> dict[str, tuple[str, int]]:
        if self._path is None:
            return {}
        try:
            # Without waiting: a FIFO at the file's name hung `anchordesk live --feed
            # youtube-chat=…` for ever before its first frame, deaf to SIGTERM.
            raw = read_regular_file(self._path, _MAX_FILE_BYTES)
            if len(raw) > _MAX_FILE_BYTES:
                raise ValueError(f"larger than {_MAX_FILE_BYTES:,} bytes")
            body = json.loads(raw.decode("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, RecursionError) as error:
            # RecursionError: a file nested past the parser's depth (not a ValueError) ended
            # `live --feed youtube-chat=…` with a traceback before its first frame.
            # Once per file and reason: the file is read by the pre-run check and the run,
            # and again before each write (the same line twice at start-up, more after).
            reason = "nested too deep" if isinstance(error, RecursionError) else str(error)
            said = (str(self._path), reason)
            if said not in _SAID:
                _SAID.add(said)
                log.warning(
                    "YouTube quota: %s cannot be read (%s): counting from 0", self._path, reason
                )
            return {}
        keys = body.get("keys") if isinstance(body, dict) else None
        result: dict[str, tuple[str, int]] = {}
        for digest, entry in (keys or {}).items() if isinstance(keys, dict) else ():
            if not isinstance(entry, dict):
                continue
            day, units = entry.get("day"), entry.get("units")
            if isinstance(day, str) and isinstance(units, int) and not isinstance(units, bool):
                result[str(digest)] = (day, max(0, units))
        return result

    def _write(self) -> None:
        if self._path is None:
            return
        entries = self._read()  # another feed (another key) may have written since
        entries[self._digest] = (self._day, self._units)
        if len(entries) > _KEEP_KEYS:
            newest = sorted(entries.items(), key=lambda item: item[1][0])[-_KEEP_KEYS:]
            entries = dict(newest)
        body = {
            "version": _FORMAT,
            "keys": {d: {"day": day, "units": units} for d, (day, units) in entries.items()},
        }
        try:
            write_text_atomically(self._path, json.dumps(body, indent=1, sort_keys=True) + "\n")
        except OSError as error:
            if not self._warned:
                self._warned = True
                log.warning(
                    "YouTube quota: cannot keep the day's units in %s (%s)", self._path, error
                )
