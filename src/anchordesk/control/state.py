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
from anchordesk.core.money import format_money
from anchordesk.live.show_session import StoredOrderRow
from anchordesk.live.snapshot import LiveSnapshot, StatsView
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

    def text(amount: str, currency: str) -> str:
        return _written(amount, currency, language)

    sales = message["sales"]
    return {
        **message,
        "deals": [
            {**d, "price_text": text(d["price"], d["currency"] or sales["currency"])}
            for d in message["deals"]
        ],
        "products": [
            {**p, "price_text": text(p["price"], p["currency"] or sales["currency"])}
            for p in message["products"]
        ],
        "sales": {
            **sales,
            "gmv_text": text(sales["gmv"], sales["currency"]),
            "gmv_by_currency_text": {
                code: text(amount, code) for code, amount in sales["gmv_by_currency"].items()
            },
        },
    }


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
    }


def settled(state: JsonObject) -> JsonObject:
    """The state without what runs by itself (segment and deal clocks, the stats): what a
    "state" event is sent for. The remote counts the clocks down on its own between events."""
    quiet = dict(state)
    # These go out with the stats, each second (the board's rates move by the second).
    for running in ("stats", "viewers", "feeds", "board"):
        quiet.pop(running, None)
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
