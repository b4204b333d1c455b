"""What an adapter says of itself beyond the poller's health: quota spent, one status line.

The hub reads ``adapter.status()`` (when an adapter has it) into ``FeedHealth.quota_units`` and
``FeedHealth.note``, and keeps every feed's last health in the session file (meta key
``feed_status``) when the feeds stop, so a report can say what the show spent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AdapterStatus:
    quota_units: int = 0  # platform quota units spent by this feed in this run
    note: str = ""  # one line for the feed's status ("chat every 4.1 s: 4,500 units an hour")
