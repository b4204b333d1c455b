"""The API's JSON: the ``LiveSnapshot`` as the contract of docs/control-api.md gives it.

Nothing here computes a figure: each value is a field of the snapshot (money as its decimal
text, never a float). URLs are the outputs' masked names; no stream key, feed token or control
token is ever part of a snapshot.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from anchordesk.core.money import amount_text as _amount_text
from anchordesk.core.money import format_cpu, format_frame_rate, format_money, format_rate
from anchordesk.live.show_session import StoredOrderRow
from anchordesk.live.snapshot import LiveSnapshot, StatsView
from anchordesk.media.disk_space import format_bytes
from anchordesk.show.feed_items import Comment

JsonObject = dict[str, Any]

# An amount's text depends on its value and currency alone: a state of a show at the limits
# writes 20,000 of them (each product's price and its board figure), most the same few values,
# and writing each anew was the largest part of a state's making (R17hunt17remote F4). Typed:
# True is refused as money, never taken for 1.
amount_text = functools.lru_cache(maxsize=4096, typed=True)(_amount_text)


def state_json(snapshot: LiveSnapshot) -> JsonObject:
    current = snapshot.current
    segment: JsonObject | None = None
    if current is not None:
        segment = {
            "index": current.index,
            "title": current.title,
            "elapsed_s": round(current.elapsed_s, 3),
            "planned_s": current.planned_s,
            "count": len(snapshot.segments),
        }
    pinned = snapshot.pinned
    return {
        "session": {"id": snapshot.session_id, "mode": str(snapshot.mode)},
        "segment": segment,
        "segments": [
            {"index": s.index, "title": s.title, "planned_s": s.planned_s, "sku": s.sku}
            for s in snapshot.segments
        ],
        "on_screen": snapshot.on_screen_sku,
        "staged": snapshot.staged_sku,
        "studio_mode": snapshot.studio_mode,
        "deals": [
            {
                "sku": deal.sku,
                "state": deal.state,
                "price": amount_text(deal.price, deal.currency),
                "remaining_s": round(deal.remaining_s, 3),
                "units_left": deal.units_left,
                # An addition: a product may be priced in another currency than the show's.
                "currency": deal.currency,
            }
            for deal in snapshot.latest_deals
        ],
        "products": [
            {
                "sku": product.sku,
                "title": product.title,
                "price": amount_text(product.price, product.currency),
                "stock_left": product.stock_left,
                "units_sold": product.units_sold,
                "currency": product.currency,  # an addition, as for deals
            }
            for product in snapshot.products
        ],
        "sales": {
            "currency": snapshot.sales.currency,
            "gmv": amount_text(snapshot.sales.gmv, snapshot.sales.currency),
            "orders": snapshot.sales.orders,
            "orders_per_minute": round(snapshot.sales.orders_per_minute, 3),
            # An addition: every currency's GMV apart, as the window shows it next to the
            # show's ("$841.86 (+ €30.00)"); never added up.
            "gmv_by_currency": _money_map(snapshot.sales.gmv_by_currency),
            # An addition: the items not counted (stored as rejected, refused by the rule, an
            # update of an order not counted), as the window and the report count them.
            "rejected_items": snapshot.sales.rejected_items,
        },
        "pinned": None
        if pinned is None
        else {"id": pinned.key, "author": pinned.author, "text": pinned.text},
        "outputs": [
            {"url": output.url, "state": output.state, "attempt": output.attempt}
            for output in snapshot.outputs
        ],
        "stats": stats_json(snapshot.stats),
        # Additions to the contract: the audience now and each feed's health (texts masked).
        "viewers": snapshot.viewers_online,
        "feeds": [
            {
                "source": feed.source,
                "state": feed.state,
                "items": feed.items,
                "errors": feed.errors,
                "note": feed.note,
                "last_error": feed.last_error,
            }
            for feed in snapshot.feeds
        ],
        # Additions (issue 12): the data board's figures and the prompts on it now.
        "board": board_json(snapshot),
        "prompts": [
            {
                "key": prompt.key,
                "rule": prompt.rule,
                "at": prompt.at,
                "text": prompt.english,
                "values": dict(prompt.values),
            }
            for prompt in snapshot.prompts
        ],
    }


def with_money_text(message: JsonObject, language: str) -> JsonObject:
    """``message`` with the amounts a phone shows also written out as the window writes them
    in ``language`` (``price_text``, ``gmv_text``, ``gmv_by_currency_text``): the page shows
    these, made by the one money formatter, rather than formatting numbers itself (the
    browser's ``Intl`` wrote "$19.80" on a Japanese page where the window wrote "US$19.80").
    A message without those amounts is returned as it is."""
    if "products" not in message or "sales" not in message:
        return message
    currency = message["sales"]["currency"]
    return {
        **message,
        "deals": priced(message["deals"], currency, language),
        "products": priced(message["products"], currency, language),
        "sales": _sales_written(message["sales"], language),
    }


def priced(rows: list[JsonObject], currency: str, language: str) -> list[JsonObject]:
    """``rows`` (deals, products) with their ``price`` written out (``price_text``)."""
    return [
        {**row, "price_text": _written(row["price"], row["currency"] or currency, language)}
        for row in rows
    ]


def _sales_written(sales: JsonObject, language: str) -> JsonObject:
    written = {
        **sales,
        "gmv_text": _written(sales["gmv"], sales["currency"], language),
        "gmv_by_currency_text": {
            code: _written(amount, code, language)
            for code, amount in sales["gmv_by_currency"].items()
        },
    }
    # The rate as the window's Orders panel and board write it (the page's toFixed(1) wrote
    # "3004.0" and "2.0" beside the window's "3,004" and "2"). A change message may not hold it.
    if "orders_per_minute" in sales:
        written["orders_per_minute_text"] = format_rate(float(sales["orders_per_minute"]), language)
    return written


def changes_with_money_text(message: JsonObject, currency: str, language: str) -> JsonObject:
    """A ``state_changes`` message with its amounts written out as ``with_money_text`` writes
    a state's (``currency``: the show's, for a row that names none)."""
    replaced = dict(message["set"])
    for name in ("deals", "products"):
        if isinstance(replaced.get(name), list):
            replaced[name] = priced(replaced[name], currency, language)
    if isinstance(replaced.get("sales"), dict):
        replaced["sales"] = _sales_written(replaced["sales"], language)
    rows = dict(message["rows"])
    for name in ("deals", "products"):
        if name in rows:
            rows[name] = {**rows[name], "rows": priced(rows[name]["rows"], currency, language)}
    return {**message, "set": replaced, "rows": rows}


# The state's lists sent row by row in a ``state_changes`` message, each by the field that
# names its rows; and the sections whose fields are compared one by one.
KEYED_ROWS = {
    "segments": "index",
    "products": "sku",
    "deals": "sku",
    "board.products": "sku",
    "board.segments": "index",
}
_NESTED = ("board",)
# What runs by itself: sent once a second (the stats), not a change of the state.
RUNNING = ("stats", "viewers", "feeds", "board")


def state_changes(old: JsonObject, new: JsonObject) -> tuple[JsonObject, JsonObject]:
    """What differs from ``old`` to ``new`` (two states of one session): ``set``, each field
    (``board.gmv`` for a field of the board) whose new value replaces the old whole, and
    ``rows``, for each list of ``KEYED_ROWS`` that changed, ``{"key", "rows", "gone"}`` and
    ``order`` when the rows are in another order than replacing and adding at the end
    leaves them. A show at the limits has 30,000 rows, 4 MB: an order changes one."""
    replaced: JsonObject = {}
    rows: JsonObject = {}
    _differences(old, new, "", replaced, rows)
    return replaced, rows


def _differences(
    old: JsonObject, new: JsonObject, prefix: str, replaced: JsonObject, rows: JsonObject
) -> None:
    for name, value in new.items():
        path = prefix + name
        was = old.get(name)
        if name in old and (was is value or was == value):
            continue
        key = KEYED_ROWS.get(path)
        patch = None
        if key is not None and isinstance(was, list) and isinstance(value, list):
            patch = _row_changes(was, value, key)
        if patch is not None:
            rows[path] = patch
        elif path in _NESTED and isinstance(was, dict) and isinstance(value, dict):
            _differences(was, value, path + ".", replaced, rows)
        else:
            replaced[path] = value
    for name in old:
        if name not in new:
            replaced[prefix + name] = None


def _row_changes(old: list[Any], new: list[Any], key: str) -> JsonObject | None:
    """The rows of ``new`` that are not in ``old`` as they are; None when the rows are not
    each named once (then the list is replaced whole)."""
    if not all(isinstance(row, dict) and key in row for row in (*old, *new)):
        return None
    before = {row[key]: row for row in old}
    names = [row[key] for row in new]
    now = set(names)
    if len(before) != len(old) or len(now) != len(new):
        return None
    patch: JsonObject = {
        "key": key,
        "rows": [row for row in new if before.get(row[key]) != row],
        "gone": [name for name in before if name not in now],
    }
    kept = [row[key] for row in old if row[key] in now]
    if kept + [name for name in names if name not in before] != names:
        patch["order"] = names
    return patch


@functools.lru_cache(maxsize=32_768)
def _written(amount: str, currency: str, language: str) -> str:
    # The same prices are written out for every state a phone is sent (ten a second at most):
    # 10,000 products took the formatter 180 ms each time, on the show's event loop.
    return format_money(Decimal(amount), currency, language)


def _money_map(amounts: tuple[tuple[str, Decimal], ...]) -> dict[str, str]:
    return {currency: amount_text(amount, currency) for currency, amount in amounts}


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def board_json(snapshot: LiveSnapshot) -> JsonObject | None:
    """The board's figures as the window shows them (money per currency, never added up)."""
    board = snapshot.board
    if board is None:
        return None
    return {
        "viewers_now": board.viewers_now,
        "viewers_peak": board.viewers_peak,
        "viewer_history": [[at_s, online] for at_s, online in board.viewer_history],
        "comments_per_minute": round(board.comments_per_minute, 3),
        "orders_per_minute": round(board.orders_per_minute, 3),
        "buyers": board.buyers,
        "conversion": _ratio(board.conversion),
        "gmv": _money_map(board.gmv_by_currency),
        "average_order": _money_map(board.average_order_value),
        "products": [
            {
                "sku": p.sku,
                "units": p.units,
                "gmv": amount_text(p.gmv, p.currency),
                "currency": p.currency,
                # An addition: what it sold in other currencies, apart (as the report's
                # gmv_in_other_currencies); without it a product sold in dollars read "0".
                "gmv_in_other_currencies": _money_map(p.other_gmv),
                "stock_left": p.stock_left,
                "units_per_minute": round(p.units_per_minute, 3),
                "sells_out_in_s": None if p.sells_out_in_s is None else round(p.sells_out_in_s),
                "on_sale": p.on_sale,
            }
            for p in board.products
        ],
        "segments": [
            {
                "index": s.index,
                "title": s.title,
                "viewers_start": s.viewers_start,
                "viewers_end": s.viewers_end,
                "viewers_peak": s.viewers_peak,
                "comments": s.comments,
                "orders": s.orders,
                "buyers": s.buyers,
                "conversion": _ratio(s.conversion),
                "gmv": _money_map(s.gmv_by_currency),
            }
            for s in board.segments
        ],
    }


def stats_json(stats: StatsView) -> JsonObject:
    return {
        "fps": round(stats.fps, 2),
        "dropped_frames": stats.dropped_frames,
        "cpu_percent": round(stats.cpu_percent, 1),
        "recording_bytes": stats.recording_bytes,
        # Written as the window's Stream health and status bar write it ("1.2 GB"): the
        # page's own "1234.6 MB" was another text for the same size.
        "recording_text": format_bytes(stats.recording_bytes),
        # The page rounded the rounded figures again itself: a CPU of 34.46 % was "34%" in
        # the window and "35%" on the phone (34.5, toFixed(0)).
        "fps_text": format_frame_rate(stats.fps),
        "cpu_text": format_cpu(stats.cpu_percent),
    }


def settled(state: JsonObject) -> JsonObject:
    """The state without what runs by itself (segment and deal clocks, the stats): what a
    "state" event is sent for. The remote counts the clocks down on its own between events."""
    quiet = dict(state)
    # These go out with the stats, each second (the board's rates move by the second).
    for running in RUNNING:
        quiet.pop(running, None)
    quiet.pop("clocks_at_s", None)  # (a message's: when its clocks were read)
    if isinstance(quiet.get("segment"), dict):
        quiet["segment"] = {k: v for k, v in quiet["segment"].items() if k != "elapsed_s"}
    quiet["deals"] = [
        {k: v for k, v in deal.items() if k != "remaining_s"} for deal in quiet.get("deals", [])
    ]
    return quiet


def comment_json(key: str, comment: Comment, hidden: bool = False) -> JsonObject:
    return {
        "type": "comment",
        "id": key,
        "author": comment.author,
        "text": comment.text,
        "question": comment.is_question,
        "flagged": comment.flagged,
        "hidden": hidden,
    }


def order_json(row: StoredOrderRow) -> JsonObject:
    order = row.order
    return {
        "type": "order",
        "id": f"{order.source}:{order.id}",
        "currency": order.currency,
        "total": amount_text(order.total_price, order.currency),
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": amount_text(line.unit_price, order.currency),
            }
            for line in order.lines
        ],
        "at": row.at,
    }
