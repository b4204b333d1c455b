"""The generic protocol's ``comment_removed`` item: a bridge's way to say a platform deleted a
comment or banned its author (docs/feed-protocol.md), read into ``CommentRemoval``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anchordesk.feeds.parsing import as_text, item_id, json_shown, optional_id
from anchordesk.show.feed_items import COMMENT_REMOVAL_REASONS, CommentRemoval


def removal_item(source: str, raw: Mapping[str, Any]) -> CommentRemoval:
    """``{"type": "comment_removed", "id": …, "comment_id": …}`` (deleted) or
    ``{"type": "comment_removed", "id": …, "author_id": …}`` (banned)."""
    raw_id = item_id(raw["id"])
    comment_text = optional_id(raw.get("comment_id"), "comment_id")
    author_text = optional_id(raw.get("author_id"), "author_id")
    reason = as_text(raw.get("reason")) or ("deleted" if comment_text else "banned")
    if reason not in COMMENT_REMOVAL_REASONS:
        raise ValueError(
            f"reason {json_shown(reason)} is not one of {', '.join(COMMENT_REMOVAL_REASONS)}"
        )
    if reason == "deleted" and not comment_text:
        raise ValueError("a deletion names its comment_id")
    if reason == "banned" and not author_text:
        raise ValueError("a ban names its author_id")
    return CommentRemoval(
        source=source,
        id=raw_id,
        reason=reason,
        comment_id=comment_text,
        author_id=author_text,
        author=as_text(raw.get("author")),
        at=as_text(raw.get("at")),
    )
