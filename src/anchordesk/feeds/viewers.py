"""Viewer counts: the generic protocol's ``viewers`` item, and the rules every adapter's counts
follow (whole numbers >= 0, one sample per time, exactly once).

A sample's id is what makes it "once": the platform's own id when it sends one, else the time
of the count (two counts at the same instant from the same feed are the same count).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from anchordesk.feeds.parsing import as_text, json_shown, optional_id
from anchordesk.show.feed_items import ViewerStats

# A count above this is a broken or hostile feed, not an audience.
MAX_VIEWERS = 10**10


def viewer_count(value: object, name: str, *, required: bool = False) -> int | None:
    """A whole number of people >= 0; None when absent and not required. Numbers sent as
    strings ("1234", as YouTube's ``concurrentViewers`` is) are read too."""
    if value is None:
        if required:
            raise ValueError(f"{name} is missing")
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} {json_shown(value)} is not a count")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdecimal():
        # ASCII digits, as the amount rule reads numbers sent as strings: by isdecimal() alone
        # a bridge's "１２" (full-width) or "١٢" (Arabic-Indic) was 12 viewers, where the same
        # text as a quantity or a price was rejected (show/feed_rules.py).
        # A string of 40,000 digits: int() refused it in Python's words ("Exceeds the limit
        # (4300 digits) for integer string conversion…"), listed as the item's reason.
        with contextlib.suppress(ValueError):
            value = int(value.strip())
    if not isinstance(value, int) or value < 0 or value > MAX_VIEWERS:
        # As the feed wrote it (1E+30, 12.5, "0x10", 1e999999999999999999999), not as Python
        # holds it (Decimal('1E+30'), '0x10', <…UnreadableNumber object at 0x…>).
        raise ValueError(f"{name} {json_shown(value)} is not a count")
    return value


def viewers_item(source: str, raw: Mapping[str, Any]) -> ViewerStats:
    """``{"type": "viewers", "at": ..., "online": n, "entered": n?, "likes": n?, "follows": n?}``
    (docs/feed-protocol.md); ``id`` is optional (default: ``at``)."""
    at = as_text(raw.get("at")).strip()
    # Optional, by the one id rule (parsing.optional_id): "viewers: bad id" said neither what
    # was sent nor what an id is, and " v1" and "v1" were two samples.
    sample_id = optional_id(raw.get("id"), "id")
    if sample_id.startswith(("at:", "id:")):
        # Out of the shape of the key made from a time: a sample whose id was "at:" + the
        # time of an id-less one was taken for it sent again and dropped unsaid.
        sample_id = "id:" + sample_id
    if not sample_id and not at:
        raise ValueError("viewers: needs 'at' (or an 'id')")
    online = viewer_count(raw.get("online"), "online", required=True)
    assert online is not None
    return ViewerStats(
        source=source,
        id=sample_id or f"at:{at}",
        online=online,
        at=at,
        entered=viewer_count(raw.get("entered"), "entered"),
        likes=viewer_count(raw.get("likes"), "likes"),
        follows=viewer_count(raw.get("follows"), "follows"),
    )
